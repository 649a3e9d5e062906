"""`region` must be one of the cloud's public regions (components/catalog/regions.py), and a GKE pool's `zones`
zones of that region: a wrong one is otherwise found by the cloud, after other resources were created."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from components.catalog.gpu_zones import GCP_MACHINE_ZONES
from components.catalog.instances import Cloud
from components.catalog.regions import REGIONS
from stacks.config.rules import Finding


def region_findings(cloud: Cloud, region: str) -> list[Finding]:
    regions = REGIONS[cloud]
    if region in regions:
        return []
    elsewhere = [other for other in Cloud if other is not cloud and region in REGIONS[other]]
    what = f"{_a(elsewhere[0])} region, not {_a(cloud)} one" if elsewhere else f"not {_a(cloud)} region"
    close = difflib.get_close_matches(region, sorted(regions), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of {', '.join(map(repr, sorted(regions)))}"
    return [Finding("region", f"{region!r} is {what}; {hint}")]


def region_name_hint(value: str) -> str | None:
    """`did you mean 'eastus2'?` for a region written as the portal shows it ('East US 2', 'US East (N. Virginia)'
    is too far): Azure's API names are its display names in lowercase without spaces."""
    squeezed = re.sub(r"[^a-z0-9]", "", value.lower())
    for cloud in Cloud:
        if squeezed in REGIONS[cloud]:
            return f"did you mean {squeezed!r} (the {cloud} API name)?"
    return None


def zone_findings(path: str, region: str, zones: Sequence[str]) -> list[Finding]:
    """GKE zones are `<region>-<letter>` (e.g. us-central1-a)."""
    return [
        Finding(path, f"{zone!r} is not a zone of region {region!r}; zones are '{region}-<letter>', e.g. '{region}-a'")
        for zone in zones
        if not re.fullmatch(rf"{re.escape(region)}-[a-z]", zone)
    ]


def gpu_zone_findings(path: str, region: str, zones: Sequence[str], machines: Sequence[str]) -> list[Finding]:
    """Zones where none of the pool's candidate machine types is sold (components/catalog/gpu_zones.py), where the
    catalogue knows those types; a malformed zone is zone_findings' to report."""
    known = [GCP_MACHINE_ZONES[machine] for machine in machines if machine in GCP_MACHINE_ZONES]
    if not known:
        return []
    sold = sorted(set().union(*(by_region.get(region, frozenset()) for by_region in known)))
    where = f"use {', '.join(map(repr, sold))}" if sold else f"no zone of {region} sells them: pick another region"
    names = ", ".join(machines) if len(machines) <= 3 else f"{machines[0]} and {len(machines) - 1} more"
    return [
        Finding(path, f"{zone!r} does not sell this pool's machine types ({names}); {where}")
        for zone in zones
        if re.fullmatch(rf"{re.escape(region)}-[a-z]", zone) and zone not in sold
    ]


def _a(cloud: Cloud) -> str:
    return f"{'an' if cloud in (Cloud.AWS, Cloud.AZURE) else 'a'} {cloud}"
