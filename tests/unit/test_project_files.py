"""Pulumi.yaml, the manual (docs/manual.md) and requirements agree with the config model."""

from __future__ import annotations

import re

import yaml

from components.clusters.eks import CONTROL_PLANE_LOGS, control_plane_log_group
from stacks.config.schema import (
    OBJECT_KEYS,
    SECRET_KEYS,
    ClientConfig,
    GpuPool,
    GpuSharing,
    LoadBalancerConfig,
    ModelArchitectureConfig,
    ModelServing,
    RawConfig,
)
from tools.offline import ROOT

PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
MANUAL = (ROOT / "docs" / "manual.md").read_text()


def _keys(model: type) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def test_project_runs_python_in_the_projects_virtual_environment() -> None:
    assert PROJECT["name"] == "llm-platform"
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_pulumi_yaml_declares_every_scalar_key_with_a_description() -> None:
    declared = PROJECT["config"]
    assert set(declared) == set(_keys(RawConfig))
    for key, declaration in declared.items():
        assert declaration["description"], key
        # The project schema types only these; anything else makes the CLI reject the file.
        assert declaration["type"] in {"string", "integer", "boolean", "array"}, key


def test_only_target_is_required_by_the_cli() -> None:
    # A declared key without a default is one the CLI demands from every stack.
    assert [key for key, d in PROJECT["config"].items() if "default" not in d] == ["target"]


def test_pulumi_yaml_defaults_match_the_model() -> None:
    for key, declaration in PROJECT["config"].items():
        field = next(f for n, f in RawConfig.model_fields.items() if (f.alias or n) == key)
        if declaration.get("default") not in (None, ""):
            assert declaration["default"] == field.get_default(call_default_factory=True), key


def test_structured_and_secret_keys_are_explained_in_pulumi_yaml() -> None:
    text = (ROOT / "Pulumi.yaml").read_text()
    for key in [*OBJECT_KEYS, *SECRET_KEYS]:
        assert re.search(rf"^#\s+{key}\s", text, re.MULTILINE), key


def test_readme_documents_every_key() -> None:
    documented = set(re.findall(r"^\| `([A-Za-z.\[\]]+)` \|", MANUAL, re.MULTILINE))
    expected = {*_keys(RawConfig), *OBJECT_KEYS, *SECRET_KEYS, *_keys(GpuPool), *_keys(ModelServing)}
    expected |= {f"sharing.{key}" for key in _keys(GpuSharing)}
    expected |= {f"loadBalancer.{key}" for key in _keys(LoadBalancerConfig)}
    expected |= {f"clients[].{key}" for key in _keys(ClientConfig)}
    expected -= {"sharing", "loadBalancer"}
    assert expected <= documented, sorted(expected - documented)
    for key in _keys(ModelArchitectureConfig):
        assert f"`{key}`" in MANUAL, key


def test_runtime_requirements_are_pinned_exactly() -> None:
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-checkov.txt", "requirements-uv.txt"):
        for line in (ROOT / name).read_text().splitlines():
            if line and not line.startswith(("#", "-r ")):
                # An exact version, with a PEP 440 epoch where the package uses one (grafana-foundation-sdk).
                assert re.fullmatch(r"[A-Za-z0-9_.-]+==([0-9]+!)?[0-9][A-Za-z0-9.]*", line), f"{name}: {line}"


def test_program_dependencies_stay_out_of_the_dev_only_tools() -> None:
    runtime = (ROOT / "requirements.txt").read_text()
    for tool in ("pytest", "checkov", "kubernetes-validate", "ruff", "hypothesis"):
        assert tool not in runtime
    for package in ("pulumi==", "pulumi-kubernetes==", "pulumi-aws==", "pulumi-gcp==", "pulumi-azure-native=="):
        assert package in runtime


def _stack_rows() -> dict[str, list[str]]:
    section = MANUAL.split("## Stacks", 1)[1].split("\n\n", 2)[1]
    rows = [line.strip("|").split("|") for line in section.splitlines()[2:]]
    return {cells[0].strip().strip("`"): [cell.strip() for cell in cells[1:]] for cells in rows}


def test_readme_stack_matrix_matches_the_stack_files() -> None:
    from tools.offline import stack_names

    rows = _stack_rows()
    assert sorted(rows) == stack_names()
    for stack, (cloud, region, pools, gpus, models) in rows.items():
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        assert cloud == config["llm-platform:target"], stack
        assert region == config.get("llm-platform:region", "—"), stack
        stack_pools = config.get("llm-platform:gpuPools", {})
        assert pools == (", ".join(f"`{name}`" for name in stack_pools) or "—"), stack
        stack_gpus = list(dict.fromkeys(pool["gpu"] for pool in stack_pools.values()))
        assert gpus == (", ".join(stack_gpus) or "—"), stack
        assert models == ", ".join(f"`{name}`" for name in config["llm-platform:models"]), stack


def test_the_destroy_caution_says_how_to_recover_the_log_group_eks_recreates() -> None:
    # EKS recreates its control-plane log group after destroy (terraform-aws-eks#2763); the next up fails on it.
    caution = MANUAL.split("> [!CAUTION]\n> `deletionProtection`", 1)[1].split("\n\n", 1)[0]
    group = control_plane_log_group("<clusterName>")
    assert f"aws logs delete-log-group --log-group-name {group}" in caution
    assert "aws eks update-cluster-config --name <clusterName>" in caution
    # Turning logging off names every type the stack turns on.
    assert all(f'"{log}"' in caution for log in CONTROL_PLANE_LOGS)
