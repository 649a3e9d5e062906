"""The GPU-to-GPU network each cloud offers between nodes, per machine type: what a pool with `fabric: true` gets
and what a model past one node needs. Data, not logic.

Sources:
- AWS: EC2 user guide "Maximize network bandwidth on accelerated instances with EFA" (p5-efa.html): P5 and P5e
  support up to 32 network cards, one EFA interface per card recommended, card 0 device 0 the primary (EFA with
  ENA), the others device index 1; "efa-acc-inst-types.html" for the card-0-first layout. P5en's 16 cards and
  P4d/P4de's 4 are AWS's instance-type table (network cards column), not found in this workplace's search index.
- GCP: GKE "Maximize GPU network bandwidth" (gpudirect-tcpx/tcpxo, gpudirect-rdma): a3-megagpu-8g runs
  GPUDirect-TCPXO over 8 GPU NICs, each in its own VPC and subnet, beside the primary network; a3-ultragpu-8g
  (H200) runs GPUDirect-RDMA over 8 CX-7 NICs in one RDMA VPC (network profile `RoCE`) plus a second gVNIC.
- Azure: ND H100 v5 / ND H200 v5 size pages: 8 x 400 Gb/s NDR InfiniBand (one ConnectX-7 per GPU); ND A100 v4:
  8 x 200 Gb/s HDR.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from components.catalog.instances import Cloud


class FabricKind(enum.StrEnum):
    EFA = "efa"
    TCPXO = "gpudirect-tcpxo"
    RDMA = "gpudirect-rdma"
    INFINIBAND = "infiniband"


@dataclass(frozen=True, kw_only=True)
class Fabric:
    kind: FabricKind
    interfaces: int
    """EFA interfaces (one per network card), GKE GPU NICs, or InfiniBand HCAs per node."""
    gbps_per_node: int


FABRICS: dict[Cloud, dict[str, Fabric]] = {
    Cloud.AWS: {
        "p5.48xlarge": Fabric(kind=FabricKind.EFA, interfaces=32, gbps_per_node=3200),
        "p5e.48xlarge": Fabric(kind=FabricKind.EFA, interfaces=32, gbps_per_node=3200),
        "p5en.48xlarge": Fabric(kind=FabricKind.EFA, interfaces=16, gbps_per_node=3200),
        "p4d.24xlarge": Fabric(kind=FabricKind.EFA, interfaces=4, gbps_per_node=400),
        "p4de.24xlarge": Fabric(kind=FabricKind.EFA, interfaces=4, gbps_per_node=400),
    },
    Cloud.GCP: {
        "a3-megagpu-8g": Fabric(kind=FabricKind.TCPXO, interfaces=8, gbps_per_node=1600),
        "a3-ultragpu-8g": Fabric(kind=FabricKind.RDMA, interfaces=8, gbps_per_node=3200),
    },
    Cloud.AZURE: {
        "Standard_ND96isr_H100_v5": Fabric(kind=FabricKind.INFINIBAND, interfaces=8, gbps_per_node=3200),
        "Standard_ND96isr_H200_v5": Fabric(kind=FabricKind.INFINIBAND, interfaces=8, gbps_per_node=3200),
        "Standard_ND96asr_v4": Fabric(kind=FabricKind.INFINIBAND, interfaces=8, gbps_per_node=1600),
        "Standard_ND96amsr_A100_v4": Fabric(kind=FabricKind.INFINIBAND, interfaces=8, gbps_per_node=1600),
    },
}


def fabric_of(cloud: Cloud, instance_type: str) -> Fabric | None:
    """The type's inter-node GPU network; None when it has none (NCCL would fall back to TCP sockets)."""
    return FABRICS[cloud].get(instance_type)
