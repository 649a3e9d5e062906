"""The retrieval-augmented example stacks (examples/rag/), planned: both models on one Gateway host by OpenAI path, the
vector store reachable from the application's namespace and from nothing else, its credentials never in plain text,
and the client script in step with the stacks' outputs.

Reachability is evaluated over the planned NetworkPolicies (tools/reachability.py), with pods made up from the plan:
the models' from their Deployments, the store's from the labels CloudNativePG v1.30.0 gives its instances
(`cnpg.io/cluster`, pkg/utils/labels_annotations.go), the Gateway's proxies from the stack's GatewayRef.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from components.storage.vector_store import (
    APPLICATION_SECRET,
    BOOTSTRAP_SECRET,
    CLUSTER_LABEL,
    CLUSTER_NAME,
    NAMESPACE,
    OPERATOR_NAMESPACE,
    POSTGRES_PORT,
    STATUS_PORT,
)
from stacks.config import parse_config
from stacks.serving import stack_gateway_ref
from tests.exposure_variants import NETWORK_ADDRESS, Case, credential
from tests.support import stack_config
from tools.exposure_paths import walk_route
from tools.offline import ROOT, Mode, load_stack_files
from tools.reachability import Address, Endpoint, Network, Pod

STACKS = ("rag-aws", "rag-gcp", "rag-azure")
CASES = [(stack, mode) for stack in STACKS for mode in Mode.ALL]
EXAMPLES = ROOT / "examples" / "rag"
CLIENT = EXAMPLES / "rag_client.py"
APPLICATION = "rag"
MODEL_PORT = 8000
PATHS = {"embed": "/v1/embeddings", "chat": "/v1/chat/completions"}
HOST = "rag.internal.example.com"
CLUSTER_TYPES = {
    "rag-aws": "llm-platform:clusters:EksCluster",
    "rag-gcp": "llm-platform:clusters:GkeCluster",
    "rag-azure": "llm-platform:clusters:AksCluster",
}
STORE = Pod(
    namespace=NAMESPACE,
    name="vectors-1",
    labels={CLUSTER_LABEL: CLUSTER_NAME, "cnpg.io/instanceName": "vectors-1", "cnpg.io/podRole": "instance"},
    ports={"postgresql": POSTGRES_PORT, "status": STATUS_PORT},
)
APP = Pod(namespace=APPLICATION, name="rag-client", labels={"app": "rag-client"})


def _manifests(plans: Mapping[tuple[str, str], Any], stack: str, kind: str) -> list[dict[str, Any]]:
    return [body for body in plans[(stack, Mode.UPDATE)].manifests.values() if body["kind"] == kind]


def _one(plans: Mapping[tuple[str, str], Any], stack: str, kind: str, name: str) -> dict[str, Any]:
    [body] = [body for body in _manifests(plans, stack, kind) if body["metadata"]["name"] == name]
    return body


def _network(plans: Mapping[tuple[str, str], Any], stack: str) -> Network:
    return Network(_manifests(plans, stack, "NetworkPolicy"))


def _model_pod(plans: Mapping[tuple[str, str], Any], stack: str, model: str) -> Pod:
    template = _one(plans, stack, "Deployment", model)["spec"]["template"]
    return Pod(namespace="llm-serving", name=model, labels=template["metadata"]["labels"], ports={"http": MODEL_PORT})


def _gateway_proxies(stack: str) -> list[Endpoint]:
    """The Gateway's data plane as the models see it: its proxy pods (agentgateway's on every cloud)."""
    files = load_stack_files(stack)
    raw = {key.split(":", 1)[1]: value for key, value in files.config.items() if key.startswith("llm-platform:")}
    gateway = stack_gateway_ref(parse_config(raw, stack=stack))
    assert gateway is not None
    proxies: list[Endpoint] = []
    if gateway.proxies is not None:
        proxies.append(Pod(namespace=gateway.proxies.namespace, name="proxy", labels=dict(gateway.proxies.pod_labels)))
    return proxies


def _client_constants() -> dict[str, Any]:
    tree = ast.parse(CLIENT.read_text(), str(CLIENT))
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


# --- the example plans ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_the_example_plans_its_cluster_models_and_vector_store(
    plans: Mapping[tuple[str, str], Any], stack: str, mode: str
) -> None:
    document = plans[(stack, mode)].document
    types = {resource["type"] for resource in document["resources"]}
    assert CLUSTER_TYPES[stack] in types
    assert "llm-platform:storage:VectorStore" in types
    assert set(document["outputs"]["models"]) == {"embed", "chat"}
    assert document["outputs"]["vectorStore"]["secret"] == f"{APPLICATION}/{APPLICATION_SECRET}"


@pytest.mark.parametrize("stack", STACKS)
def test_each_cloud_puts_the_store_on_an_encrypted_block_class(
    plans: Mapping[tuple[str, str], Any], stack: str
) -> None:
    cluster = _one(plans, stack, "Cluster", CLUSTER_NAME)
    expected = {"rag-aws": "encrypted-gp3", "rag-gcp": "standard-rwo", "rag-azure": "managed-csi"}[stack]
    assert cluster["spec"]["storage"]["storageClass"] == expected
    if stack == "rag-aws":
        storage_class = _one(plans, stack, "StorageClass", expected)
        assert storage_class["provisioner"] == "ebs.csi.aws.com"
        assert storage_class["parameters"]["encrypted"] == "true"


def test_on_aws_the_ebs_driver_add_on_runs_with_its_own_pod_identity(plans: Mapping[tuple[str, str], Any]) -> None:
    [addon] = [
        resource["inputs"]
        for resource in plans[("rag-aws", Mode.UPDATE)].document["resources"]
        if resource["type"] == "aws:eks/addon:Addon" and resource["inputs"]["addonName"] == "aws-ebs-csi-driver"
    ]
    assert [association["serviceAccount"] for association in addon["podIdentityAssociations"]] == [
        "ebs-csi-controller-sa"
    ]


# --- one host, two models ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_both_models_share_one_host_each_on_its_openai_path_unchanged(
    plans: Mapping[tuple[str, str], Any], stack: str
) -> None:
    for model, path in PATHS.items():
        route = _one(plans, stack, "HTTPRoute", model)
        assert route["spec"]["hostnames"] == [HOST]
        [rule] = route["spec"]["rules"]
        assert rule["matches"] == [{"path": {"type": "Exact", "value": path}}]
        assert "filters" not in rule
        assert [ref["name"] for ref in rule["backendRefs"]] == [model]


@pytest.mark.parametrize("stack", STACKS)
def test_the_embedding_model_runs_on_vllms_pooling_runner(plans: Mapping[tuple[str, str], Any], stack: str) -> None:
    args = _one(plans, stack, "Deployment", "embed")["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--runner") + 1] == "pooling"
    assert args[args.index("--convert") + 1] == "embed"


# --- reachability --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_application_reaches_the_gateway_and_through_it_each_model_by_its_path(
    plans: Mapping[tuple[str, str], Any], exposure_cases: Mapping[str, Case], stack: str
) -> None:
    """The application's namespace sends to the Gateway's address; from the network, the whole-path walk
    (tools/exposure_paths.py) takes each OpenAI path of the one host to its own model's pods, with the
    application's key, through the Gateway's proxies and the models' NetworkPolicies."""
    network = _network(plans, stack)
    # GKE's controller assigns its address from the stack's subnet only once it runs: one of that network.
    address = plans[(stack, Mode.UPDATE)].document["outputs"]["gateway"]["address"] or "10.0.4.10"
    assert network.egress_allows(APP, Address(address), 443)
    case = exposure_cases[stack]
    for model, path in PATHS.items():
        walk = walk_route(case.cluster, NETWORK_ADDRESS, HOST, path, credential=credential(case, HOST, path))
        assert walk.reaches, f"{path}: {walk.blocked}"
        assert {served.pod.name for served in walk.reached} == {model}, path
        assert not walk_route(case.cluster, NETWORK_ADDRESS, HOST, path).reaches, f"{path} without a key"
    assert not walk_route(case.cluster, NETWORK_ADDRESS, HOST, "/v1/models").reaches, "nothing else on the host"


