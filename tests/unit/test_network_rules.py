"""`networkCidr` is an RFC 1918 IPv4 range the clusters leave free, and source ranges (`publicApiCidrs`,
`loadBalancer.sourceRanges`) admit at most a /8's worth of public addresses: no split of the internet passes."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stacks.config import parse_config
from stacks.config.rules.networks import public_addresses, source_range_findings
from tests.unit.test_config import existing, model
from tests.unit.test_config import problems as existing_problems
from tests.unit.test_config_clouds import aws, problems

REASON = "CI deploys from 203.0.113.0/24"
NETWORK_RULE = (
    "must be an IPv4 range from /16 to /20 inside 10.0.0.0/8 or 192.168.0.0/16 (172.16.0.0/12 is kept for the "
    "clusters' service, pod and control-plane ranges), such as '10.0.0.0/16'"
)


@pytest.mark.parametrize(
    "cidr",
    [
        "fd00::/48",  # IPv6 (unique local: private, but the stack's networks are IPv4)
        "0.0.0.0/16",  # "this network"
        "127.0.0.0/16",  # loopback
        "169.254.0.0/16",  # link-local
        "100.64.0.0/16",  # carrier-grade NAT
        "172.31.0.0/16",  # RFC 1918, but the clusters' own ranges
        "10.0.0.0/8",  # too large
        "192.168.0.0/24",  # too small
    ],
)
def test_the_network_is_an_rfc1918_range_the_clusters_leave_free(cidr: str) -> None:
    assert problems(aws(networkCidr=cidr)) == [f"networkCidr: '{cidr}' {NETWORK_RULE}"]


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.64.0.0/18", "192.168.0.0/16", "192.168.16.0/20"])
def test_networks_inside_10_and_192_168_plan(cidr: str) -> None:
    assert parse_config(aws(networkCidr=cidr), stack="t").network_cidr == cidr


def test_a_network_with_host_bits_is_told_the_range() -> None:
    assert problems(aws(networkCidr="10.0.0.1/16")) == [
        "networkCidr: '10.0.0.1/16' has host bits set; use '10.0.0.0/16'"
    ]


def test_a_network_that_is_no_cidr_says_what_is_allowed() -> None:
    assert problems(aws(networkCidr="office")) == [f"networkCidr: 'office' is not a CIDR block; it {NETWORK_RULE}"]


def test_the_internet_in_two_halves_does_not_open_the_api() -> None:
    cidrs = ["0.0.0.0/1", "128.0.0.0/1"]
    assert problems(aws(publicApiCidrs=cidrs, publicApiReason=REASON)) == [
        "publicApiCidrs: would open the Kubernetes API to 3,702,390,784 public IPv4 addresses, more than one /8 "
        "(IPv4, 16,777,216) or /32 (IPv6) holds; list only the ranges that need it (an office's /24, a CI "
        "provider's published ranges)"
    ]


def test_the_same_bound_holds_for_a_load_balancers_source_ranges() -> None:
    ranges = ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/2", "192.0.0.0/2"]
    assert existing_problems(existing(models={"chat": model(loadBalancer={"sourceRanges": ranges})})) == [
        "models.chat.loadBalancer.sourceRanges: would open the model's endpoint to 3,702,390,784 public IPv4 "
        "addresses, more than one /8 (IPv4, 16,777,216) or /32 (IPv6) holds; list only the ranges that need it (an "
        "office's /24, a CI provider's published ranges)"
    ]


def test_the_ipv6_internet_in_halves_does_not_open_the_api_either() -> None:
    [finding] = source_range_findings("publicApiCidrs", ["::/1", "8000::/1"], exposes="the Kubernetes API")
    # Only global unicast (2000::/3) counts: 2^125 addresses.
    assert finding.message.startswith(f"would open the Kubernetes API to {2**125:,} public IPv6 addresses")


def test_offices_and_ci_ranges_open_the_api() -> None:
    cidrs = ["203.0.113.0/24", "198.51.100.0/24", "192.0.2.128/25", "2001:db8::/48", "140.82.112.0/20"]
    assert parse_config(aws(publicApiCidrs=cidrs, publicApiReason=REASON), stack="t").public_api_cidrs == tuple(cidrs)


def test_every_private_range_fits_an_internal_load_balancer() -> None:
    # Private addresses are not the internet: an internal load balancer may admit the whole private network.
    ranges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"]
    config = parse_config(existing(models={"chat": model(loadBalancer={"sourceRanges": ranges})}), stack="t")
    assert config.models["chat"].spec.load_balancer is not None


def test_public_addresses_count_overlaps_once_and_private_ones_not_at_all() -> None:
    networks = [ipaddress.IPv4Network(n) for n in ("11.0.0.0/8", "11.1.0.0/16", "10.0.0.0/8", "12.0.0.0/24")]
    assert public_addresses(networks) == 2**24 + 256


@st.composite
def splits_of(draw: st.DrawFn, whole: str) -> list[str]:
    """`whole` cut into 1 to 40 CIDR blocks by halving pieces at random."""
    pieces = [ipaddress.ip_network(whole)]
    for _ in range(draw(st.integers(min_value=0, max_value=39))):
        index = draw(st.integers(min_value=0, max_value=len(pieces) - 1))
        if pieces[index].prefixlen < pieces[index].max_prefixlen:
            pieces[index : index + 1] = list(pieces[index].subnets(prefixlen_diff=1))
    return [str(piece) for piece in draw(st.permutations(pieces))]


@settings(derandomize=True, max_examples=300, deadline=None)
@given(pieces=splits_of("0.0.0.0/0"), extra=st.lists(st.sampled_from(["203.0.113.0/24", "10.0.0.0/8"]), max_size=2))
def test_no_split_of_the_internet_passes(pieces: list[str], extra: list[str]) -> None:
    findings = source_range_findings("publicApiCidrs", [*pieces, *extra], exposes="the Kubernetes API")
    assert findings
    assert all(f.path.startswith("publicApiCidrs") for f in findings)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    networks=st.lists(
        st.builds(
            lambda address, prefix: str(ipaddress.IPv4Network((address, prefix), strict=False)),
            st.integers(min_value=0, max_value=2**32 - 1),
            st.integers(min_value=14, max_value=32),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_up_to_forty_ranges_of_a_slash_14_or_narrower_always_pass(networks: list[str]) -> None:
    # 40 x 2^18 addresses is less than a /8 (MAX_PUBLIC_IPV4): what real users list (offices, VPNs, CI ranges)
    # stays well inside.
    assert source_range_findings("publicApiCidrs", networks, exposes="the Kubernetes API") == []
