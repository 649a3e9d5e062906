"""A plan read as the cloud and the cluster would act on it: its pods (with their ports and readiness), its Services
(with those the charts and controllers create, from their upstream templates), its NetworkPolicies and the cloud's
network rules (Azure's node subnet NSG, with Azure's default rules). tools/exposure_paths.py walks requests over it.

Outside the plan, from upstream at the pinned versions:
- KEDA's HTTP add-on interceptor (kedacore/http-add-on v0.15.0 config/interceptor/deployment.yaml: admin port 9090 with
  `/readyz`, proxy 8080) and its proxy Service;
- KServe's predictor Service (port 80 to the model server's container port);
- Azure's default inbound rules (AllowVnetInBound, AllowAzureLoadBalancerInBound, DenyAllInBound), peered networks
  being part of the VirtualNetwork tag.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tools.reachability import Address, Network, Pod, selects

INTERNET = Address("198.51.100.7")
"""A client on the Internet (TEST-NET-2)."""
AZURE_LOAD_BALANCER = Address("168.63.129.16")
"""Where Azure's load-balancer probes come from (the AzureLoadBalancer service tag)."""

NODE_PORT = 31000
"""Some node port: a load balancer's health check on the Service's healthCheckNodePort."""
INTERCEPTOR_SERVICE = ("keda", "keda-add-ons-http-interceptor-proxy")
INTERCEPTOR_POD = Pod(
    namespace="keda",
    name="interceptor",
    labels={
        "app.kubernetes.io/component": "interceptor",
        "app.kubernetes.io/name": "http-add-on",
        "app.kubernetes.io/part-of": "keda-add-ons-http",
        "app.kubernetes.io/instance": "http-add-on",
    },
    ports={"admin": 9090, "proxy": 8080},
)
INTERCEPTOR_READY = (9090, "/readyz")
INTERNAL_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-internal": "true",
    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
    "networking.gke.io/load-balancer-type": "Internal",
}
_AZURE_DEFAULT_RULES = [
    {"name": "AllowVnetInBound", "priority": 65000, "access": "Allow", "source": "VirtualNetwork"},
    {"name": "AllowAzureLoadBalancerInBound", "priority": 65001, "access": "Allow", "source": "AzureLoadBalancer"},
    {"name": "DenyAllInBound", "priority": 65500, "access": "Deny", "source": "*"},
]


def agentgateway_proxy(namespace: str, gateway: str, gateway_class: str) -> Pod:
    """A proxy pod of one agentgateway Gateway, as agentgateway v1.4.1's deployer makes it: in the Gateway's namespace,
    labelled with the Gateway's name and class (controller/pkg/helm/agentgateway templates/_helpers.tpl), listening
    on the listeners' own ports (pkg/deployer/values_helpers.go: targetPort = port; the pod's sysctl
    net.ipv4.ip_unprivileged_port_start=0 lets it bind 80 and 443)."""
    return Pod(
        namespace=namespace,
        name="agentgateway-proxy",
        labels={
            "app.kubernetes.io/name": gateway,
            "app.kubernetes.io/instance": gateway,
            "gateway.networking.k8s.io/gateway-name": gateway,
            "gateway.networking.k8s.io/gateway-class-name": gateway_class,
            "pod-template-hash": "5d8f9c",
        },
        ports={"listener-80": 80, "listener-443": 443},
    )


