"""The stack's weight bucket on AWS: S3, encrypted with KMS, private, versioned, with a lifecycle; each model reads its
prefix through EKS Pod Identity (a role per model, read-only on `<model>/`), and its copy Job writes it through a
second role.

Pod Identity hands the pod's SDKs container credentials from the node's agent at 169.254.170.23:80 (EKS user guide,
"pod-id-how-it-works"); the model's NetworkPolicy must let it reach that address. S3 encrypts with the AWS managed key
`aws/s3`, whose key policy lets any principal of the account that may use S3 decrypt through S3 (so the roles need no
KMS statement), with S3 Bucket Keys on to cut KMS requests.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.clusters.eks import assume_role_policy
from components.serving.weights import StreamedWeights
from components.storage.model_weights import ModelWeights, weights_prefix, writer_account

POD_IDENTITY_AGENT = {"to": [{"ipBlock": {"cidr": "169.254.170.23/32"}}], "ports": [{"port": 80, "protocol": "TCP"}]}
"""Egress to the EKS Pod Identity agent on the node (link-local; IPv4)."""
NONCURRENT_DAYS = 30
"""How long a replaced or deleted object's old version is kept: a bad copy can be rolled back for a month."""
MULTIPART_DAYS = 7
"""Parts of an interrupted upload are removed after a week."""
LOG_PREFIX = "access-logs/"
LOG_DAYS = 90
READ_ACTIONS = ("s3:GetObject",)
WRITE_ACTIONS = ("s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")


@dataclass(frozen=True, kw_only=True)
class S3WeightsArgs:
    cluster_name: pulumi.Input[str]
    region: str
    namespace: str
    models: Sequence[str]
    """The models that stream their weights."""


def prefix_policy(bucket_arn: str, model: str, actions: Sequence[str]) -> str:
    """The role's policy: `actions` on the objects under the model's prefix, and listing only that prefix."""
    prefix = weights_prefix(model)
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": list(actions), "Resource": f"{bucket_arn}/{prefix}*"},
                {
                    "Effect": "Allow",
                    "Action": "s3:ListBucket",
                    "Resource": bucket_arn,
                    "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
                },
            ],
        }
    )


def bucket_policy(bucket_arn: str, logged_bucket_arn: str) -> str:
    """A bucket's policy: every request over TLS; S3's log delivery may write the other bucket's access logs."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"{bucket_arn}/{LOG_PREFIX}*",
                    "Condition": {"ArnLike": {"aws:SourceArn": logged_bucket_arn}},
                },
            ],
        }
    )


class S3Weights(pulumi.ComponentResource):
    """The bucket `<cluster>-weights-<suffix>` and each model's two roles.

    Example::

        S3Weights("weights", S3WeightsArgs(cluster_name=cluster.cluster_name, region="us-east-1",
                  namespace="llm-serving", models=["chat"]))
    """

    models: dict[str, ModelWeights]

    def __init__(self, name: str, args: S3WeightsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:storage:S3Weights", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        weights = self._hardened(name)
        logs = self._hardened(f"{name}-logs")
        # Each bucket's server access logs go to the other (a log bucket needs a log bucket in turn: checkov's
        # CKV_AWS_18 asks it of every bucket); S3 delivers them as logging.s3.amazonaws.com, which each bucket's
        # policy admits for the other's logs only.
        pairs = ((weights, name, logs, f"{name}-logs"), (logs, f"{name}-logs", weights, name))
        for source, source_name, target, target_name in pairs:
            aws.s3.BucketPolicy(
                f"{target_name}-policy",
                bucket=target.id,
                policy=pulumi.Output.all(target.arn, source.arn).apply(lambda arns: bucket_policy(arns[0], arns[1])),
                opts=child,
            )
            aws.s3.BucketLogging(
                f"{source_name}-access-logs",
                bucket=source.id,
                target_bucket=target.id,
                target_prefix=f"{LOG_PREFIX}{source_name}/",
                opts=child,
            )
        bucket = weights
        # The bucket's id is its name (chosen by S3 from the resource name: the `bucket` input is unset).
        self.bucket_name = bucket.id
        self.models = {model: self._model(name, model, bucket, args, child) for model in args.models}
        self.register_outputs({"bucket": bucket.id})

    def _hardened(self, name: str) -> aws.s3.Bucket:
        """A private bucket encrypted with KMS, versioned, with its old versions, interrupted uploads and access
        logs expiring, and every object change an EventBridge event."""
        child = pulumi.ResourceOptions(parent=self)
        bucket = aws.s3.Bucket(f"{name}-bucket", force_destroy=False, opts=child)
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"}, opts=child
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket.id,
            rules=[
                {"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms"}, "bucket_key_enabled": True}
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=child
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket.id,
            rules=[
                {
                    "id": "old-versions-and-parts",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_DAYS},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": MULTIPART_DAYS},
                },
                {
                    "id": "access-logs",
                    "status": "Enabled",
                    "filter": {"prefix": LOG_PREFIX},
                    "expiration": {"days": LOG_DAYS},
                },
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketNotification(f"{name}-events", bucket=bucket.id, eventbridge=True, opts=child)
        return bucket

    def _model(
        self, name: str, model: str, bucket: aws.s3.Bucket, args: S3WeightsArgs, child: pulumi.ResourceOptions
    ) -> ModelWeights:
        uri = pulumi.Output.concat("s3://", bucket.id, "/", weights_prefix(model))
        ready: list[pulumi.Resource] = []
        for role_name, account, actions in (
            ("reader", model, READ_ACTIONS),
            ("writer", writer_account(model), WRITE_ACTIONS),
        ):
            role = aws.iam.Role(
                f"{name}-{model}-{role_name}",
                assume_role_policy=assume_role_policy("pods.eks.amazonaws.com"),
                opts=child,
            )
            policy = aws.iam.RolePolicy(
                f"{name}-{model}-{role_name}",
                role=role.id,
                policy=bucket.arn.apply(lambda arn, actions=actions: prefix_policy(arn, model, actions)),
                opts=child,
            )
            association = aws.eks.PodIdentityAssociation(
                f"{name}-{model}-{role_name}",
                cluster_name=args.cluster_name,
                namespace=args.namespace,
                service_account=account,
                role_arn=role.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
            )
            ready.append(association)
        streamed = StreamedWeights(
            uri=uri,
            env=(("AWS_REGION", args.region), ("AWS_DEFAULT_REGION", args.region)),
            credential_egress=(POD_IDENTITY_AGENT,),
        )
        return ModelWeights(reader=streamed, writer=streamed, ready=ready)
