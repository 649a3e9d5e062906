"""How a cluster network's address space is cut into subnets: pure, the same on every cloud."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

MAX_ZONES = 6


@dataclass(frozen=True)
class SubnetPlan:
    private: tuple[str, ...]
    """One large subnet per zone for nodes (and, on EKS, pod IPs from the VPC CNI)."""
    public: tuple[str, ...]
    """One small subnet per zone for load balancers and NAT gateways."""


def subnet_plan(cidr: str, zones: int) -> SubnetPlan:
    """Cut `cidr` into eight blocks: the first `zones` are the private subnets; the last is cut into eight
    again for the public ones. A /16 gives /19 private subnets (8190 addresses) and /22 public ones."""
    if not 1 <= zones <= MAX_ZONES:
        raise ValueError(f"zones must be 1 to {MAX_ZONES}, got {zones}")
    network = ipaddress.ip_network(cidr, strict=True)
    blocks = list(network.subnets(prefixlen_diff=3))
    public = list(blocks[-1].subnets(prefixlen_diff=3))
    return SubnetPlan(
        private=tuple(str(block) for block in blocks[:zones]),
        public=tuple(str(block) for block in public[:zones]),
    )


@dataclass(frozen=True)
class GkeRanges:
    nodes: str
    pods: str
    services: str


def gke_ranges(cidr: str) -> GkeRanges:
    """A GKE subnet's primary range (nodes) and its secondary ranges (pods, services), from one network range:
    nodes and services take the first two eighths, pods the upper half (GKE gives each node a /24 of it). The third
    eighth held the proxy-only subnet of GKE's managed Gateway, which the stack no longer uses; it stays unused so
    that no deployed range moves."""
    network = ipaddress.ip_network(cidr, strict=True)
    eighths = list(network.subnets(prefixlen_diff=3))
    return GkeRanges(
        nodes=str(eighths[0]),
        services=str(eighths[1]),
        pods=str(list(network.subnets(prefixlen_diff=1))[1]),
    )
