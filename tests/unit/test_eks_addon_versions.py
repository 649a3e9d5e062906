"""The EKS add-on builds pinned per Kubernetes minor (components/versions.py)."""

from __future__ import annotations

import re

import pytest

from components import versions
from components.clusters.ebs import DRIVER_ADDON as EBS_DRIVER_ADDON
from components.clusters.efs import DRIVER_ADDON
from components.clusters.eks import ADDONS

EKS_BUILD = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
"""How EKS names an add-on build (`aws eks describe-addon-versions`)."""


def test_every_add_on_the_stack_installs_has_a_build_for_every_supported_minor() -> None:
    assert set(versions.EKS_ADDON_VERSIONS) == {*ADDONS, DRIVER_ADDON, EBS_DRIVER_ADDON}
    for addon, builds in versions.EKS_ADDON_VERSIONS.items():
        assert set(builds) == set(versions.SUPPORTED_KUBERNETES_VERSIONS), addon


@pytest.mark.parametrize("addon", sorted(versions.EKS_ADDON_VERSIONS))
def test_every_pin_is_an_eks_build_name(addon: str) -> None:
    for minor, build in versions.EKS_ADDON_VERSIONS[addon].items():
        assert EKS_BUILD.match(build), (addon, minor, build)


def test_kube_proxy_runs_the_clusters_own_minor() -> None:
    # kube-proxy may run behind the API server, never ahead; EKS builds one per minor.
    for minor, build in versions.EKS_ADDON_VERSIONS["kube-proxy"].items():
        assert build.startswith(f"v{minor}."), (minor, build)
