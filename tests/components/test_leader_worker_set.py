"""LeaderWorkerSet: its controller and CRD, and the group a model past one node runs as, under mocks."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

import pytest

from components import versions
from components.serving import leader_worker_set as lws
from components.serving.fabric_pods import FabricPod
from components.serving.leader_worker_set import GroupArgs, LeaderWorkerSetServer, LwsPlatform, group_flags
from tests.components.test_vllm import gpu_args
from tools.crd_sources import CRD_SCHEMA_DIR
from tools.plan_diff import diff_values
from tools.replacement_rules import REPLACE, matching_rules
from tools.validation import custom_resource_errors

CRD = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition"
RELEASE = "kubernetes:helm.sh/v3:Release"
LWS = "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet"
SERVICE = "kubernetes:core/v1:Service"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
EFA = {"vpc.amazonaws.com/efa": "32"}


def group_args(**changes: Any) -> GroupArgs:
    server = gpu_args(gpus=8, replicas=1, max_replicas=1, context_length=32768)
    return GroupArgs(server=server, nodes=2, fabric=FabricPod(resources=EFA), platform_ready=[], **changes)


def build() -> dict[str, Any]:
    platform = LwsPlatform("lws")
    server = LeaderWorkerSetServer("deepseek", dataclasses.replace(group_args(), platform_ready=platform.ready))
    return {"baseUrl": server.base_url}


def spec(under_mocks: Any) -> dict[str, Any]:
    return under_mocks(build).inputs(LWS)["spec"]


def test_the_leader_serves_and_workers_run_headless_with_their_rank_from_lws() -> None:
    """vLLM v0.31.0 entrypoints/cli/serve.py: `--headless` runs no API server; engine/arg_utils.py: node r runs
    ranks r*TP.. ; LWS injects LWS_LEADER_ADDRESS and LWS_WORKER_INDEX (pkg/utils/pod/pod_utils.go)."""
    assert group_flags(2, "0") == [
        "--pipeline-parallel-size", "2", "--nnodes", "2", "--node-rank", "0",
        "--master-addr", "$(LWS_LEADER_ADDRESS)", "--master-port", "29501",
    ]  # fmt: skip
    assert group_flags(2, "$(LWS_WORKER_INDEX)")[-3:] == ["--master-port", "29501", "--headless"]


def test_a_group_is_one_leader_and_workers_restarted_together_never_surged(under_mocks: Any) -> None:
    body = spec(under_mocks)
    template = body["leaderWorkerTemplate"]
    assert (template["size"], template["restartPolicy"]) == (2, "RecreateGroupOnPodRestart")
    assert body["rolloutStrategy"]["rollingUpdateConfiguration"] == {"maxUnavailable": 1, "maxSurge": 0}
    assert body["replicas"] == 1


def test_every_pod_of_the_group_takes_a_whole_node_of_gpus_and_its_efa_interfaces(under_mocks: Any) -> None:
    template = spec(under_mocks)["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        [container] = template[role]["spec"]["containers"]
        limits = container["resources"]["limits"]
        assert (limits["nvidia.com/gpu"], limits["vpc.amazonaws.com/efa"]) == ("8", "32")
        assert container["resources"]["requests"] == limits
        assert "--tensor-parallel-size" in container["args"]
        assert container["args"][container["args"].index("--tensor-parallel-size") + 1] == "8"


def test_only_the_leader_listens_and_is_probed(under_mocks: Any) -> None:
    template = spec(under_mocks)["leaderWorkerTemplate"]
    [leader] = template["leaderTemplate"]["spec"]["containers"]
    [worker] = template["workerTemplate"]["spec"]["containers"]
    assert leader["readinessProbe"]["httpGet"]["path"] == "/health"
    assert "readinessProbe" not in worker
    assert "ports" not in worker
    assert worker["args"][-1] == "--headless"


def test_dev_shm_is_sized_for_nccl_on_every_pod(under_mocks: Any) -> None:
    template = spec(under_mocks)["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        volumes = {v["name"]: v for v in template[role]["spec"]["volumes"]}
        assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "16Gi"}


def test_the_service_selects_the_leaders_only(under_mocks: Any) -> None:
    selector = under_mocks(build).inputs(SERVICE)["spec"]["selector"]
    assert selector["leaderworkerset.sigs.k8s.io/worker-index"] == "0"


def test_the_group_reaches_its_own_pods_on_every_port(under_mocks: Any) -> None:
    group = under_mocks(build).inputs(POLICY, "deepseek-group-policy")["spec"]
    assert group["ingress"] == [{"from": [{"podSelector": {"matchLabels": group["podSelector"]["matchLabels"]}}]}]
    assert "ports" not in group["ingress"][0]


def test_the_leader_worker_set_is_awaited_until_available(under_mocks: Any) -> None:
    annotations = under_mocks(build).inputs(LWS)["metadata"]["annotations"]
    assert annotations["pulumi.com/waitFor"] == "condition=Available"


def test_the_leader_worker_set_validates_against_the_pinned_crd(under_mocks: Any) -> None:
    """schemas/crds/ holds the v1 schema of the same CRD at LWS_VERSION (tools/crd_sources.py)."""
    body = {"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet", **under_mocks(build).inputs(LWS)}
    for role in ("leaderTemplate", "workerTemplate"):
        body["spec"]["leaderWorkerTemplate"][role]["spec"]["serviceAccountName"] = "deepseek"
    assert custom_resource_errors(body) == []
    body["spec"]["leaderWorkerTemplate"]["restartPolicy"] = "Sometimes"
    assert custom_resource_errors(body) != []


def test_the_vendored_crd_serves_the_schema_the_validation_uses() -> None:
    [version] = lws.crd_body()["spec"]["versions"]
    vendored = json.loads((CRD_SCHEMA_DIR / "leaderworkerset-leaderworkerset.x-k8s.io-v1.json").read_text())
    assert version["schema"]["openAPIV3Schema"] == vendored


def test_the_crd_is_the_stacks_own_kept_on_delete_and_the_chart_skips_its_copy(under_mocks: Any) -> None:
    registered = under_mocks(build)
    crd = registered.one(CRD)
    release = registered.inputs(RELEASE)
    assert crd.inputs["metadata"]["name"] == "leaderworkersets.leaderworkerset.x-k8s.io"
    assert crd.retain_on_delete is True
    assert (release["skipCrds"], release["chart"], release["version"]) == (True, versions.LWS_CHART, "v0.10.0")
    assert release["namespace"] == "lws-system"


def test_the_chart_runs_the_pinned_image_not_its_values_main_tag(under_mocks: Any) -> None:
    """charts/lws/values.yaml says `tag: main`, `pullPolicy: Always`; only hack/push-chart.sh rewrites them."""
    manager = under_mocks(build).inputs(RELEASE)["values"]["image"]["manager"]
    assert manager == {"repository": "registry.k8s.io/lws/lws", "tag": "v0.10.0", "pullPolicy": "IfNotPresent"}


def test_the_crds_conversion_webhook_names_the_namespace_the_chart_goes_to() -> None:
    service = lws.crd_body()["spec"]["conversion"]["webhook"]["clientConfig"]["service"]
    assert (service["namespace"], service["name"]) == (lws.NAMESPACE, "lws-webhook-service")


def test_an_lws_upgrade_updates_the_crd_in_place_and_never_replaces_it(
    under_mocks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upgrade: a new release pin and a CRD whose schema changed. The CRD keeps its URN, and no changed
    property falls under a replacement rule (pulumi-kubernetes replaces a CRD only on a new name)."""
    before = under_mocks(build)
    newer = copy.deepcopy(lws.crd_body())
    newer["metadata"]["annotations"]["controller-gen.kubebuilder.io/version"] = "v0.18.0"
    schema = newer["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
    schema["futureField"] = {"type": "string"}
    monkeypatch.setattr(lws, "crd_body", lambda: newer)
    monkeypatch.setattr(versions, "LWS_VERSION", "v0.11.0")
    after = under_mocks(build)
    old, new = before.one(CRD), after.one(CRD)
    changes = diff_values(old.inputs, new.inputs)
    assert old.urn == new.urn
    assert changes
    for change in changes:
        assert not [r for r in matching_rules(CRD, change.path, new.inputs) if r.effect == REPLACE], change.path
    assert after.inputs(RELEASE)["version"] == "v0.11.0"


def test_the_controller_runs_under_pod_security_restricted(under_mocks: Any) -> None:
    """charts/lws/values.yaml's podSecurityContext has runAsNonRoot only; `restricted` also needs seccomp."""
    registered = under_mocks(build)
    values = registered.inputs(RELEASE)["values"]
    namespace = next(
        r for r in registered.all("kubernetes:core/v1:Namespace") if r.inputs["metadata"]["name"] == "lws-system"
    )
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert values["podSecurityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert values["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert values["securityContext"]["allowPrivilegeEscalation"] is False


def test_group_pods_run_under_pod_security_restricted(under_mocks: Any) -> None:
    template = spec(under_mocks)["leaderWorkerTemplate"]
    for role in ("leaderTemplate", "workerTemplate"):
        pod = template[role]["spec"]
        [container] = pod["containers"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
