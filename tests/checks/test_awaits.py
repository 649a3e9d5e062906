"""What a real `pulumi up` of every example stack would wait for, read from its planned objects the way
pulumi-kubernetes reads them (components/serving/awaits.py): nothing awaited may depend on a controller the stack
neither installs nor checks, and whatever stands in front of a model waits as long as the model's rollout."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.serving import awaits
from components.serving.awaits import await_of
from tests.support import stack_config
from tools.offline import Mode, planned_stack_names, run_program
from tools.plan import build_plan

STACKS = planned_stack_names()
CLUSTER = "the cluster's own controllers"
CLOUD_LOAD_BALANCER = "the cloud's load-balancer controller, in the stack's own network"
INGRESS_CONTROLLER = "an ingress controller"
INGRESS_CONTROLLER_CHARTS = {"ingress-nginx", "traefik", "haproxy-ingress", "contour"}
GATEWAY_ADDRESS = "a Gateway implementation the stack installs or the cluster runs, and the cloud's load balancer"
# Custom resources that wait, by API group: the chart that installs the controller setting their condition.
OPERATOR_CHARTS = {"serving.kserve.io": "kserve-resources", "leaderworkerset.x-k8s.io": "lws"}
# What runs a model: one pod (Deployment), KServe's predictor, or a group of nodes (LeaderWorkerSet).
MODEL_WORKLOADS = {"Deployment", "InferenceService", "LeaderWorkerSet"}
# What the selector of a Service in front of a model names it by.
MODEL_SELECTOR_KEYS = ("app.kubernetes.io/instance", "serving.kserve.io/inferenceservice")


def _manifests(plans: dict[Any, Any], stack: str) -> list[dict[str, Any]]:
    return list(plans[(stack, Mode.UPDATE)].manifests.values())


def _charts(plans: dict[Any, Any], stack: str) -> set[str]:
    return {
        resource["inputs"]["chart"].rsplit("/", 1)[-1]
        for resource in plans[(stack, Mode.UPDATE)].document["resources"]
        if resource["type"] == "kubernetes:helm.sh/v3:Release"
    }


def _installed(plans: dict[Any, Any], stack: str) -> set[str]:
    """What makes objects ready on this stack's cluster: its own controllers, the charts the stack installs, and
    the cloud's load-balancer controller where the stack creates cluster and network."""
    config = stack_config(stack)
    installed = {CLUSTER, *_charts(plans, stack)}
    if config["llm-platform:target"] != "existing" and not config.get("llm-platform:existingSubnetIds"):
        installed.add(CLOUD_LOAD_BALANCER)
    if installed & INGRESS_CONTROLLER_CHARTS:
        installed.add(INGRESS_CONTROLLER)
    gateway_controller = "agentgateway" in installed or config["llm-platform:target"] == "gcp"
    if gateway_controller and CLOUD_LOAD_BALANCER in installed:
        installed.add(GATEWAY_ADDRESS)
    return installed


def _ready_by(manifest: dict[str, Any]) -> str:
    """Who must act before pulumi-kubernetes sees this object ready."""
    kind = manifest["kind"]
    if kind == "Ingress":
        return INGRESS_CONTROLLER
    if kind == "Gateway":
        return GATEWAY_ADDRESS
    if kind == "Service" and manifest["spec"].get("type") == "LoadBalancer":
        return CLOUD_LOAD_BALANCER
    group = manifest["apiVersion"].split("/")[0]
    if "/" in manifest["apiVersion"] and group in OPERATOR_CHARTS:
        return OPERATOR_CHARTS[group]
    return CLUSTER


def _model_of(manifest: dict[str, Any], models: dict[str, Any]) -> str | None:
    """The model this object runs or stands in front of, if any."""
    metadata = manifest["metadata"]
    if manifest["kind"] in MODEL_WORKLOADS and metadata["name"] in models:
        return str(metadata["name"])
    selector = (manifest.get("spec") or {}).get("selector") or {}
    for key in MODEL_SELECTOR_KEYS:
        if selector.get(key) in models:
            return str(selector[key])
    return None