PRIVATE_RANGES = tuple(ipaddress.ip_network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
"""RFC 1918: a VNet's or VPC's addresses, and its peers'. Anything else is on the Internet here, documentation
ranges included (the examples use them as public ranges)."""


def is_private(address: Address) -> bool:
    ip = ipaddress.ip_address(address.ip)
    return any(ip in network for network in PRIVATE_RANGES)


class BlockedError(Exception):
    """A hop that refuses the request, and why."""


@dataclass(frozen=True)
class Served:
    """Pods behind a backend, and where they answer 200 once ready."""

    pod: Pod
    port: int
    ready: tuple[int, str] | None


class Cluster:
    """What one plan registers, read as the cloud and the cluster would act on it."""

    def __init__(
        self,
        *,
        cloud: str | None,
        manifests: list[dict[str, Any]],
        nsg_rules: list[dict[str, Any]] | None,
        secret_clients: Mapping[tuple[str, str], frozenset[str]] | None = None,
    ) -> None:
        self.cloud = cloud
        self.manifests = manifests
        self.nsg_rules = nsg_rules
        self.secret_clients = dict(secret_clients or {})
        """(namespace, Secret) → the clients whose generated API keys (RandomPassword `api-key-<client>`) the Secret
        is built from: its values are secret in the plan, its dependencies are not."""
        namespaces = {m["metadata"]["name"]: m["metadata"].get("labels") or {} for m in self.kind("Namespace")}
        self.network = Network(self.kind("NetworkPolicy"), namespace_labels=namespaces)

    @classmethod
    def from_plan(cls, plan: Any) -> Cluster:
        resources = plan.document["resources"]
        types = {r["type"].split(":", 1)[0] for r in resources}
        cloud = next((name for prefix, name in _CLOUDS.items() if prefix in types), None)
        nsgs = [r for r in resources if r["type"] == "azure-native:network:NetworkSecurityGroup"]
        return cls(
            cloud=cloud,
            manifests=[copy.deepcopy(body) for body in plan.manifests.values()],
            nsg_rules=[dict(rule) for rule in nsgs[0]["inputs"]["securityRules"]] if nsgs else None,
            secret_clients=_secret_clients(resources),
        )

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [body for body in self.manifests if body["kind"] == kind]

    def find(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for body in self.kind(kind):
            if body["metadata"]["name"] == name and body["metadata"].get("namespace") == namespace:
                return body
        return None

    def without(self, rule: tuple[Any, ...]) -> Cluster:
        """The same cluster less one rule the walk relied on."""
        manifests = copy.deepcopy(self.manifests)
        nsg_rules = copy.deepcopy(self.nsg_rules)
        if rule[0] == "nsg":
            nsg_rules = [r for r in nsg_rules or [] if r["name"] != rule[1]]
        elif rule[0] == "server-keys":
            # A model server started without its key file: vLLM checks no key.
            _, namespace, name = rule
            found = self.with_manifests(manifests).workload(Pod(namespace=namespace, name=name))
            if found is not None:
                args = found[1]["args"]
                at = args.index("--config")
                found[1]["args"] = args[:at] + args[at + 2 :]
        elif rule[0] == "policy-rule":
            _, namespace, name, index = rule
            for body in manifests:
                if body["kind"] == "NetworkPolicy" and key(body) == (namespace, name):
                    del body["spec"]["ingress"][index]
        else:
            _, kind, namespace, name = rule
            manifests = [b for b in manifests if (b["kind"], *key(b)) != (kind, namespace, name)]
        return self.with_manifests(manifests, nsg_rules=nsg_rules)

    def with_manifests(
        self, manifests: list[dict[str, Any]], *, nsg_rules: list[dict[str, Any]] | None = None
    ) -> Cluster:
        """The same cloud with other objects (and, if given, other NSG rules)."""
        return Cluster(
            cloud=self.cloud,
            manifests=manifests,
            nsg_rules=self.nsg_rules if nsg_rules is None else nsg_rules,
            secret_clients=self.secret_clients,
        )

    # --- pods and Services -----------------------------------------------------------------------------------

    def pods(self) -> Iterator[tuple[Pod, dict[str, Any]]]:
        """Each workload's pod, with its container (ports, probes)."""
        for body in self.kind("Deployment"):
            template = body["spec"]["template"]
            for container in template["spec"]["containers"]:
                yield _pod(body["metadata"]["namespace"], body["metadata"]["name"], template["metadata"], container)
        for body in self.kind("InferenceService"):
            # KServe's predictor pods: the InferenceService's labels and the two its controller adds (kserve
            # pkg/controller/v1beta1/inferenceservice/components/predictor.go, buildObjectMeta).
            name = body["metadata"]["name"]
            labels = {
                **(body["metadata"].get("labels") or {}),
                "serving.kserve.io/inferenceservice": name,
                "component": "predictor",
            }
            yield _pod(body["metadata"]["namespace"], name, {"labels": labels}, body["spec"]["predictor"]["model"])
        for body in self.kind("LeaderWorkerSet"):
            # The leader pods serve: the leader template's labels and the two the controller adds to leaders (lws
            # v0.10.0 pkg/controllers/leaderworkerset_controller.go: SetNameLabelKey, WorkerIndexLabelKey "0").
            name = body["metadata"]["name"]
            template = body["spec"]["leaderWorkerTemplate"]["leaderTemplate"]
            labels = {
                **(template["metadata"].get("labels") or {}),
                "leaderworkerset.sigs.k8s.io/name": name,
                "leaderworkerset.sigs.k8s.io/worker-index": "0",
            }
            yield _pod(body["metadata"]["namespace"], name, {"labels": labels}, template["spec"]["containers"][0])
        if self.has_interceptor:
            ready = {"httpGet": {"port": INTERCEPTOR_READY[0], "path": INTERCEPTOR_READY[1]}}
            yield INTERCEPTOR_POD, {"ports": [], "readinessProbe": ready}

    def workload(self, pod: Pod) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """A model pod's spec (its volumes) and container (args, mounts), from its Deployment or InferenceService."""
        deployment = self.find("Deployment", pod.namespace, pod.name)
        if deployment is not None:
            spec = deployment["spec"]["template"]["spec"]
            return spec, spec["containers"][0]
        group = self.find("LeaderWorkerSet", pod.namespace, pod.name)
        if group is not None:
            spec = group["spec"]["leaderWorkerTemplate"]["leaderTemplate"]["spec"]
            return spec, spec["containers"][0]
        isvc = self.find("InferenceService", pod.namespace, pod.name)
        if isvc is not None:
            predictor = isvc["spec"]["predictor"]
            return predictor, predictor["model"]
        return None

    @property
    def has_interceptor(self) -> bool:
        return bool(self.kind("InterceptorRoute"))

    def service(self, namespace: str, name: str) -> dict[str, Any] | None:
        if (namespace, name) == INTERCEPTOR_SERVICE and self.has_interceptor:
            return {
                "kind": "Service",
                "metadata": {"namespace": namespace, "name": name},
                "spec": {
                    "selector": {
                        key: INTERCEPTOR_POD.labels[key]
                        for key in ("app.kubernetes.io/component", "app.kubernetes.io/name")
                    },
                    "ports": [{"port": 8080, "targetPort": "proxy"}],
                },
            }
        isvc = self.find("InferenceService", namespace, name.removesuffix("-predictor"))
        if name.endswith("-predictor") and isvc is not None:
            # KServe's controller creates the predictor Service: port 80 to the model server's container port.
            [port] = isvc["spec"]["predictor"]["model"]["ports"]
            return {
                "kind": "Service",
                "metadata": {"namespace": namespace, "name": name},
                "spec": {
                    "selector": {"serving.kserve.io/inferenceservice": isvc["metadata"]["name"]},
                    "ports": [{"port": 80, "targetPort": port["containerPort"]}],
                },
            }
        return self.find("Service", namespace, name)

    def served(self, namespace: str, selector: Mapping[str, str], port: int | str) -> list[Served]:
        """The pods a selector picks in a namespace, with the container port a Service's targetPort names."""
        found = []
        for pod, container in self.pods():
            if pod.namespace != namespace or not selector or not selects({"matchLabels": selector}, pod.labels):
                continue
            number = pod.ports.get(port) if isinstance(port, str) else int(port)
            if number is not None:
                found.append(Served(pod, number, _ready(pod, container)))
        return found

    def behind_service(self, namespace: str, name: str, port: int) -> list[Served]:
        service = self.service(namespace, name)
        if service is None:
            raise BlockedError(f"no Service {namespace}/{name}")
        [entry] = [p for p in service["spec"]["ports"] if int(p["port"]) == port] or [None]
        if entry is None:
            raise BlockedError(f"Service {namespace}/{name} has no port {port}")
        served = self.served(namespace, service["spec"].get("selector") or {}, entry.get("targetPort", port))
        if not served:
            raise BlockedError(f"Service {namespace}/{name} selects no pod serving its port {port}")
        return served

    # --- cloud network rules ---------------------------------------------------------------------------------

    def nsg_admits(self, source: Address, port: int) -> str:
        """The NSG rule (by priority) that decides a connection to the nodes; BlockedError when it denies."""
        rules = sorted(
            [
                *(r for r in self.nsg_rules or [] if r.get("direction") == "Inbound"),
                *_AZURE_DEFAULT_RULES,
            ],
            key=lambda r: r["priority"],
        )
        for rule in rules:
            if rule.get("protocol", "*") not in {"*", "Tcp"} or not _nsg_ports(rule, port):
                continue
            if _nsg_sources(rule, source):
                if rule["access"] != "Allow":
                    raise BlockedError(f"NSG rule {rule['name']} denies {source} on {port}")
                return str(rule["name"])
        raise BlockedError("no NSG rule")


_CLOUDS = {"aws": "aws", "gcp": "gcp", "azure-native": "azure"}
_API_KEY = "random:index/randomPassword:RandomPassword::api-key-"


def _secret_clients(resources: list[dict[str, Any]]) -> dict[tuple[str, str], frozenset[str]]:
    found = {}
    for resource in resources:
        if resource["type"] != "kubernetes:core/v1:Secret":
            continue
        clients = frozenset(
            dependency.split("::")[-1].removeprefix("api-key-")
            for dependency in resource.get("dependencies") or []
            if dependency.startswith(_API_KEY)
        )
        metadata = resource["inputs"].get("metadata") or {}
        if clients and isinstance(metadata.get("namespace"), str):
            found[(metadata["namespace"], metadata["name"])] = clients
    return found


def key(body: Mapping[str, Any]) -> tuple[str | None, str]:
    return body["metadata"].get("namespace"), body["metadata"]["name"]


def _pod(namespace: str, name: str, metadata: Mapping[str, Any], container: Mapping[str, Any]) -> tuple[Pod, Any]:
    ports = {p["name"]: int(p["containerPort"]) for p in container.get("ports") or [] if "name" in p}
    return Pod(namespace=namespace, name=name, labels=dict(metadata.get("labels") or {}), ports=ports), container


def _ready(pod: Pod, container: Mapping[str, Any]) -> tuple[int, str] | None:
    probe = (container.get("readinessProbe") or {}).get("httpGet")
    if not probe:
        return None
    port = probe["port"]
    return (pod.ports[port] if isinstance(port, str) else int(port)), probe.get("path", "/")


def _nsg_ports(rule: Mapping[str, Any], port: int) -> bool:
    ranges = rule.get("destinationPortRanges") or [rule.get("destinationPortRange", "*")]
    for entry in ranges:
        if entry == "*":
            return True
        low, _, high = str(entry).partition("-")
        if int(low) <= port <= int(high or low):
            return True
    return False


def _nsg_sources(rule: Mapping[str, Any], source: Address) -> bool:
    prefixes = rule.get("sourceAddressPrefixes") or [rule.get("sourceAddressPrefix") or rule.get("source", "*")]
    address = ipaddress.ip_address(source.ip)
    for prefix in prefixes:
        if prefix == "*":
            return True
        if prefix == "Internet" and not is_private(source) and source != AZURE_LOAD_BALANCER:
            return True
        # Peered networks belong to VirtualNetwork: every private address stands for one here.
        if prefix == "VirtualNetwork" and is_private(source):
            return True
        if prefix == "AzureLoadBalancer" and source == AZURE_LOAD_BALANCER:
            return True
        if prefix[0].isdigit() and address in ipaddress.ip_network(prefix):
            return True
    return False
