"""The figures a cold start is predicted from, each with where it comes from: data, not logic (components/cold_start.py
does the arithmetic). `measured` is False for a figure that no published measurement gives for this case: the
prediction says so, and `tools/measure_cold_start.py` measures it on a cluster with a GPU."""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.instances import Cloud

MIB = 1024**2


@dataclass(frozen=True, kw_only=True)
class Figure:
    value: float
    unit: str
    source: str
    measured: bool = True


# --- A node for the replica -------------------------------------------------------------------------------------

NODE_READY = Figure(
    value=300,
    unit="s",
    source="docs/manual.md 'Autoscaling on the queue' (3-8 min from a Pending pod to a GPU node with its driver and "
    "device plugin); no published measurement for these node types and autoscalers",
    measured=False,
)

# --- The vLLM image (about 10 GB) -------------------------------------------------------------------------------

IMAGE_PULL = Figure(
    value=180,
    unit="s",
    source="awslabs/ai-on-eks#190: the vLLM image pulled by containerd on EKS in 3 min; the same image and "
    "runtime elsewhere",
)
IMAGE_STREAM = {
    Cloud.AWS: Figure(
        value=47,
        unit="s",
        source="awslabs/ai-on-eks#190: the same image with SOCI parallel pull (FastImagePull) in 47 s",
    ),
    Cloud.GCP: Figure(
        value=47,
        unit="s",
        source="no published figure for GKE image streaming of this image; taken as EKS's parallel pull "
        "(awslabs/ai-on-eks#190, 47 s)",
        measured=False,
    ),
}

IMAGE_CACHE = {
    Cloud.AWS: Figure(
        value=5,
        unit="s",
        source="terraform-aws-eks-blueprints patterns/ml-container-cache README: nvcr.io/nvidia/pytorch:24.08-py3 "
        "(9.5 GB compressed, 20.4 GB on disk) on the EBS volume made from the snapshot starts its pod in under 5 s "
        "(334 s uncached), with Fast Snapshot Restore on the snapshot; without it a restored volume's blocks load "
        "from S3 on first read, which this term leaves out",
    ),
    Cloud.GCP: Figure(
        value=5,
        unit="s",
        source="no published figure for a GKE secondary boot disk with this image; taken as EKS's EBS-snapshot "
        "cache (terraform-aws-eks-blueprints ml-container-cache, under 5 s)",
        measured=False,
    ),
}

# --- The weights --------------------------------------------------------------------------------------------------

STREAMER_BYTES_PER_SECOND = {
    Cloud.AWS: Figure(
        value=15e9 / 4.88,
        unit="B/s",
        source="run-ai/runai-model-streamer docs/src/benchmarks.md (Appendix C): Llama-3-8B, 15 GB, from S3 to an "
        "A10G of a g5.12xlarge in 4.88 s at concurrency 32",
    ),
    Cloud.GCP: Figure(
        value=15e9 / 4.88,
        unit="B/s",
        source="the streamer's benchmarks measure S3 only (docs/src/benchmarks.md); GCS taken as S3's 15 GB in 4.88 s",
        measured=False,
    ),
    Cloud.AZURE: Figure(
        value=15e9 / 4.88,
        unit="B/s",
        source="the streamer's benchmarks measure S3 only (docs/src/benchmarks.md); Azure Blob taken as S3's "
        "15 GB in 4.88 s",
        measured=False,
    ),
}
STREAMER_CONCURRENCY = 32
"""The concurrency of that measurement (its fastest: 8.45 s at 16, 5.01 s at 64)."""

EFS_CLIENT_READ = Figure(
    value=1500 * MIB,
    unit="B/s",
    source="Amazon EFS user guide, 'Amazon EFS performance specifications': Regional, Elastic throughput, "
    "1,500 MiBps read per client",
)
FILESTORE_BASIC_HDD_READ = Figure(
    value=100 * MIB,
    unit="B/s",
    source="Filestore docs, 'Performance': Basic HDD of 1-10 TiB reads 100 MiB/s",
)
AZURE_FILES_PREMIUM_BASE = Figure(
    value=100 * MIB,
    unit="B/s",
    source="Azure Files docs, 'Understand Azure Files billing' (provisioned v1, SSD): throughput 100 MiB/s + "
    "0.04 MiB/s and 0.06 MiB/s per provisioned GiB",
)
AZURE_FILES_PREMIUM_PER_GIB = 0.1 * MIB
"""The two per-GiB terms of the same formula, together (bytes per second per provisioned GiB)."""

# --- vLLM's engine ------------------------------------------------------------------------------------------------

ENGINE_START = Figure(
    value=200.69,
    unit="s",
    source="a published vLLM V1 log (search index id 70898399765): 'init engine (profile, create kv cache, warmup "
    "model) took 200.69 s' on a first start without a compile cache, as every pod here starts (its cache is in "
    "the pod's /tmp); others print 136.57 s (id 54064687355) and 216.57 s (id 38962983769)",
)
