"""Every image, chart and Kubernetes version the program deploys, pinned in one place.

Components import from here; no version literal appears anywhere else. Bumping one is a one-line
change whose effect shows in the preview diff of every stack.
"""

from __future__ import annotations

# Kubernetes minor versions the program is tested against (the manifests pass the API schemas of each).
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35")

# vLLM's OpenAI-compatible server; --shutdown-timeout (vllm#36666, from v0.18) is needed for graceful
# shutdown. Never `latest`.
VLLM_VERSION = "v0.31.0"
# renovate: datasource=docker depName=vllm/vllm-openai
VLLM_GPU_IMAGE = f"docker.io/vllm/vllm-openai:{VLLM_VERSION}"
# vLLM's CPU build, multi-arch (x86_64 and arm64), which vLLM's release pipeline publishes to Docker Hub
# next to the CUDA one; its entrypoint is `vllm serve`, like the CUDA image's.
# renovate: datasource=docker depName=vllm/vllm-openai-cpu
VLLM_CPU_IMAGE = f"docker.io/vllm/vllm-openai-cpu:{VLLM_VERSION}"

# NVIDIA device plugin (with GPU feature discovery), where the cloud does not run one (EKS AL2023, AKS, existing).
# renovate: datasource=helm registryUrl=https://nvidia.github.io/k8s-device-plugin depName=nvidia-device-plugin
NVIDIA_DEVICE_PLUGIN_REPO = "https://nvidia.github.io/k8s-device-plugin"
NVIDIA_DEVICE_PLUGIN_CHART = "0.20.0"

# cluster-autoscaler (EKS; AKS and GKE run their own): one chart, the image matching the cluster's minor.
# Chart 9.59.0 ships appVersion 1.35.0; the autoscaler should match the Kubernetes minor it scales
# (kubernetes/autoscaler charts/cluster-autoscaler/README.md), hence the image per minor.
# renovate: datasource=helm registryUrl=https://kubernetes.github.io/autoscaler depName=cluster-autoscaler
CLUSTER_AUTOSCALER_REPO = "https://kubernetes.github.io/autoscaler"
CLUSTER_AUTOSCALER_CHART = "9.59.0"
CLUSTER_AUTOSCALER_IMAGES: dict[str, str] = {"1.32": "v1.32.0", "1.33": "v1.33.0", "1.34": "v1.34.2", "1.35": "v1.35.0"}

# EKS managed add-ons, one build per Kubernetes minor. Pinned, so a new build reaches a cluster only through a change
# here, which the plan diff shows (EKS itself updates no add-on; `most_recent` lookups moved them on any `pulumi up`).
# Each is a build `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <add-on>` lists for its
# minor; run it before bumping one. Where each came from:
# - vpc-cni, kube-proxy, coredns: that command's newest build per minor, as cookpad/terraform-aws-eks generated it
#   (hack/versions into versions.tf: 1.32 on 2025-04-17, 1.33 and 1.34 on 2025-11-24, 1.35 on 2026-03-05); the
#   kube-proxy and CoreDNS builds are also in the EKS user guide's tables (managing-kube-proxy, managing-coredns).
#   vpc-cni v1.21.1-eksbuild.3 is that command's answer for 1.35 and the user guide's for 1.34
#   (awslabs/cdk-eks-blueprints#1224), and the newest vpc-cni for 1.32 and 1.33 (cookpad/terraform-aws-eks#397, #398).
# - eks-pod-identity-agent: awslabs/cdk-eks-blueprints lib/addons/eks-pod-identity-agent/index.ts (2026-07), the same
#   build for 1.32 to 1.35.
# - aws-efs-csi-driver: v3.3.0-eksbuild.1, the newest build in July 2026 (zalando-incubator/kubernetes-on-aws#11666,
#   running on 1.36 in public Terragrunt stacks); no source lists it per minor: confirm with the command for 1.32.
EKS_ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "vpc-cni": {minor: "v1.21.1-eksbuild.3" for minor in SUPPORTED_KUBERNETES_VERSIONS},
    "kube-proxy": {
        "1.32": "v1.32.0-eksbuild.2",
        "1.33": "v1.33.5-eksbuild.2",
        "1.34": "v1.34.1-eksbuild.2",
        "1.35": "v1.35.0-eksbuild.2",
    },
    "coredns": {
        "1.32": "v1.11.4-eksbuild.2",
        "1.33": "v1.12.4-eksbuild.1",
        "1.34": "v1.12.4-eksbuild.1",
        "1.35": "v1.13.2-eksbuild.1",
    },
    "eks-pod-identity-agent": {minor: "v1.3.10-eksbuild.2" for minor in SUPPORTED_KUBERNETES_VERSIONS},
    "aws-efs-csi-driver": {minor: "v3.3.0-eksbuild.1" for minor in SUPPORTED_KUBERNETES_VERSIONS},
    # The vector store's block volumes (vectorStore on aws): awslabs/cdk-eks-blueprints
    # lib/addons/ebs-csi-driver/index.ts (2026-04).
    "aws-ebs-csi-driver": {
        "1.32": "v1.56.0-eksbuild.1",
        "1.33": "v1.56.0-eksbuild.1",
        "1.34": "v1.56.0-eksbuild.1",
        "1.35": "v1.57.1-eksbuild.1",
    },
}

