"""What GKE's Gateway load balancer needs to know about each backend of a route: where its pods answer a health check
with 200, and how long a response may take.

Without a HealthCheckPolicy, GKE checks a backend's serving port on `/` (gke-gateway-api apis/networking/v1/
healthcheck_types.go, RequestPath: 'If not specified or left empty, a default value of "/" is used'), which vLLM and
KEDA's interceptor both answer with 404: the backend never turns healthy. Without a GCPBackendPolicy the backend
service's timeout is 30 s (gcpbackendpolicy_types.go, TimeoutSec), far shorter than a completion. Both policies live
in the namespace of the Service they target (GKE's "Configure Gateway resources using Policies").

The port is always set with `portSpecification: USE_FIXED_PORT`: since gke-gateway-api commit 983ac3d the CRD's CEL
rules reject a `port` without it ("port and portName must be unset for portSpecification being USE_SERVING_PORT
(which is the default)"), and older CRDs accept both fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.serving.metadata import PART_OF

HEALTH_CHECK_POLICY = "HealthCheckPolicy"
BACKEND_POLICY = "GCPBackendPolicy"
API_VERSION = "networking.gke.io/v1"


@dataclass(frozen=True)
class HealthCheck:
    """Where a backend's pods answer 200 once ready: their readiness probe's port (a container port) and path."""

    port: int
    path: str


def service_target(service: str) -> dict[str, str]:
    return {"group": "", "kind": "Service", "name": service}


def health_check_policy_spec(target: dict[str, str], check: HealthCheck) -> dict[str, Any]:
    """An HTTP check of each endpoint on the fixed port and path, every 2 s (inferencepool chart gke.yaml, v1.5.0)."""
    return {
        "targetRef": target,
        "default": {
            "timeoutSec": 2,
            "checkIntervalSec": 2,
            "config": {
                "type": "HTTP",
                "httpHealthCheck": {
                    "portSpecification": "USE_FIXED_PORT",
                    "port": check.port,
                    "requestPath": check.path,
                },
            },
        },
    }


def backend_policy_spec(target: dict[str, str], timeout_seconds: int) -> dict[str, Any]:
    """The load balancer's backend timeout: as long as the route's (GKE's default is 30 s)."""
    return {"targetRef": target, "default": {"timeoutSec": timeout_seconds}}


def gke_backend_policies(
    name: str,
    *,
    namespace: pulumi.Input[str],
    target: dict[str, str],
    check: HealthCheck,
    timeout_seconds: int,
    opts: pulumi.ResourceOptions,
) -> list[k8s.apiextensions.CustomResource]:
    """The HealthCheckPolicy `<name>-health-check` and GCPBackendPolicy `<name>-backend-policy` of one backend,
    both named after the object they target and next to it."""
    labels = {"app.kubernetes.io/part-of": PART_OF}
    return [
        k8s.apiextensions.CustomResource(
            f"{name}-{suffix}",
            api_version=API_VERSION,
            kind=kind,
            metadata={"name": target["name"], "namespace": namespace, "labels": labels},
            spec=spec,
            opts=opts,
        )
        for kind, suffix, spec in (
            (HEALTH_CHECK_POLICY, "health-check", health_check_policy_spec(target, check)),
            (BACKEND_POLICY, "backend-policy", backend_policy_spec(target, timeout_seconds)),
        )
    ]