@pytest.mark.parametrize("stack", STACKS)
def test_the_application_reaches_the_vector_store(plans: Mapping[tuple[str, str], Any], stack: str) -> None:
    assert _network(plans, stack).allows(APP, STORE, POSTGRES_PORT)


@pytest.mark.parametrize("stack", STACKS)
def test_nothing_else_reaches_the_vector_store(plans: Mapping[tuple[str, str], Any], stack: str) -> None:
    network = _network(plans, stack)
    others: list[Endpoint] = [
        *(_model_pod(plans, stack, model) for model in PATHS),
        *_gateway_proxies(stack),
        Pod(namespace="llm-serving", name="stranger", labels={"app": "stranger"}),
        Pod(namespace="unnamed", name="stranger", labels={"app": "stranger"}),
        Pod(namespace="monitoring", name="prometheus", labels={"app.kubernetes.io/name": "prometheus"}),
        Pod(namespace=OPERATOR_NAMESPACE, name="operator", labels={"app.kubernetes.io/name": "cloudnative-pg"}),
        Pod(namespace=NAMESPACE, name="stranger", labels={"app": "stranger"}),
        Address("10.0.1.9"),
    ]
    assert [str(other) for other in others if network.allows(other, STORE, POSTGRES_PORT)] == []


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_operator_and_the_instances_reach_the_status_port(
    plans: Mapping[tuple[str, str], Any], stack: str
) -> None:
    """docs/src/security.md at v1.30.0: the operator polls each instance on 8000; nothing else needs it."""
    network = _network(plans, stack)
    operator = Pod(namespace=OPERATOR_NAMESPACE, name="operator", labels={"app.kubernetes.io/name": "cloudnative-pg"})
    replica = Pod(namespace=NAMESPACE, name="vectors-2", labels={CLUSTER_LABEL: CLUSTER_NAME})
    assert network.allows(operator, STORE, STATUS_PORT)
    assert network.allows(replica, STORE, STATUS_PORT)
    assert network.allows(replica, STORE, POSTGRES_PORT)
    assert not network.allows(APP, STORE, STATUS_PORT)


