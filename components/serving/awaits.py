"""What `pulumi up` waits for, and for how long: the one place that decides it for every object the stack creates.

After each create and update, pulumi-kubernetes waits until the object is ready, ten minutes by default
(pulumi/pulumi-kubernetes provider/pkg/await/await.go, awaiters.go, as of v4.32.0 and the main branch of July
2026, the newest source at hand: the 4.34.2 pin was not, so re-read these files when it moves):

- Deployment: until the new ReplicaSet is available and every claim its pods mount is Bound (deployment.go).
- Service: until no endpoint is NotReady (a pod with an address is a NotReady endpoint while it pulls and loads),
  and for a LoadBalancer until `.status.loadBalancer.ingress` has an address (service.go). ExternalName,
  headless and selector-less Services are ready at once.
- Ingress: until `.status.loadBalancer.ingress` is set, which only an ingress controller does (ingress.go).
- PersistentVolumeClaim: until Bound (Pending under WaitForFirstConsumer), within a fixed five minutes that no
  annotation extends (awaiters.go, untilCoreV1PersistentVolumeClaimReady).
- custom resources: not at all, unless `pulumi.com/waitFor` names a condition (metadata/overrides.go).
`pulumi.com/skipAwait: "true"` turns any of them off; `pulumi.com/timeoutSeconds` replaces the ten minutes
(metadata/overrides.go, TimeoutDuration). Helm releases (`helm.v3.Release`) wait with Helm's own readiness
checks for 300 s unless `skip_await` (provider/pkg/provider/helm_release.go).

The rule: an object is awaited only when what makes it ready is the cluster itself or something the stack
installs, and then for as long as the model behind it may take; otherwise Pulumi does not wait for it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SKIP_AWAIT = "pulumi.com/skipAwait"
TIMEOUT_SECONDS = "pulumi.com/timeoutSeconds"
WAIT_FOR = "pulumi.com/waitFor"

DEFAULT_TIMEOUT_SECONDS = 600
"""What pulumi-kubernetes waits for an object without `pulumi.com/timeoutSeconds`."""
CLAIM_TIMEOUT_SECONDS = 300
"""The fixed limit of a claim's wait; `pulumi.com/timeoutSeconds` can only shorten it."""
AWAITED_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "Service", "Ingress", "PersistentVolumeClaim", "Job"}
)
"""Kinds pulumi-kubernetes waits for with logic of its own, among those this stack can create (Pods and
ReplicationControllers it never creates; ResourceQuota waits a minute for the quota controller, which is part of
every cluster). A Job until its Complete condition (job.go), failing at once on Failed."""

NOT_AWAITED = {SKIP_AWAIT: "true"}


def model_rollout_seconds(*, progress_deadline_seconds: int, max_replicas: int) -> int:
    """The longest a model's rollout may take: it replaces one pod at a time (one surge pod, or one pod down), up
    to `max_replicas` pods, and each may use the whole progress deadline (node scale-up, image pull, weight
    download, load)."""
    return max(1, max_replicas) * progress_deadline_seconds


def model_workload(*, progress_deadline_seconds: int, max_replicas: int) -> dict[str, str]:
    """A model's Deployment or InferenceService: what makes it ready (the scheduler, the cluster autoscaler, the
    device plugin, KServe) is the cluster's or the stack's, so Pulumi waits for the whole rollout."""
    seconds = model_rollout_seconds(progress_deadline_seconds=progress_deadline_seconds, max_replicas=max_replicas)
    return {TIMEOUT_SECONDS: str(seconds)}


def model_service() -> dict[str, str]:
    """The ClusterIP Service in front of a model: ready exactly when a model pod is, which its Deployment's wait
    already covers; its own wait would stop at the ten-minute default while the model still loads."""
    return dict(NOT_AWAITED)


GATEWAY_READY = "condition=Programmed"
"""A Gateway is Programmed once its implementation has configured the data plane (GKE's, once it has an address)."""
GATEWAY_ADDRESSED = json.dumps([GATEWAY_READY, "jsonpath={.status.addresses[0].value}"])
"""Programmed and addressed, both (a JSON list of conditions: pulumi-kubernetes waits for all of them). agentgateway
v1.4.1 reports Programmed from its translation alone and writes the address from its proxies' Service once the cloud
assigns one (controller/pkg/controller/gw_controller.go), so Programmed alone may come first."""


def gateway_wait_seconds(
    *,
    installed: bool,
    cloud_cluster: bool,
    own_network: bool,
) -> int | None:
    """How long to wait for the stack's Gateway, or None: not at all. Its implementation is the stack's
    (agentgateway); its address comes, like a model's load balancer, from the cloud's controller in the network the
    stack creates. An existing Gateway is not the stack's object; on an existing cluster, or in subnets the stack did
    not create, nothing the stack installs or checks gives the address. agentgateway reports Programmed whatever the
    listeners' certificates (a listener without its Secret is not Programmed, the Gateway is: v1.4.1
    controller/pkg/agentgateway/translator/testdata/gateways/invalid-tls.yaml), so it is awaited whichever issuer
    signs them."""
    return GATEWAY_WAIT_SECONDS if installed and cloud_cluster and own_network else None


GATEWAY_WAIT_SECONDS = 900
"""A cloud load balancer usually takes a few minutes; no model stands behind the
Gateway's own readiness."""


