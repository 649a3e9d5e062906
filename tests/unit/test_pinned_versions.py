"""No floating tag in components/versions.py: every image and chart version there names a release."""

from __future__ import annotations

import re

from components import versions

FLOATING = re.compile(r"(^|[:@/])(latest|main|master|nightly|edge|dev|stable)$")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
# A release may carry its project's prefix (`network-operator-v26.4.1`, `doca3.4.1-26.04-...`).
RELEASE = re.compile(r"([A-Za-z]+-?)*v?\d+\.\d+(\.\d+)?([-.][A-Za-z0-9.]+)*$")


def _pins() -> dict[str, str]:
    """Each string pin (an image's tag, a chart's version) by its constant's name; dicts of pins by key."""
    pins: dict[str, str] = {}
    for name, value in vars(versions).items():
        if not name.isupper():
            continue
        if isinstance(value, str) and (name.endswith(("_IMAGE", "_VERSION")) or name.endswith("_CHART")):
            pins[name] = value
        elif isinstance(value, dict):
            pins.update({f"{name}[{key}]": pin for key, pin in value.items() if isinstance(pin, str)})
    return pins


def test_every_image_tag_and_chart_version_names_a_release() -> None:
    pins = _pins()
    assert "ENDPOINT_PICKER_IMAGE" in pins
    for name, pin in pins.items():
        if pin.startswith(("oci://", "https://")):
            continue  # a chart's location; its version is pinned beside it
        if "@" in pin:
            # Pinned by digest: the content can never change, whatever the tag beside it says.
            assert DIGEST.search(pin), f"{name} = {pin!r} names no sha256 digest"
            continue
        tag = pin.rsplit(":", 1)[1] if "/" in pin else pin
        assert not FLOATING.search(tag), f"{name} = {pin!r} floats"
        assert RELEASE.match(tag), f"{name} = {pin!r} is not a release version"


def test_a_floating_tag_would_be_caught() -> None:
    assert FLOATING.search("main")
    assert FLOATING.search("latest")
    assert not RELEASE.match("main")