@pytest.mark.parametrize("stack", STACKS)
def test_the_application_namespace_sends_nowhere_else_inside_the_cluster(
    plans: Mapping[tuple[str, str], Any], stack: str
) -> None:
    network = _network(plans, stack)
    assert not network.egress_allows(APP, _model_pod(plans, stack, "chat"), MODEL_PORT)
    assert not network.egress_allows(APP, Address("169.254.169.254"), 80)
    assert not network.allows(Pod(namespace="unnamed", name="stranger"), APP, 8080)


# --- hardening -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_the_store_and_application_namespaces_enforce_pod_security_restricted(
    plans: Mapping[tuple[str, str], Any], stack: str
) -> None:
    for name in (NAMESPACE, APPLICATION, OPERATOR_NAMESPACE):
        labels = _one(plans, stack, "Namespace", name)["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted", name


@pytest.mark.parametrize("stack", STACKS)
def test_the_instances_keep_the_operators_restricted_security_and_tls_only(
    plans: Mapping[tuple[str, str], Any], stack: str
) -> None:
    """pkg/specs/pods.go and containers.go at v1.30.0: without a podSecurityContext or securityContext of the
    Cluster's own, instances run as UID 26, non-root, RuntimeDefault seccomp, read-only root, every capability
    dropped."""
    spec = _one(plans, stack, "Cluster", CLUSTER_NAME)["spec"]
    assert "podSecurityContext" not in spec
    assert "securityContext" not in spec
    assert spec["seccompProfile"] == {"type": "RuntimeDefault"}
    assert spec["enableSuperuserAccess"] is False
    assert spec["postgresql"]["pg_hba"] == ["hostnossl all all all reject"]
    assert spec["imageName"].split("@")[1].startswith("sha256:")


def test_the_postgres_image_keeps_a_version_tag_beside_its_digest() -> None:
    """CloudNativePG's webhook (internal/webhook/v1/cluster_webhook.go validateImageName, with cloudnative-pg/machinery
    v0.5.0 reference.New and version.FromTag) refuses an image named by digest alone ("Can't use just the image sha
    as we can't detect upgrades") and reads the PostgreSQL major from the tag's leading `(\\d\\.?)+`."""
    from components import versions

    name, digest = versions.PGVECTOR_POSTGRES_IMAGE.split("@")
    tag = name.rsplit(":", 1)[1]
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    version = re.match(r"(\d\.?)+", tag)
    assert version is not None
    assert version.group(0).split(".")[0] == "18"


@pytest.mark.parametrize(("stack", "mode"), CASES)
def test_the_credentials_are_secret_in_the_plan(plans: Mapping[tuple[str, str], Any], stack: str, mode: str) -> None:
    manifests = list(plans[(stack, mode)].manifests.values())
    secrets = {
        (body["metadata"]["namespace"], body["metadata"]["name"]): body
        for body in manifests
        if body["kind"] == "Secret"
    }
    owner = secrets[(NAMESPACE, BOOTSTRAP_SECRET)]
    application = secrets[(APPLICATION, APPLICATION_SECRET)]
    assert owner["type"] == "kubernetes.io/basic-auth"
    for secret in (owner, application):
        # A map with a secret in it is secret as a whole while the password is unknown (preview).
        data = secret["stringData"]
        assert data == "[secret]" if mode == Mode.PREVIEW else set(data.values()) == {"[secret]"}
    cluster = json.dumps(_one(plans, stack, "Cluster", CLUSTER_NAME))
    assert "password" not in cluster.lower()


# --- the client script ---------------------------------------------------------------------------------------


def test_the_client_script_compiles() -> None:
    compile(CLIENT.read_text(), str(CLIENT), "exec")


@pytest.mark.parametrize("stack", STACKS)
def test_the_client_calls_the_stacks_models_at_their_url(plans: Mapping[tuple[str, str], Any], stack: str) -> None:
    outputs = plans[(stack, Mode.UPDATE)].document["outputs"]["models"]
    constants = _client_constants()
    assert {outputs[model]["publicUrl"] for model in PATHS} == {constants["BASE_URL"]}
    assert outputs["embed"]["servedModelName"] == constants["EMBEDDING_MODEL"]
    assert outputs["chat"]["servedModelName"] == constants["CHAT_MODEL"]


def test_the_clients_vector_size_is_the_embedding_models() -> None:
    from components.catalog.models import MODELS

    constants = _client_constants()
    assert MODELS[constants["EMBEDDING_MODEL"]].hidden_size == constants["DIMENSIONS"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_file_names_the_application_namespace_the_client_runs_in(stack: str) -> None:
    assert stack_config(stack)["llm-platform:vectorStore"]["applicationNamespace"] == APPLICATION
    assert Path(CLIENT).read_text().count("`rag`") == 1


@pytest.mark.parametrize("stack", STACKS)
def test_the_example_and_its_client_are_linked_from_the_manual(stack: str) -> None:
    manual = (ROOT / "docs" / "manual.md").read_text()
    assert f"examples/rag/Pulumi.{stack}.yaml" in manual
    assert "examples/rag/rag_client.py" in manual