def gateway(wait_seconds: int | None, *, until_addressed: bool = False) -> dict[str, str]:
    """The annotations of the stack's Gateway (a custom resource: awaited only with `pulumi.com/waitFor`);
    `until_addressed`: also until its status has an address, where Programmed does not imply one."""
    if wait_seconds is None:
        return dict(NOT_AWAITED)
    return {WAIT_FOR: GATEWAY_ADDRESSED if until_addressed else GATEWAY_READY, TIMEOUT_SECONDS: str(wait_seconds)}


def weights_copy(seconds: int) -> dict[str, str]:
    """A model's weight copy Job: its pods run on the system nodes with the stack's identity and token, so Pulumi
    waits until it completes, for as long as the copy may run; the model's Deployment comes after it."""
    return {TIMEOUT_SECONDS: str(seconds)}


def cache_claim() -> dict[str, str]:
    """A model's cache claim: the Deployment that mounts it waits until it is Bound, within the model's rollout
    time; the claim's own wait would end after a fixed five minutes, however long the file share takes."""
    return dict(NOT_AWAITED)


def load_balancer_wait_seconds(*, cloud_cluster: bool, own_network: bool, model_rollout_seconds: int) -> int | None:
    """How long to wait for a model's LoadBalancer Service, or None: not at all.

    Its address comes from the cloud's service controller, part of the cluster on a cloud target, in the
    network the stack creates for it (tagged `kubernetes.io/role/internal-elb` on AWS). An `existing` cluster
    may have no load-balancer controller at all, and in subnets the stack did not create it can check neither
    AWS's tags nor the cluster identity's rights on an Azure subnet: there nothing the stack installs or checks
    assigns the address. When Pulumi waits, it also waits for a ready model pod behind the Service, so for as
    long as the model's rollout."""
    return model_rollout_seconds if cloud_cluster and own_network else None


def load_balancer(wait_seconds: int | None) -> dict[str, str]:
    """The annotations of a model's LoadBalancer Service for `load_balancer_wait_seconds`."""
    return dict(NOT_AWAITED) if wait_seconds is None else {TIMEOUT_SECONDS: str(wait_seconds)}


@dataclass(frozen=True)
class Await:
    """How pulumi-kubernetes would wait for one planned object."""

    seconds: int
    """The longest it waits."""
    ready_when: str
    """What it waits for."""


def await_of(manifest: Mapping[str, Any]) -> Await | None:
    """How long and for what Pulumi waits for this object, read the way pulumi-kubernetes reads it; None: not at
    all."""
    annotations = (manifest.get("metadata") or {}).get("annotations") or {}
    if annotations.get(SKIP_AWAIT) == "true":
        return None
    kind = manifest["kind"]
    timeout = int(annotations.get(TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS))
    if WAIT_FOR in annotations:
        return Await(timeout, annotations[WAIT_FOR])
    if kind not in AWAITED_KINDS:
        return None
    spec = manifest.get("spec") or {}
    if kind == "Service":
        if spec.get("type") == "ExternalName" or spec.get("clusterIP") == "None" or not spec.get("selector"):
            return None
        ready = "a ready pod behind it"
        return Await(timeout, ready + (" and a load balancer address" if spec.get("type") == "LoadBalancer" else ""))
    if kind == "PersistentVolumeClaim":
        return Await(min(timeout, CLAIM_TIMEOUT_SECONDS), "a bound volume")
    if kind == "Ingress":
        return Await(timeout, "an address from an ingress controller")
    if kind == "Job":
        return Await(timeout, "its completion")
    return Await(timeout, "the rollout")


HELM_WAIT_SECONDS = 300
"""What a `helm.v3.Release` waits without `timeout` (pulumi-kubernetes helm_release.go, defaultTimeoutSeconds)."""
HELM_RELEASE_WAITS: Mapping[str, str] = {
    "cert-manager": "controller, webhook and cainjector Deployments on the system nodes",
    "cluster-autoscaler": "its Deployment on the system nodes",
    "dcgm-exporter": "its DaemonSet on the GPU nodes that exist",
    "agentgateway": "agentgateway's controller on the system nodes (its proxies are created later, per Gateway)",
    "agentgateway-crds": "nothing (CRDs)",
    "keda": "operator, metrics server and webhooks on the system nodes",
    "keda-add-ons-http": "operator, scaler and interceptor on the system nodes",
    "kserve-crd": "nothing (CRDs)",
    "kserve-resources": "the controller, whose webhook certificate comes from the stack's cert-manager",
    "kube-prometheus-stack": "operator and kube-state-metrics on the system nodes (Prometheus is the operator's)",
    "nvidia-device-plugin": "its DaemonSets on the GPU nodes that exist, and NFD on the system nodes",
    "aws-efa-k8s-device-plugin": "its DaemonSet on the fabric pools' nodes that exist",
    "network-operator": "the operator's Deployment and NFD on the system nodes (its policy's pods are the operator's)",
    "lws": "LeaderWorkerSet's controller Deployment on the system nodes (its CRD is the stack's own)",
    "cloudnative-pg": "CloudNativePG's operator Deployment on the system nodes (its CRDs come with it)",
}
"""What each Helm release the stack installs waits for, with Helm's readiness checks (helm pkg/kube/ready.go:
Deployments' and DaemonSets' pods ready, claims Bound, LoadBalancer Services addressed): controllers on nodes the
stack or the cluster runs, none behind a model, an ingress controller or anything else outside the stack, so every
release waits, for HELM_WAIT_SECONDS."""
