"""The zones of each region where GCP sells a GPU machine type: a GKE pool's `zones` must be among them, or its
node pool fails to create after the cluster exists.

From SkyPilot's catalogue of the Compute Engine API (skypilot-org/skypilot-catalog, catalogs/v8/gcp/vms.csv at
006059e0f18acb1341e22a27751e9f80df6ba92f, the snapshot the price catalogue was read from; the `AvailabilityZone`
of each machine type's rows), read 2026-12-07. Machine types absent here (N1 with T4) are not checked."""

from __future__ import annotations

from components.catalog.instances import INSTANCES, Cloud


def _zones(table: dict[str, str]) -> dict[str, frozenset[str]]:
    """`{"us-central1": "abc"}` -> `{"us-central1": {"us-central1-a", ...}}`."""
    return {region: frozenset(f"{region}-{letter}" for letter in letters) for region, letters in table.items()}


_G2 = _zones(
    {
        "asia-east1": "abc",
        "asia-northeast1": "abc",
        "asia-northeast3": "ab",
        "asia-south1": "abc",
        "asia-southeast1": "abc",
        "europe-west1": "bc",
        "europe-west2": "ab",
        "europe-west3": "ab",
        "europe-west4": "abc",
        "europe-west6": "bc",
        "me-central2": "ac",
        "northamerica-northeast1": "bc",
        "northamerica-northeast2": "ab",
        "us-central1": "abc",
        "us-east1": "bcd",
        "us-east4": "ac",
        "us-west1": "abc",
        "us-west4": "ac",
    }
)
_A2_HIGH = _zones(
    {
        "asia-northeast1": "ac",
        "asia-northeast3": "ab",
        "asia-southeast1": "abc",
        "europe-west4": "ab",
        "me-west1": "ac",
        "us-central1": "abcf",
        "us-east1": "b",
        "us-west1": "b",
        "us-west3": "b",
        "us-west4": "b",
    }
)
_A2_MEGA = _zones({"asia-southeast1": "ac", "europe-west4": "ab", "us-central1": "abcf"})
_A2_ULTRA = _zones(
    {"asia-southeast1": "c", "europe-west4": "a", "us-central1": "ac", "us-east4": "c", "us-east5": "ab"}
)
_A3_HIGH_8G = _zones(
    {
        "asia-east1": "c",
        "asia-northeast1": "b",
        "asia-south1": "c",
        "asia-south2": "b",
        "asia-southeast1": "bc",
        "australia-southeast1": "c",
        "europe-north1": "c",
        "europe-west1": "bc",
        "europe-west3": "c",
        "europe-west4": "bc",
        "europe-west9": "c",
        "us-central1": "abc",
        "us-east4": "abc",
        "us-east5": "a",
        "us-west1": "ab",
        "us-west4": "a",
    }
)
# The smaller A3 High types are also sold in europe-west8.
_A3_HIGH = {**_A3_HIGH_8G, **_zones({"europe-west8": "c"})}
_A3_ULTRA = _zones(
    {
        "asia-south1": "b",
        "asia-south2": "c",
        "europe-west1": "b",
        "europe-west4": "a",
        "us-central1": "b",
        "us-east4": "b",
        "us-east5": "a",
        "us-south1": "b",
        "us-west1": "c",
    }
)


def _family(name: str) -> dict[str, frozenset[str]] | None:
    if name.startswith("g2-standard-"):
        return _G2
    if name.startswith("a2-highgpu-"):
        return _A2_HIGH
    if name == "a2-megagpu-16g":
        return _A2_MEGA
    if name.startswith("a2-ultragpu-"):
        return _A2_ULTRA
    if name == "a3-highgpu-8g":
        return _A3_HIGH_8G
    if name.startswith("a3-highgpu-"):
        return _A3_HIGH
    if name.startswith("a3-ultragpu-"):
        return _A3_ULTRA
    return None


GCP_MACHINE_ZONES: dict[str, dict[str, frozenset[str]]] = {
    instance.name: zones for instance in INSTANCES[Cloud.GCP] if (zones := _family(instance.name)) is not None
}
"""GPU machine type -> region -> the zones that sell it; a region missing from a known type's map sells it nowhere."""
