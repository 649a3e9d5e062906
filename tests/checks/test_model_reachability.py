"""Who can call each model of every example stack, evaluated over the planned NetworkPolicies (tools/reachability.py).

Pods are made up from what the plan and the configuration say: the models' pods from their Deployments and
InferenceServices, the endpoint pickers' from theirs, the interceptor's from the chart's labels, one pod per configured
client carrying the client's labels (and one more of its own), and strangers: pods of the serving namespace, of a
client's namespace without the client's labels, and of a namespace no one named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from components.catalog.instances import Cloud
from components.serving.endpoint_picker import picker_name
from components.serving.gateway import GatewayRef
from stacks.config import ModelPlan, StackConfig, parse_config
from stacks.served_names import candidate_models
from stacks.serving import stack_gateway_ref
from tests.support import interceptor_pod
from tools.offline import Mode, load_stack_files, planned_stack_names
from tools.reachability import Address, Endpoint, Network, Pod

STACKS = planned_stack_names()
CASES = [(stack, mode) for stack in STACKS for mode in Mode.ALL]
PROXY_PORT = 8080
INTERCEPTOR = interceptor_pod()
LEADER_LABELS = {"leaderworkerset.sigs.k8s.io/worker-index": "0"}
KUBE_DNS = Pod(namespace="kube-system", name="coredns", labels={"k8s-app": "kube-dns"}, ports={"dns": 53})


@dataclass(frozen=True)
class Served:
    """A model's pod and the port its server listens on."""

    model: ModelPlan
    pod: Pod
    port: int


@dataclass(frozen=True)
class World:
    config: StackConfig
    network: Network
    models: dict[str, Served]
    clients: dict[str, list[Pod]]
    """Model name → a pod for each of its configured clients."""

    def strangers(self) -> list[Pod]:
        """Pods no configuration names: in the serving namespace, in each client's namespace without the client's
        labels (where the client has labels), and in a namespace nobody mentions."""
        pods = [
            Pod(namespace=self.config.namespace, name="stranger", labels={"app": "stranger"}),
            Pod(namespace="unnamed", name="stranger", labels={"app": "stranger"}),
        ]
        for model in self.config.models.values():
            for client in model.spec.clients:
                if client.pod_labels:
                    namespace = client.namespace or self.config.namespace
                    pods.append(Pod(namespace=namespace, name="impostor", labels={"app": "impostor"}))
        return pods

    @property
    def has_interceptor(self) -> bool:
        """The stack installs KEDA's HTTP add-on when a model sleeps."""
        return any(model.sleeps for model in self.config.models.values())

    @property
    def gateway(self) -> GatewayRef | None:
        return stack_gateway_ref(self.config)

    def gateway_proxies(self) -> list[Endpoint]:
        """The Gateway's data plane as the models see it: its proxy pods (agentgateway's on every cloud)."""
        gateway = self.gateway
        if gateway is None:
            return []
        proxies: list[Endpoint] = []
        if gateway.proxies is not None:
            labels = {**gateway.proxies.pod_labels, "pod-template-hash": "abc"}
            proxies.append(Pod(namespace=gateway.proxies.namespace, name="proxy", labels=labels))
        return proxies

    def sleeper_clients(self) -> list[Pod]:
        return [pod for name, pods in self.clients.items() if self.config.models[name].sleeps for pod in pods]


def _config(stack: str) -> StackConfig:
    files = load_stack_files(stack)
    raw = {key.split(":", 1)[1]: value for key, value in files.config.items() if key.startswith("llm-platform:")}
    return parse_config(raw, stack=stack, secret_keys={"hfToken": True})


def _model_pod(config: StackConfig, body: dict[str, Any]) -> tuple[str, Pod, int] | None:
    labels = body["metadata"].get("labels") or {}
    if labels.get("app.kubernetes.io/component") != "model-server":
        return None
    name = body["metadata"]["name"]
    if body["kind"] == "LeaderWorkerSet":
        # The leader pod serves: the leader template's labels and the two the controller adds to leaders (lws v0.10.0
        # pkg/controllers/leaderworkerset_controller.go: SetNameLabelKey, WorkerIndexLabelKey "0").
        template = body["spec"]["leaderWorkerTemplate"]["leaderTemplate"]
        pod_labels = {**template["metadata"]["labels"], **LEADER_LABELS, "leaderworkerset.sigs.k8s.io/name": name}
        ports = template["spec"]["containers"][0]["ports"]
    elif body["kind"] == "Deployment":
        template = body["spec"]["template"]
        pod_labels = template["metadata"]["labels"]
        [container] = template["spec"]["containers"]
        ports = container["ports"]
    else:
        # KServe's predictor pods: the InferenceService's labels and the two its controller adds (kserve
        # pkg/controller/v1beta1/inferenceservice/components/predictor.go, buildObjectMeta).
        pod_labels = {**labels, "serving.kserve.io/inferenceservice": name, "component": "predictor"}
        ports = body["spec"]["predictor"]["model"]["ports"]
    named = {port["name"]: int(port["containerPort"]) for port in ports}
    return name, Pod(namespace=config.namespace, name=name, labels=pod_labels, ports=named), named["http"]


