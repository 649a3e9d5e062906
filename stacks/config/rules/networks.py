"""Address ranges in the configuration: the network the stack creates, and the source ranges that may reach the
Kubernetes API or a model's load balancer."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from stacks.config.rules import Finding

IPv4Network = ipaddress.IPv4Network
IPv6Network = ipaddress.IPv6Network

# RFC 1918's ranges, less 172.16.0.0/12, which the clusters keep for their service, pod and control-plane ranges
# (the EKS service range 172.20.0.0/16, AKS's 172.16.0.0/16 pods and 172.17.0.0/16 services, GKE's secondary ranges).
NETWORK_RANGES = (ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Network("192.168.0.0/16"))
NETWORK_PREFIXES = range(16, 21)

# Source ranges: together they may admit at most as many public addresses as one IPv4 /8 (or, for IPv6, one /32):
# an office's /24, a VPN's egress addresses or a CI provider's published ranges fit many times over, and no split
# of the internet does, however many pieces it is cut into (0.0.0.0/1 + 128.0.0.0/1 is still 3.7 billion).
MAX_PUBLIC_IPV4 = 2**24
MAX_PUBLIC_IPV6 = 2**96
# Addresses that are not on the public internet (IANA special-purpose registries): listing them opens nothing to it.
_NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "224.0.0.0/3",  # multicast and reserved
    )
)
_PUBLIC_V6 = ipaddress.IPv6Network("2000::/3")  # global unicast


def network_cidr_findings(cidr: str) -> list[Finding]:
    """The network the stack creates: IPv4, /16 to /20, inside 10.0.0.0/8 or 192.168.0.0/16."""
    allowed = (
        "must be an IPv4 range from /16 to /20 inside 10.0.0.0/8 or 192.168.0.0/16 (172.16.0.0/12 is kept for the "
        "clusters' service, pod and control-plane ranges), such as '10.0.0.0/16'"
    )
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return [Finding("networkCidr", f"{cidr!r} is not a CIDR block; it {allowed}")]
    if str(network) != cidr:
        return [Finding("networkCidr", f"{cidr!r} has host bits set; use '{network}'")]
    inside = isinstance(network, IPv4Network) and any(network.subnet_of(block) for block in NETWORK_RANGES)
    if not inside or network.prefixlen not in NETWORK_PREFIXES:
        return [Finding("networkCidr", f"{cidr!r} {allowed}")]
    return []


def source_range_findings(key: str, cidrs: Sequence[str], *, exposes: str) -> list[Finding]:
    """Valid CIDR blocks without host bits that together admit a bounded part of the internet."""
    findings: list[Finding] = []
    networks: list[IPv4Network | IPv6Network] = []
    for index, cidr in enumerate(cidrs):
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            findings.append(Finding(f"{key}[{index}]", f"{cidr!r} is not a CIDR block such as '203.0.113.0/24'"))
            continue
        if str(network) != cidr:
            findings.append(Finding(f"{key}[{index}]", f"{cidr!r} has host bits set; use '{network}'"))
        elif network.prefixlen == 0:
            whole = f"{cidr!r} would open {exposes} to the whole internet; list the ranges that need it"
            findings.append(Finding(f"{key}[{index}]", whole))
        else:
            networks.append(network)
    if findings:
        return findings
    v4 = public_addresses([n for n in networks if isinstance(n, IPv4Network)])
    v6 = public_addresses([n for n in networks if isinstance(n, IPv6Network)])
    if v4 > MAX_PUBLIC_IPV4 or v6 > MAX_PUBLIC_IPV6:
        count = f"{v4:,} public IPv4 addresses" if v4 > MAX_PUBLIC_IPV4 else f"{v6:,} public IPv6 addresses"
        findings.append(
            Finding(
                key,
                f"would open {exposes} to {count}, more than one /8 (IPv4, {MAX_PUBLIC_IPV4:,}) or /32 (IPv6) holds; "
                "list only the ranges that need it (an office's /24, a CI provider's published ranges)",
            )
        )
    return findings


def public_addresses(networks: Iterable[IPv4Network] | Iterable[IPv6Network]) -> int:
    """How many public internet addresses the union of `networks` (all of one IP version) holds."""
    union = list(ipaddress.collapse_addresses(networks))  # type: ignore[type-var]
    total = 0
    for network in union:
        if isinstance(network, IPv4Network):
            # CIDR blocks either nest or are disjoint, and the non-public blocks are disjoint from each other.
            total += network.num_addresses - sum(_overlap(network, block) for block in _NOT_PUBLIC_V4)
        else:
            total += _overlap(network, _PUBLIC_V6)
    return total


def _overlap(a: IPv4Network | IPv6Network, b: IPv4Network | IPv6Network) -> int:
    if a.subnet_of(b):  # type: ignore[arg-type]
        return a.num_addresses
    if b.subnet_of(a):  # type: ignore[arg-type]
        return b.num_addresses
    return 0
