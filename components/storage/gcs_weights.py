"""The stack's weight bucket on GCP: GCS with uniform access, public access prevention, versioning and a lifecycle,
its access logs in a second bucket (which logs back into the first: each bucket's logs go to the other); each model
reads its managed folder `<model>/` through Workload Identity Federation for GKE, and its copy Job writes it.

A managed folder carries its own IAM policy: roles/storage.objectViewer there lets a principal get and list the
objects under the folder's prefix and nowhere else (GCS docs, "Managed folders"); an IAM condition on the bucket
could not scope the list, whose resource is the bucket. The principal is the model's Kubernetes ServiceAccount,
named directly (`principal://.../subject/ns/<namespace>/sa/<name>`), with no Google service account in between. The
pod reaches GKE's metadata server at 169.254.169.254:80 for its token (and, on Dataplane V2 clusters,
169.254.169.252:988): the model's NetworkPolicy allows both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random

from components.serving.weights import StreamedWeights
from components.storage.model_weights import ModelWeights, weights_prefix, writer_account

METADATA_SERVER = (
    {"to": [{"ipBlock": {"cidr": "169.254.169.254/32"}}], "ports": [{"port": 80, "protocol": "TCP"}]},
    {"to": [{"ipBlock": {"cidr": "169.254.169.252/32"}}], "ports": [{"port": 988, "protocol": "TCP"}]},
)
"""Egress to GKE's metadata server, which answers Workload Identity's token requests."""
READER_ROLE = "roles/storage.objectViewer"
WRITER_ROLE = "roles/storage.objectUser"
LOG_WRITER = "group:cloud-storage-analytics@google.com"
"""Who delivers usage logs: it needs to create objects in the log bucket (GCS docs, "Usage logs & storage logs")."""
LOG_PREFIX = "access-logs/"
NONCURRENT_DAYS = 30
MULTIPART_DAYS = 7
LOG_DAYS = 90


@dataclass(frozen=True, kw_only=True)
class GcsWeightsArgs:
    project: str
    region: str
    cluster_name: str
    namespace: str
    models: Sequence[str]


def workload_principal(project_number: str, project: str, namespace: str, account: str) -> str:
    """A Kubernetes ServiceAccount as an IAM principal of Workload Identity Federation for GKE."""
    return (
        f"principal://iam.googleapis.com/projects/{project_number}/locations/global/workloadIdentityPools/"
        f"{project}.svc.id.goog/subject/ns/{namespace}/sa/{account}"
    )


def _lifecycle(*, logs_days: int | None) -> list[dict[str, object]]:
    rules: list[dict[str, object]] = [
        {"action": {"type": "Delete"}, "condition": {"days_since_noncurrent_time": NONCURRENT_DAYS}},
        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": MULTIPART_DAYS}},
    ]
    if logs_days is not None:
        rules.append({"action": {"type": "Delete"}, "condition": {"age": logs_days, "matches_prefixes": [LOG_PREFIX]}})
    return rules


class GcsWeights(pulumi.ComponentResource):
    """The buckets `<cluster>-weights-<hex>` and `<cluster>-wlogs-<hex>`, and each model's managed folder.

    Example::

        GcsWeights("weights", GcsWeightsArgs(project="p", region="us-central1", cluster_name="llm",
                   namespace="llm-serving", models=["chat"]))
    """

    models: dict[str, ModelWeights]

    def __init__(self, name: str, args: GcsWeightsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:storage:GcsWeights", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        suffix = pulumi_random.RandomId(f"{name}-suffix", byte_length=4, opts=child)
        weights_name = pulumi.Output.concat(args.cluster_name, "-weights-", suffix.hex)
        logs_name = pulumi.Output.concat(args.cluster_name, "-wlogs-", suffix.hex)

        def bucket(resource: str, bucket_name: pulumi.Output[str], logs_to: pulumi.Output[str]) -> gcp.storage.Bucket:
            return gcp.storage.Bucket(
                resource,
                name=bucket_name,
                project=args.project,
                location=args.region,
                uniform_bucket_level_access=True,
                public_access_prevention="enforced",
                versioning={"enabled": True},
                lifecycle_rules=_lifecycle(logs_days=LOG_DAYS),
                logging={"log_bucket": logs_to, "log_object_prefix": LOG_PREFIX},
                force_destroy=False,
                opts=child,
            )

        weights = bucket(f"{name}-bucket", weights_name, logs_name)
        logs = bucket(f"{name}-logs", logs_name, weights_name)
        for resource, target in ((f"{name}-bucket", weights), (f"{name}-logs", logs)):
            gcp.storage.BucketIAMMember(
                f"{resource}-log-delivery",
                bucket=target.name,
                role="roles/storage.objectCreator",
                member=LOG_WRITER,
                opts=child,
            )
        number = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self)
        ).number
        self.bucket_name = weights.name
        self.models = {model: self._model(name, model, weights, number, args, child) for model in args.models}
        self.register_outputs({"bucket": weights.name})

    def _model(
        self,
        name: str,
        model: str,
        bucket: gcp.storage.Bucket,
        project_number: pulumi.Output[str],
        args: GcsWeightsArgs,
        child: pulumi.ResourceOptions,
    ) -> ModelWeights:
        folder = gcp.storage.ManagedFolder(
            f"{name}-{model}", bucket=bucket.name, name=weights_prefix(model), force_destroy=False, opts=child
        )
        ready: list[pulumi.Resource] = []
        for role_name, account, role in (
            ("reader", model, READER_ROLE),
            ("writer", writer_account(model), WRITER_ROLE),
        ):
            ready.append(
                gcp.storage.ManagedFolderIamMember(
                    f"{name}-{model}-{role_name}",
                    bucket=bucket.name,
                    managed_folder=folder.name,
                    role=role,
                    member=project_number.apply(
                        lambda number, account=account: workload_principal(
                            number, args.project, args.namespace, account
                        )
                    ),
                    opts=child,
                )
            )
        streamed = StreamedWeights(
            uri=pulumi.Output.concat("gs://", bucket.name, "/", weights_prefix(model)),
            credential_egress=METADATA_SERVER,
        )
        return ModelWeights(reader=streamed, writer=streamed, ready=ready)