# NVIDIA DCGM exporter: GPU metrics where the cloud has no managed one (GKE has, with Managed Prometheus).
# renovate: datasource=helm registryUrl=https://nvidia.github.io/dcgm-exporter/helm-charts depName=dcgm-exporter
DCGM_EXPORTER_REPO = "https://nvidia.github.io/dcgm-exporter/helm-charts"
DCGM_EXPORTER_CHART = "4.8.2"

# Prometheus Operator + Prometheus (kube-prometheus-stack 88.1.3 ships operator v0.93.0, the CRDs in
# schemas/crds/): what KEDA reads vLLM's queue from, unless the stack names an existing Prometheus.
# renovate: datasource=helm registryUrl=https://prometheus-community.github.io/helm-charts depName=kube-prometheus-stack
PROMETHEUS_STACK_REPO = "https://prometheus-community.github.io/helm-charts"
PROMETHEUS_STACK_CHART = "88.1.3"

# KEDA: scales each model on its request queue.
# renovate: datasource=helm registryUrl=https://kedacore.github.io/charts depName=keda
KEDA_REPO = "https://kedacore.github.io/charts"
KEDA_CHART = "2.20.1"
# KEDA's HTTP add-on, for models that scale to zero (kedacore/charts http-add-on: chart and app 0.15.0).
# renovate: datasource=helm registryUrl=https://kedacore.github.io/charts depName=keda-add-ons-http
KEDA_HTTP_ADD_ON_CHART = "0.15.0"

# KServe in Standard mode (formerly RawDeployment; no Knative) and cert-manager, which KServe's webhooks need.
# KServe's charts are OCI artifacts, one per directory of its charts/ (kserve/kserve .github/workflows/
# helm-publish.yml): the controller is `kserve-resources` (the `kserve` chart of releases before 0.16 is gone).
# Its CRD version is the one in schemas/crds/ (v0.20.0). The ClusterServingRuntimes chart
# (`kserve-runtime-configs`) installs all fourteen runtimes or none, one on `vllm/vllm-openai:latest`: the stack
# creates the one runtime it uses instead, on the Hugging Face server image of KServe's release.
KSERVE_CRD_CHART = "oci://ghcr.io/kserve/charts/kserve-crd"
KSERVE_CHART = "oci://ghcr.io/kserve/charts/kserve-resources"
KSERVE_VERSION = "v0.20.0"
KSERVE_HUGGINGFACE_IMAGE = f"kserve/huggingfaceserver:{KSERVE_VERSION}"
# renovate: datasource=helm registryUrl=https://charts.jetstack.io depName=cert-manager
CERT_MANAGER_REPO = "https://charts.jetstack.io"
CERT_MANAGER_CHART = "v1.21.1"

# agentgateway: the stack's Gateway on every cloud (docs/manual.md "The stack's Gateway"), conformant to the inference
# extension (its v1.6.0 implementations list; agentgateway runs that conformance suite in CI on every change,
# controller/Makefile `all-conformance`). Two OCI charts per release (controller/Makefile `release-charts`, pushed by
# .github/workflows/release.yml to ghcr.io/<owner>/charts, chart version = the tag): its CRDs apart from its
# controller. Its images are the release's (release.yml REGISTRY_IMAGE, CONTROLLER_REGISTRY_IMAGE), named in the
# chart's values rather than the chart's default registry. CRD schemas in schemas/crds/.
AGENTGATEWAY_VERSION = "v1.4.1"
AGENTGATEWAY_CRD_CHART = "oci://ghcr.io/agentgateway/charts/agentgateway-crds"
AGENTGATEWAY_CHART = "oci://ghcr.io/agentgateway/charts/agentgateway"
AGENTGATEWAY_IMAGE_REGISTRY = "ghcr.io/agentgateway"

# The endpoint picker of `routing: inference` (EPP): llm-d/llm-d-router's release, its maintained home since
# kubernetes-sigs/gateway-api-inference-extension v1.6.0 stopped building it. Pinned to the release tag: the
# chart's default (routerlib values.yaml at v0.10.0) is the floating `main`. Its chart config/charts/routerlib at
# v0.10.0 is where the picker's arguments, ports, RBAC and plugin configuration in
# components/serving/endpoint_picker.py were read.
ENDPOINT_PICKER_IMAGE = "ghcr.io/llm-d/llm-d-router-endpoint-picker:v0.10.0"