def _world(plan: Any, stack: str) -> World:
    config = _config(stack)
    bodies = list(plan.manifests.values())
    network = Network([body for body in bodies if body["kind"] == "NetworkPolicy"])
    models = {}
    for body in bodies:
        if body["kind"] in {"Deployment", "InferenceService", "LeaderWorkerSet"} and (
            found := _model_pod(config, body)
        ):
            name, pod, port = found
            models[name] = Served(config.models[name], pod, port)
    clients = {
        name: [
            Pod(
                namespace=client.namespace or config.namespace,
                name=f"client-{index}-of-{name}",
                labels={**client.pod_labels, "extra": "label"},
            )
            for index, client in enumerate(model.spec.clients)
        ]
        for name, model in config.models.items()
    }
    return World(config, network, models, clients)


@pytest.fixture(scope="module")
def worlds(plans: dict[Any, Any]) -> dict[tuple[str, str], World]:
    return {(stack, mode): _world(plans[(stack, mode)], stack) for stack, mode in CASES}


def test_every_model_of_every_stack_is_found_in_its_plan(worlds: dict[tuple[str, str], World]) -> None:
    for world in worlds.values():
        assert set(world.models) == set(world.config.models)


def test_the_examples_name_clients_inside_and_outside_the_serving_namespace_and_of_a_sleeping_model(
    worlds: dict[tuple[str, str], World],
) -> None:
    pods = [(world, pod) for world in worlds.values() for pod in (p for ps in world.clients.values() for p in ps)]
    assert any(pod.namespace == world.config.namespace for world, pod in pods)
    assert any(pod.namespace != world.config.namespace for world, pod in pods)
    assert any(world.sleeper_clients() for world in worlds.values())


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_configured_clients_reach_their_model_directly(
    worlds: dict[tuple[str, str], World], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for name, served in world.models.items():
        for client in world.clients[name]:
            assert world.network.allows(client, served.pod, served.port), f"{client} -> {name}"
            assert world.network.allows(client, KUBE_DNS, 53, "UDP"), f"{client} resolves the model's name"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_clients_of_a_sleeping_model_reach_it_through_the_interceptor(
    worlds: dict[tuple[str, str], World], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for name, served in world.models.items():
        if not served.model.sleeps:
            continue
        assert world.network.allows(INTERCEPTOR, served.pod, served.port), f"the interceptor wakes {name}"
        for client in world.clients[name]:
            assert world.network.allows(client, INTERCEPTOR, PROXY_PORT), f"{client} -> interceptor"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_the_gateway_reaches_each_model_behind_its_routes_directly_or_through_the_interceptor(
    worlds: dict[tuple[str, str], World], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for proxy in world.gateway_proxies():
        for name, served in world.models.items():
            # A model behind a served name is reached by the proxies too, with or without a host of its own.
            if not served.model.routed and name not in candidate_models(world.config):
                assert not world.network.ingress_allows(served.pod, proxy, served.port), f"{proxy} -> {name}"
            elif served.model.sleeps:
                assert world.network.ingress_allows(INTERCEPTOR, proxy, PROXY_PORT), f"{proxy} -> interceptor"
                assert not world.network.ingress_allows(served.pod, proxy, served.port), f"{proxy} -> {name}"
            else:
                assert world.network.ingress_allows(served.pod, proxy, served.port), f"{proxy} -> {name}"


def test_every_example_stack_on_a_cloud_routes_through_agentgateways_proxy_pods_gcp_included(
    worlds: dict[tuple[str, str], World],
) -> None:
    kinds = {type(proxy) for world in worlds.values() for proxy in world.gateway_proxies()}
    assert kinds == {Pod}
    on_gke = [world for world in worlds.values() if world.config.cloud is Cloud.GCP and world.gateway is not None]
    assert on_gke
    assert all(world.gateway_proxies() for world in on_gke)


def test_pods_of_the_gateways_namespace_other_than_its_proxies_reach_no_model(
    worlds: dict[tuple[str, str], World],
) -> None:
    for world in worlds.values():
        gateway = world.gateway
        if gateway is None or gateway.proxies is None or not gateway.proxies.pod_labels:
            continue
        other = Pod(namespace=gateway.namespace, name="controller", labels={"app.kubernetes.io/name": "agentgateway"})
        for name, served in world.models.items():
            assert not world.network.ingress_allows(served.pod, other, served.port), name


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_pods_no_configuration_names_reach_no_model_nor_the_interceptor(
    worlds: dict[tuple[str, str], World], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    # Refused by the receiving pods themselves, whatever the stranger's own egress allows.
    for stranger in world.strangers():
        if world.has_interceptor:
            assert not world.network.ingress_allows(INTERCEPTOR, stranger, PROXY_PORT), stranger
        for name, served in world.models.items():
            assert not world.network.ingress_allows(served.pod, stranger, served.port), f"{stranger} -> {name}"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_clients_of_one_model_reach_no_other_model(worlds: dict[tuple[str, str], World], stack: str, mode: str) -> None:
    world = worlds[(stack, mode)]
    for name, served in world.models.items():
        others = [pod for other, pods in world.clients.items() if other != name for pod in pods]
        for pod in others:
            if pod in world.clients[name]:
                continue  # a client of both
            assert not world.network.ingress_allows(served.pod, pod, served.port), f"{pod} -> {name}"
        if world.has_interceptor and not served.model.sleeps:
            for pod in world.clients[name]:
                if pod not in world.sleeper_clients():
                    assert not world.network.ingress_allows(INTERCEPTOR, pod, PROXY_PORT), f"{pod} -> interceptor"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_no_model_reaches_another(worlds: dict[tuple[str, str], World], stack: str, mode: str) -> None:
    world = worlds[(stack, mode)]
    for caller in world.models.values():
        if world.has_interceptor:
            assert not world.network.allows(caller.pod, INTERCEPTOR, PROXY_PORT), caller.pod
            assert not world.network.ingress_allows(INTERCEPTOR, caller.pod, PROXY_PORT), caller.pod
        for name, served in world.models.items():
            if served is not caller:
                assert not world.network.allows(caller.pod, served.pod, served.port), f"{caller.pod} -> {name}"
                assert not world.network.ingress_allows(served.pod, caller.pod, served.port), f"{caller.pod} -> {name}"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_the_interceptor_reaches_only_the_sleeping_models(
    worlds: dict[tuple[str, str], World], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for name, served in world.models.items():
        reached = world.network.ingress_allows(served.pod, INTERCEPTOR, served.port)
        assert reached is served.model.sleeps, name


# --- `routing: inference`: Gateway → endpoint picker → model ------------------------------------------------------

EXT_PROC_PORT = 9002
API_SERVER = Address("172.16.0.2")
METADATA = Address("169.254.169.254")


def _pickers(plan: Any, world: World) -> dict[str, Pod]:
    """Model name → a pod of its endpoint picker, from the planned Deployments."""
    pickers = {}
    for body in plan.manifests.values():
        labels = body["metadata"].get("labels") or {}
        if body["kind"] != "Deployment" or labels.get("app.kubernetes.io/component") != "endpoint-picker":
            continue
        template = body["spec"]["template"]
        [container] = template["spec"]["containers"]
        named = {port["name"]: int(port["containerPort"]) for port in container["ports"]}
        model = next(name for name in world.config.models if picker_name(name) == body["metadata"]["name"])
        pickers[model] = Pod(
            namespace=world.config.namespace,
            name=body["metadata"]["name"],
            labels=template["metadata"]["labels"],
            ports=named,
        )
    return pickers


@pytest.fixture(scope="module")
def pickers(plans: dict[Any, Any], worlds: dict[tuple[str, str], World]) -> dict[tuple[str, str], dict[str, Pod]]:
    return {case: _pickers(plans[case], worlds[case]) for case in CASES}


def test_an_example_stack_on_each_cloud_routes_a_model_through_an_endpoint_picker(
    pickers: dict[tuple[str, str], dict[str, Pod]],
) -> None:
    assert set(pickers[("prod-gcp", Mode.PREVIEW)]) == {"qwen-7b"}
    assert set(pickers[("prod-aws", Mode.PREVIEW)]) == {"qwen-7b"}
    assert set(pickers[("prod-azure", Mode.PREVIEW)]) == {"qwen-small"}


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_each_pooled_model_has_its_picker_and_no_other_model_has_one(
    worlds: dict[tuple[str, str], World], pickers: dict[tuple[str, str], dict[str, Pod]], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    assert set(pickers[(stack, mode)]) == {name for name, model in world.config.models.items() if model.through_pool}


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_the_gateway_reaches_the_picker_on_ext_proc_and_the_picker_reaches_its_models_metrics(
    worlds: dict[tuple[str, str], World], pickers: dict[tuple[str, str], dict[str, Pod]], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for name, picker in pickers[(stack, mode)].items():
        served = world.models[name]
        for proxy in world.gateway_proxies():
            assert world.network.allows(proxy, picker, EXT_PROC_PORT), f"{proxy} -> {picker}"
            # Then the proxy sends the request to the replica the picker chose.
            assert world.network.allows(proxy, served.pod, served.port), f"{proxy} -> {name}"
        assert world.network.allows(picker, served.pod, served.port), f"{picker} scrapes {name}"
        assert world.network.allows(picker, KUBE_DNS, 53, "UDP"), f"{picker} resolves names"
        assert world.network.allows(picker, API_SERVER, 443), f"{picker} watches its pool"
        assert not world.network.allows(picker, METADATA, 80), f"{picker} -> metadata"
        assert not world.network.allows(picker, METADATA, 443), f"{picker} -> metadata"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_a_picker_reaches_no_other_model_and_nothing_else_reaches_a_picker(
    worlds: dict[tuple[str, str], World], pickers: dict[tuple[str, str], dict[str, Pod]], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for name, picker in pickers[(stack, mode)].items():
        for other, served in world.models.items():
            if other != name:
                assert not world.network.allows(picker, served.pod, served.port), f"{picker} -> {other}"
                assert not world.network.ingress_allows(served.pod, picker, served.port), f"{picker} -> {other}"
        callers = [
            *world.strangers(),
            *(served.pod for served in world.models.values()),
            *(pod for pods in world.clients.values() for pod in pods),
            INTERCEPTOR,
        ]
        for caller in callers:
            assert not world.network.ingress_allows(picker, caller, EXT_PROC_PORT), f"{caller} -> {picker}"


METRICS_PORT = 9090
PROMETHEUS = Pod(namespace="monitoring", name="prometheus", labels={"app.kubernetes.io/name": "prometheus"})


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_prometheus_alone_scrapes_a_pickers_metrics_and_reaches_nothing_else_of_it(
    worlds: dict[tuple[str, str], World], pickers: dict[tuple[str, str], dict[str, Pod]], stack: str, mode: str
) -> None:
    world = worlds[(stack, mode)]
    for picker in pickers[(stack, mode)].values():
        assert world.network.ingress_allows(picker, PROMETHEUS, METRICS_PORT), f"{PROMETHEUS} -> {picker}"
        assert not world.network.ingress_allows(picker, PROMETHEUS, EXT_PROC_PORT), f"{PROMETHEUS} -> {picker}"
        for caller in [*world.strangers(), *(served.pod for served in world.models.values())]:
            assert not world.network.ingress_allows(picker, caller, METRICS_PORT), f"{caller} -> {picker}"


def _failure_modes(plan: Any) -> dict[str, str]:
    return {
        body["metadata"]["name"]: body["spec"]["endpointPickerRef"]["failureMode"]
        for body in plan.manifests.values()
        if body["kind"] == "InferencePool"
    }


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_with_its_picker_gone_the_gateway_still_reaches_every_pooled_model_fail_open(
    plans: dict[Any, Any],
    worlds: dict[tuple[str, str], World],
    pickers: dict[tuple[str, str], dict[str, Pod]],
    stack: str,
    mode: str,
) -> None:
    # Fail-open: the pool's failure mode lets the proxy pick a replica itself when the picker does not answer, and
    # the proxy reaches every replica by the model's own rule for the Gateway, whatever the picker's state.
    world = worlds[(stack, mode)]
    pooled = pickers[(stack, mode)]
    assert _failure_modes(plans[(stack, mode)]) == dict.fromkeys(pooled, "FailOpen")
    for name in pooled:
        served = world.models[name]
        for proxy in world.gateway_proxies():
            assert world.network.allows(proxy, served.pod, served.port), f"{proxy} -> {name} without its picker"