def _pod_specs(workload: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod specs a model workload runs: a LeaderWorkerSet's leader (when it has its own template) and workers."""
    spec = workload["spec"]
    if workload["kind"] == "Deployment":
        return [spec["template"]["spec"]]
    if workload["kind"] == "InferenceService":
        return [spec["predictor"]]
    templates = spec["leaderWorkerTemplate"]
    return [t["spec"] for t in (templates.get("leaderTemplate"), templates["workerTemplate"]) if t]


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_awaited_depends_on_a_controller_the_stack_neither_installs_nor_checks(
    plans: dict[Any, Any], stack: str
) -> None:
    installed = _installed(plans, stack)
    for manifest in _manifests(plans, stack):
        if await_of(manifest) is not None:
            assert _ready_by(manifest) in installed, (manifest["kind"], manifest["metadata"]["name"])


@pytest.mark.parametrize("stack", STACKS)
def test_whatever_pulumi_waits_for_in_front_of_a_model_waits_out_its_rollout(plans: dict[Any, Any], stack: str) -> None:
    # A rollout replaces one pod at a time, up to maxReplicas of them; each may take the model's startup budget
    # (node scale-up, image pull, weight download, load) before the probe's own clock even starts.
    models = plans[(stack, Mode.UPDATE)].document["outputs"]["models"]
    for manifest in _manifests(plans, stack):
        model = _model_of(manifest, models)
        wait = await_of(manifest)
        if model is not None and wait is not None:
            need = max(1, models[model]["replicas"]["max"]) * models[model]["coldStart"]["startupBudgetSeconds"]
            assert wait.seconds >= need, (manifest["kind"], manifest["metadata"]["name"], wait, need)


@pytest.mark.parametrize("stack", STACKS)
def test_pulumi_up_ends_only_when_every_model_serves(plans: dict[Any, Any], stack: str) -> None:
    models = plans[(stack, Mode.UPDATE)].document["outputs"]["models"]
    awaited = {
        _model_of(manifest, models)
        for manifest in _manifests(plans, stack)
        if manifest["kind"] in MODEL_WORKLOADS and await_of(manifest) is not None
    }
    # Workloads of no model (an endpoint picker) are awaited too; every model must be among the awaited.
    assert awaited - {None} == set(models)


@pytest.mark.parametrize("stack", STACKS)
def test_cache_claims_are_awaited_through_the_workload_that_mounts_them(plans: dict[Any, Any], stack: str) -> None:
    # A claim's own wait ends after a fixed five minutes; the Deployment's waits until its claims are Bound.
    manifests = _manifests(plans, stack)
    claims = [m["metadata"]["name"] for m in manifests if m["kind"] == "PersistentVolumeClaim"]
    mounted_by_awaited: set[str] = set()
    for manifest in manifests:
        if await_of(manifest) is None or manifest["kind"] not in MODEL_WORKLOADS:
            continue
        mounted_by_awaited |= {
            v["persistentVolumeClaim"]["claimName"]
            for pod in _pod_specs(manifest)
            for v in pod["volumes"]
            if "persistentVolumeClaim" in v
        }
    for manifest in manifests:
        if manifest["kind"] == "PersistentVolumeClaim":
            assert await_of(manifest) is None, manifest["metadata"]["name"]
    assert set(claims) <= mounted_by_awaited


@pytest.mark.parametrize("stack", STACKS)
def test_every_helm_release_waits_for_what_the_rule_says(plans: dict[Any, Any], stack: str) -> None:
    for resource in plans[(stack, Mode.UPDATE)].document["resources"]:
        if resource["type"] == "kubernetes:helm.sh/v3:Release":
            inputs = resource["inputs"]
            assert inputs["chart"].rsplit("/", 1)[-1] in awaits.HELM_RELEASE_WAITS, inputs["chart"]
            assert not inputs.get("skipAwait")
            assert inputs.get("timeout", awaits.HELM_WAIT_SECONDS) >= awaits.HELM_WAIT_SECONDS


def test_the_agentgateway_gateway_a_cloud_stack_installs_is_awaited_until_programmed(plans: dict[Any, Any]) -> None:
    [gateway] = [m for m in _manifests(plans, "prod-aws") if m["kind"] == "Gateway"]
    assert await_of(gateway) == awaits.Await(
        awaits.GATEWAY_WAIT_SECONDS, '["condition=Programmed", "jsonpath={.status.addresses[0].value}"]'
    )


def test_on_gke_agentgateways_gateway_is_awaited_whatever_issuer_signs_its_certificates(plans: dict[Any, Any]) -> None:
    # prod-gcp names `tlsClusterIssuer: internal-ca`, which its stack file creates after the first `pulumi up`;
    # agentgateway reports Programmed without a listener's Secret (awaits.gateway_wait_seconds).
    [gateway] = [m for m in _manifests(plans, "prod-gcp") if m["kind"] == "Gateway"]
    assert await_of(gateway) is not None


def test_routes_and_pools_of_custom_kinds_are_not_awaited(plans: dict[Any, Any]) -> None:
    # Their Accepted and ResolvedRefs conditions sit under status.parents[], which `pulumi.com/waitFor` cannot read.
    routes = [m for stack in STACKS for m in _manifests(plans, stack) if m["kind"] in {"HTTPRoute", "ReferenceGrant"}]
    assert routes
    assert all(await_of(route) is None for route in routes)


def test_a_gateway_on_an_existing_cluster_is_not_awaited() -> None:
    # No load-balancer controller the stack knows of gives the proxies' Service an address on a cluster it did not make.
    assert awaits.gateway_wait_seconds(installed=True, cloud_cluster=False, own_network=True) is None
    assert awaits.gateway_wait_seconds(installed=True, cloud_cluster=True, own_network=False) is None
    assert awaits.gateway_wait_seconds(installed=False, cloud_cluster=True, own_network=True) is None
    assert awaits.gateway(None) == {awaits.SKIP_AWAIT: "true"}


def test_a_load_balancer_on_an_existing_cluster_is_not_awaited_and_gives_no_url_yet() -> None:
    # Nothing the stack installs assigns the address on a cluster it did not create (kind has no such controller).
    models = json.dumps(
        {
            "qwen": {
                "huggingFaceId": "Qwen/Qwen2.5-0.5B-Instruct",
                "contextLength": 4096,
                "cpuCores": 4,
                "memoryGiB": 8,
                "loadBalancer": {"sourceRanges": ["10.20.0.0/16"]},
            }
        }
    )
    plan = build_plan(run_program("dev", Mode.UPDATE, config_overrides={"models": models}))
    [service] = [m for m in plan.manifests.values() if m["kind"] == "Service" and m["spec"]["type"] == "LoadBalancer"]
    assert await_of(service) is None
    assert plan.document["outputs"]["models"]["qwen"]["loadBalancerUrl"] is None


def test_a_load_balancer_on_a_cloud_cluster_in_its_own_network_is_awaited_for_its_url(
    plans: dict[Any, Any],
) -> None:
    [service] = [
        m for m in _manifests(plans, "prod-azure") if m["kind"] == "Service" and m["spec"]["type"] == "LoadBalancer"
    ]
    assert await_of(service) is not None
    assert plans[("prod-azure", Mode.UPDATE)].document["outputs"]["models"]["qwen-small"]["loadBalancerUrl"] == (
        "http://10.20.0.50/v1"
    )
