"""Where each vendored CRD schema (schemas/crds/) comes from: the upstream repository, the ref the stacks pin and the
file, with the API versions kept. Read by tools/vendor_crds.py (which regenerates the schemas) and by the tests
(which hold the refs to components/versions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from components import versions
from tools.offline import ROOT

CRD_SCHEMA_DIR = ROOT / "schemas" / "crds"

GATEWAY_API_VERSION = "v1.6.1"
"""The Gateway API bundle agentgateway v1.4.1 is built against (its go.mod), whose standard channel the stack installs
with it off GKE (tools/vendor_gateway_crds.py)."""
EXPERIMENTAL = "experimental"
"""Gateway API's experimental channel: what stacks deployed with Envoy Gateway's chart have (its HTTPRoute has 106
CEL rules to the standard channel's 89, among them unique rule names), and what an existing cluster may run, where
GKE and the stack's own install serve the standard one. An HTTPRoute is admitted under both."""
INFERENCE_EXTENSION_VERSION = "v1.6.0"
LLM_D_ROUTER_VERSION = versions.ENDPOINT_PICKER_IMAGE.rsplit(":", 1)[1]
"""The endpoint picker's release: its InferenceObjective CRD (`llm-d.ai`, the group it reconciles) is the stack's."""
PROMETHEUS_OPERATOR_VERSION = "v0.93.0"
"""The operator kube-prometheus-stack 88.1.3 ships (components/versions.py)."""
GMP_VERSION = "v0.17.2"
"""Managed Prometheus' operator CRDs (GKE runs the operator; no stack pins it)."""
CRDS_CATALOG_COMMIT = "77e49833da1a723ff2f1ec34251c5eafc8c75daa"
"""ComputeClass: Google publishes no CRD file; datreeio/CRDs-catalog holds one read from a live GKE cluster."""


@dataclass(frozen=True)
class CrdSource:
    repo: str
    ref: str
    path: str
    versions: tuple[str, ...]
    """The API versions kept (the ones the stacks write, or may write)."""
    json_schema_of: str = ""
    """For a file that is already a JSON schema of one version (not a CRD): `<kind>/<group>/<version>`."""
    channel: str = ""
    """A second variant of a CRD that some clusters install instead: its schemas go to schemas/crds/<channel>/."""


SOURCES: tuple[CrdSource, ...] = (
    CrdSource("kubernetes-sigs/gateway-api", GATEWAY_API_VERSION,
              "config/crd/standard/gateway.networking.k8s.io_gatewayclasses.yaml", ("v1",)),
    CrdSource("kubernetes-sigs/gateway-api", GATEWAY_API_VERSION,
              "config/crd/standard/gateway.networking.k8s.io_gateways.yaml", ("v1",)),
    CrdSource("kubernetes-sigs/gateway-api", GATEWAY_API_VERSION,
              "config/crd/standard/gateway.networking.k8s.io_httproutes.yaml", ("v1",)),
    CrdSource("kubernetes-sigs/gateway-api", GATEWAY_API_VERSION,
              "config/crd/standard/gateway.networking.k8s.io_referencegrants.yaml", ("v1", "v1beta1")),
    CrdSource("kubernetes-sigs/gateway-api", GATEWAY_API_VERSION,
              "config/crd/experimental/gateway.networking.k8s.io_httproutes.yaml", ("v1",), channel=EXPERIMENTAL),
    CrdSource("kubernetes-sigs/gateway-api-inference-extension", INFERENCE_EXTENSION_VERSION,
              "config/crd/bases/inference.networking.k8s.io_inferencepools.yaml", ("v1",)),
    CrdSource("llm-d/llm-d-router", LLM_D_ROUTER_VERSION, "config/crd/bases/llm-d.ai_inferenceobjectives.yaml",
              ("v1alpha2",)),
    CrdSource("kserve/kserve", versions.KSERVE_VERSION,
              "config/crd/full/serving.kserve.io_inferenceservices.yaml", ("v1beta1",)),
    CrdSource("kserve/kserve", versions.KSERVE_VERSION,
              "config/crd/full/serving.kserve.io_clusterservingruntimes.yaml", ("v1alpha1",)),
    CrdSource("kedacore/keda", f"v{versions.KEDA_CHART}", "config/crd/bases/keda.sh_scaledobjects.yaml", ("v1alpha1",)),
    CrdSource("kedacore/http-add-on", f"v{versions.KEDA_HTTP_ADD_ON_CHART}",
              "config/crd/bases/http.keda.sh_interceptorroutes.yaml", ("v1beta1",)),
    CrdSource("prometheus-operator/prometheus-operator", PROMETHEUS_OPERATOR_VERSION,
              "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml", ("v1",)),
    CrdSource("prometheus-operator/prometheus-operator", PROMETHEUS_OPERATOR_VERSION,
              "example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml", ("v1",)),
    CrdSource("prometheus-operator/prometheus-operator", PROMETHEUS_OPERATOR_VERSION,
              "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml", ("v1",)),
    CrdSource("cert-manager/cert-manager", versions.CERT_MANAGER_CHART,
              "deploy/crds/cert-manager.io_clusterissuers.yaml", ("v1",)),
    CrdSource("GoogleCloudPlatform/prometheus-engine", GMP_VERSION,
              "charts/operator/crds/monitoring.googleapis.com_clusterrules.yaml", ("v1",)),
    CrdSource("datreeio/CRDs-catalog", CRDS_CATALOG_COMMIT, "cloud.google.com/computeclass_v1.json", ("v1",),
              json_schema_of="ComputeClass/cloud.google.com/v1"),
    *(
        CrdSource("agentgateway/agentgateway", versions.AGENTGATEWAY_VERSION,
                  f"controller/install/helm/agentgateway-crds/templates/agentgateway.dev_{plural}.yaml", ("v1alpha1",))
        for plural in ("agentgatewaybackends", "agentgatewayparameters", "agentgatewaypolicies")
    ),
    # GKE's multi-networking objects of GPUDirect (models past one node on gcp): no public CRD file either; the
    # catalog's, read from a live GKE cluster.
    CrdSource("datreeio/CRDs-catalog", CRDS_CATALOG_COMMIT, "networking.gke.io/gkenetworkparamset_v1.json", ("v1",),
              json_schema_of="GKENetworkParamSet/networking.gke.io/v1"),
    CrdSource("datreeio/CRDs-catalog", CRDS_CATALOG_COMMIT, "networking.gke.io/network_v1.json", ("v1",),
              json_schema_of="Network/networking.gke.io/v1"),
    # NVIDIA Network Operator's NicClusterPolicy (InfiniBand in pods on azure), from the chart the stack installs.
    CrdSource("Mellanox/network-operator", f"v{versions.NETWORK_OPERATOR_CHART}",
              "deployment/network-operator/crds/mellanox.com_nicclusterpolicies.yaml", ("v1alpha1",)),
    # LeaderWorkerSet (models past one node); the stack also creates this CRD itself (tools/vendor_lws_crd.py).
    CrdSource("kubernetes-sigs/lws", versions.LWS_VERSION,
              "charts/lws/crds/leaderworkerset.x-k8s.io_leaderworkersets.yaml", ("v1",)),
    # CloudNativePG's Cluster (vectorStore), at the operator release the pinned chart installs.
    CrdSource("cloudnative-pg/cloudnative-pg", f"v{versions.CLOUDNATIVE_PG_VERSION}",
              "config/crd/bases/postgresql.cnpg.io_clusters.yaml", ("v1",)),
)  # fmt: skip


def schema_file_name(kind: str, group: str, version: str) -> str:
    return f"{kind.lower()}-{group}-{version}.json"


def schema_path(api_version: str, kind: str, schema_dir: Path = CRD_SCHEMA_DIR) -> Path:
    group, version = api_version.split("/")
    return schema_dir / schema_file_name(kind, group, version)


def channel_schema_paths(api_version: str, kind: str, schema_dir: Path = CRD_SCHEMA_DIR) -> list[Path]:
    """The kind's schemas in other channels (schemas/crds/<channel>/), those that exist."""
    channels = sorted({source.channel for source in SOURCES if source.channel})
    paths = [schema_path(api_version, kind, schema_dir / channel) for channel in channels]
    return [path for path in paths if path.exists()]
