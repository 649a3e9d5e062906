"""The retrieval application's vector store: PostgreSQL with pgvector, run by the CloudNativePG operator in the
cluster, reachable from the application's namespace only.

Why in the cluster rather than the cloud's managed PostgreSQL: the one rule that matters, "nothing but the
application reaches the store", is then a NetworkPolicy the tests evaluate over the planned objects, the same on
aws, gcp and azure; a managed server is reached from the VPC by address, where the pod network is not what a
security group or firewall rule can tell apart by namespace.

Facts from CloudNativePG v1.30.0 (cloudnative-pg/cloudnative-pg) and its chart cloudnative-pg-v0.29.0:
- the operator calls each instance's status port, 8000 (pkg/management/url/url.go `StatusPort`; docs/src/security.md
  "Exposed Ports"), and the API server calls its webhook on 9443 (chart values `webhook.port`);
- the instance pods are labelled `cnpg.io/cluster: <name>` (pkg/utils/labels_annotations.go), replicas stream from
  the primary on 5432, and the instance manager watches the API server;
- pods run as UID 26 with RuntimeDefault seccomp, no privilege escalation, a read-only root and every capability
  dropped (pkg/specs/pods.go, containers.go): Pod Security "restricted";
- `bootstrap.initdb.secret` is a `kubernetes.io/basic-auth` Secret of the owner's username and password
  (docs/src/bootstrap.md), and `postInitApplicationSQL` runs as superuser in the new database (where `CREATE
  EXTENSION vector` needs it);
- the pg_hba rules of `postgresql.pg_hba` come after its fixed `hostssl` rules for replication and before the default
  `host all all all scram-sha-256` (pkg/postgres/configuration.go): `hostnossl ... reject` there refuses every
  connection without TLS; the server's certificate is the operator's own CA's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components import versions
from components.serving.endpoint_picker import METADATA_ENDPOINT
from components.serving.metadata import DNS_EGRESS, PART_OF, namespace_peer, platform_namespace

NAMESPACE = "vector-store"
"""Where the database runs."""
OPERATOR_NAMESPACE = "cnpg-system"
"""Where the operator runs."""
CLUSTER_NAME = "vectors"
DATABASE = "app"
OWNER = "app"
POSTGRES_PORT = 5432
STATUS_PORT = 8000
WEBHOOK_PORT = 9443
HTTPS_PORT = 443
CLUSTER_LABEL = "cnpg.io/cluster"
BOOTSTRAP_SECRET = f"{CLUSTER_NAME}-owner"
APPLICATION_SECRET = "vector-store"
"""The Secret in the application's namespace: libpq's environment variables (PGHOST, PGPASSWORD, ...)."""
HOST = f"{CLUSTER_NAME}-rw.{NAMESPACE}.svc.cluster.local"
"""The primary's Service (`<cluster>-rw`, api/v1/cluster_funcs.go GetServiceReadWriteName)."""
EXTENSION_SQL = "CREATE EXTENSION IF NOT EXISTS vector"
PG_HBA = ("hostnossl all all all reject",)
"""Every TCP connection uses TLS (the replicas' fixed rules are hostssl already)."""
CHART_VALUES: dict[str, Any] = {
    # Pinned to the release the vendored CRD is from; the chart's empty tag would follow its appVersion.
    "image": {
        "repository": versions.CLOUDNATIVE_PG_IMAGE_REPOSITORY,
        "tag": versions.CLOUDNATIVE_PG_VERSION,
        "pullPolicy": "IfNotPresent",
    },
    "crds": {"create": True},
    "monitoring": {"podMonitorEnabled": False, "grafanaDashboard": {"create": False}},
}


@dataclass(frozen=True, kw_only=True)
class VectorStoreArgs:
    application_namespace: str
    instances: int
    storage_gib: int
    storage_class: pulumi.Input[str] | None
    """None: the cluster's default class."""
    cpu_cores: int
    memory_gib: int
    pod_security_version: str
    after: tuple[pulumi.Resource, ...] = ()
    """What the volumes need first (the StorageClass's driver)."""


def cluster_spec(args: VectorStoreArgs, storage_class: Any = None) -> dict[str, Any]:
    """The CloudNativePG `Cluster`: the pgvector image by digest, encrypted volumes of the given class, TLS only,
    no superuser login, the extension created in the application's database."""
    storage: dict[str, Any] = {"size": f"{args.storage_gib}Gi"}
    if storage_class is not None:
        storage["storageClass"] = storage_class
    quantity = {"cpu": str(args.cpu_cores), "memory": f"{args.memory_gib}Gi"}
    return {
        "instances": args.instances,
        "imageName": versions.PGVECTOR_POSTGRES_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "enableSuperuserAccess": False,
        "seccompProfile": {"type": "RuntimeDefault"},
        "storage": storage,
        "resources": {"requests": quantity, "limits": quantity},
        "postgresql": {"pg_hba": list(PG_HBA)},
        "bootstrap": {
            "initdb": {
                "database": DATABASE,
                "owner": OWNER,
                "secret": {"name": BOOTSTRAP_SECRET},
                "postInitApplicationSQL": [EXTENSION_SQL],
            }
        },
    }


def tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def store_network_policies(application_namespace: str) -> dict[str, dict[str, Any]]:
    """The store's namespace: nothing in or out but the application on 5432, the operator on the status port, the
    instances among themselves, DNS and the API server."""
    instances = {"podSelector": {"matchLabels": {CLUSTER_LABEL: CLUSTER_NAME}}}
    return {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-application": {
            "podSelector": {"matchLabels": {CLUSTER_LABEL: CLUSTER_NAME}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [namespace_peer(application_namespace)], "ports": tcp(POSTGRES_PORT)}],
        },
        "allow-operator-and-instances": {
            "podSelector": {"matchLabels": {CLUSTER_LABEL: CLUSTER_NAME}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": [namespace_peer(OPERATOR_NAMESPACE)], "ports": tcp(STATUS_PORT)},
                {"from": [instances], "ports": tcp(POSTGRES_PORT, STATUS_PORT)},
            ],
            "egress": [
                DNS_EGRESS,
                {"to": [instances], "ports": tcp(POSTGRES_PORT, STATUS_PORT)},
                # The instance manager watches its Cluster; the API server's address is not known at plan time.
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_ENDPOINT]}}],
                    "ports": tcp(HTTPS_PORT),
                },
            ],
        },
    }


def application_network_policies() -> dict[str, dict[str, Any]]:
    """The application's namespace: no ingress (its team adds what its own Services need), egress to DNS, the
    store, and HTTPS (the Gateway's address, outside the pod network) but never the cloud's metadata endpoint."""
    return {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-vector-store-gateway-and-dns": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                DNS_EGRESS,
                {
                    "to": [
                        {**namespace_peer(NAMESPACE), "podSelector": {"matchLabels": {CLUSTER_LABEL: CLUSTER_NAME}}}
                    ],
                    "ports": tcp(POSTGRES_PORT),
                },
                {
                    "to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [METADATA_ENDPOINT]}}],
                    "ports": tcp(HTTPS_PORT),
                },
            ],
        },
    }


def libpq_environment(password: pulumi.Input[str]) -> dict[str, pulumi.Input[str]]:
    """What the application's pods load with `envFrom`: psycopg's `connect()` reads libpq's variables."""
    return {
        "PGHOST": HOST,
        "PGPORT": str(POSTGRES_PORT),
        "PGDATABASE": DATABASE,
        "PGUSER": OWNER,
        "PGPASSWORD": password,
        # The server's certificate is signed by the operator's own CA, which the application does not hold.
        "PGSSLMODE": "require",
    }


def restricted_namespace_labels(pod_security_version: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/part-of": PART_OF,
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": pod_security_version,
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": pod_security_version,
    }


class VectorStore(pulumi.ComponentResource):
    """CloudNativePG's operator (pinned chart) in `cnpg-system`, a pgvector `Cluster` in `vector-store`, the
    application's namespace with the database's credentials as the Secret `vector-store`, and the NetworkPolicies
    that admit the application only.

    Example::

        VectorStore("vector-store", VectorStoreArgs(application_namespace="rag", instances=1, storage_gib=20,
                    storage_class=None, cpu_cores=1, memory_gib=2, pod_security_version="v1.34"),
                    opts=pulumi.ResourceOptions(provider=k8s_provider))
    """

    host: str
    """The primary's in-cluster DNS name."""
    application_secret: str

    def __init__(self, name: str, args: VectorStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:storage:VectorStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {"app.kubernetes.io/part-of": PART_OF}
        operator_namespace = platform_namespace(
            f"{name}-operator-namespace",
            OPERATOR_NAMESPACE,
            level="restricted",
            api_server_ports=(WEBHOOK_PORT,),
            opts=child,
        )
        operator = k8s.helm.v3.Release(
            f"{name}-operator",
            name="cnpg",
            chart="cloudnative-pg",
            version=versions.CLOUDNATIVE_PG_CHART,
            repository_opts={"repo": versions.CLOUDNATIVE_PG_REPO},
            namespace=operator_namespace.metadata.name,
            values=CHART_VALUES,
            max_history=5,
            opts=child,
        )
        password = random.RandomPassword(f"{name}-owner-password", length=32, special=False, opts=child)
        store_namespace = self._namespace(
            f"{name}-namespace", NAMESPACE, args, store_network_policies(args.application_namespace)
        )
        application_namespace = self._namespace(
            f"{name}-application-namespace", args.application_namespace, args, application_network_policies()
        )
        owner = k8s.core.v1.Secret(
            f"{name}-owner",
            metadata={"name": BOOTSTRAP_SECRET, "namespace": store_namespace.metadata.name, "labels": labels},
            type="kubernetes.io/basic-auth",
            string_data={"username": OWNER, "password": password.result},
            opts=child,
        )
        k8s.core.v1.Secret(
            f"{name}-application",
            metadata={
                "name": APPLICATION_SECRET,
                "namespace": application_namespace.metadata.name,
                "labels": labels,
            },
            type="Opaque",
            string_data=libpq_environment(password.result),
            opts=child,
        )
        k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata={"name": CLUSTER_NAME, "namespace": store_namespace.metadata.name, "labels": labels},
            spec=cluster_spec(args, args.storage_class),
            # The operator's webhooks admit the Cluster; the owner's Secret is read at bootstrap.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[operator, owner, *args.after]),
        )
        self.host = HOST
        self.application_secret = APPLICATION_SECRET
        self.register_outputs({"host": self.host})

    def _namespace(
        self, resource_name: str, namespace: str, args: VectorStoreArgs, policies: dict[str, dict[str, Any]]
    ) -> k8s.core.v1.Namespace:
        created = k8s.core.v1.Namespace(
            resource_name,
            metadata={"name": namespace, "labels": restricted_namespace_labels(args.pod_security_version)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        for policy_name, spec in policies.items():
            k8s.networking.v1.NetworkPolicy(
                f"{resource_name}-{policy_name}",
                metadata={
                    "name": policy_name,
                    "namespace": created.metadata.name,
                    "labels": {"app.kubernetes.io/part-of": PART_OF},
                },
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return created