# LeaderWorkerSet (models past one node): the controller's chart from registry.k8s.io (kubernetes-sigs/lws
# hack/push-chart.sh publishes chart version = the release tag, image registry.k8s.io/lws/lws:<tag>). Its CRD is
# vendored at the same tag by tools/vendor_lws_crd.py and created by the stack, the chart's crds/ skipped.
# renovate: datasource=docker depName=registry.k8s.io/lws/lws
LWS_VERSION = "v0.10.0"
LWS_CHART = "oci://registry.k8s.io/lws/charts/lws"
LWS_IMAGE_REPOSITORY = "registry.k8s.io/lws/lws"

# EFA device plugin (EKS pools with `fabric`): aws/eks-charts stable/aws-efa-k8s-device-plugin, chart v0.5.30
# (image v0.5.20 from its values.yaml; its supportedInstanceLabels list p4d/p4de/p5/p5e/p5en).
# renovate: datasource=helm registryUrl=https://aws.github.io/eks-charts depName=aws-efa-k8s-device-plugin
EKS_CHARTS_REPO = "https://aws.github.io/eks-charts"
EFA_DEVICE_PLUGIN_CHART = "v0.5.30"

# GKE GPUDirect (gcp pools with `fabric`): GoogleCloudPlatform/container-engine-accelerators at commit
# 992db81 (2026-06-11), gpudirect-tcpxo/README.md "Jan 9, 2026" release (installer and daemon are released as a
# pair: the daemon must match the installed plugin) and gpudirect-rdma/nccl-rdma-installer.yaml.
GKE_ACCELERATORS_COMMIT = "992db81257553607f1477945f1b3219632991829"
TCPXO_INSTALLER_IMAGE = "us-docker.pkg.dev/gce-ai-infra/gpudirect-tcpxo/nccl-plugin-gpudirecttcpx-dev:v1.0.15"
TCPXO_DAEMON_IMAGE = "us-docker.pkg.dev/gce-ai-infra/gpudirect-tcpxo/tcpgpudmarxd-dev:v1.0.21"
GIB_INSTALLER_IMAGE = "us-docker.pkg.dev/gce-ai-infra/gpudirect-gib/nccl-plugin-gib:v1.1.1"
# Pinned by the digest the manifests give.
GKE_PAUSE_IMAGE_BY_DIGEST = (
    "gke.gcr.io/pause:3.8@sha256:880e63f94b145e46f1b1082bb71b85e21f16b99b180b9996407d61240ceb9830"
)
# The installers' first step (nsenter into the host) runs in a stock Ubuntu image; the manifest says `ubuntu`.
UBUNTU_IMAGE = "docker.io/library/ubuntu:24.04"

# NVIDIA Network Operator (azure pools with `fabric`: InfiniBand in pods), the path of Azure/aks-rdma-infiniband.
# Chart version = Mellanox/network-operator's tag without `v` (.github/workflows/release.yaml); the driver and
# RDMA shared device plugin tags are the ones its example NicClusterPolicy (example/crs/) names at v26.4.1.
# renovate: datasource=helm registryUrl=https://helm.ngc.nvidia.com/nvidia depName=network-operator
NETWORK_OPERATOR_REPO = "https://helm.ngc.nvidia.com/nvidia"
NETWORK_OPERATOR_CHART = "26.4.1"
DOCA_DRIVER_VERSION = "doca3.4.1-26.04-1.1.0.0-1"
RDMA_SHARED_DEVICE_PLUGIN_VERSION = "network-operator-v26.4.1"

# The retrieval example's vector store (vectorStore): CloudNativePG's operator, chart cloudnative-pg-v0.29.0 of
# cloudnative-pg/charts (appVersion 1.30.0, whose Cluster CRD is vendored in schemas/crds/), and a PostgreSQL image
# that ships pgvector: the `system` images build FROM `standard`, which installs postgresql-<major>-pgvector
# (cloudnative-pg/postgres-containers Dockerfile and docker-bake.hcl `extensions`); this digest is the major-18 entry of
# that repository's Debian/ClusterImageCatalog-bookworm.yaml of 2026-08-17. The operator's own default, 18.4-system-
# trixie (pkg/versions/versions.go at v1.30.0), names a tag, not a digest. The tag stays beside the digest: the
# operator's webhook refuses a digest alone and reads the major version from the tag (validateImageName).
# renovate: datasource=helm registryUrl=https://cloudnative-pg.github.io/charts depName=cloudnative-pg
CLOUDNATIVE_PG_REPO = "https://cloudnative-pg.github.io/charts"
CLOUDNATIVE_PG_CHART = "0.29.0"
CLOUDNATIVE_PG_VERSION = "1.30.0"
CLOUDNATIVE_PG_IMAGE_REPOSITORY = "ghcr.io/cloudnative-pg/cloudnative-pg"
PGVECTOR_POSTGRES_IMAGE = (
    "ghcr.io/cloudnative-pg/postgresql:18.6-202608170814-system-bookworm"
    "@sha256:83229f82cf85a38c3b13d9edbc0667763006514b499510540d704a21c9aa725a"
)
