"""S3Weights under mocks: the bucket's hardening, and each model's roles evaluated as IAM evaluates them: a model's
server reads its own prefix and nothing else; its copy Job writes its own prefix and nothing else.

The evaluator below is IAM's rule for one identity policy and one resource policy in the same account (IAM user
guide, "Policy evaluation logic"): an explicit Deny in either wins, else an Allow in either allows, else deny.
Actions and resources match with `*` wildcards; conditions `StringLike` (wildcards) and `Bool`."""

from __future__ import annotations

import fnmatch
import json
from typing import Any

import pytest

from components.storage.s3_weights import POD_IDENTITY_AGENT, S3Weights, S3WeightsArgs
from tests.support import Registered, record

BUCKET = "aws:s3/bucket:Bucket"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ASSOCIATION = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
MODELS = ("qwen", "qwen-7b")


def build() -> dict[str, Any]:
    store = S3Weights(
        "weights",
        S3WeightsArgs(cluster_name="llm", region="us-east-1", namespace="llm-serving", models=list(MODELS)),
    )
    return {"bucket": store.bucket_name}


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "us-east-1"})


def _matches(patterns: str | list[str], value: str) -> bool:
    return any(
        fnmatch.fnmatchcase(value, pattern) for pattern in ([patterns] if isinstance(patterns, str) else patterns)
    )


def _conditions_hold(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in context:
                return False
            wanted = expected if isinstance(expected, list) else [expected]
            if operator == "StringLike" and not _matches(wanted, context[key]):
                return False
            if operator == "Bool" and context[key] not in wanted:
                return False
    return True


def _effects(policy: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> set[str]:
    """The effects of the statements that apply to a role's request (a resource policy's statement for another
    principal, such as S3's log delivery, does not)."""
    return {
        statement["Effect"]
        for statement in policy["Statement"]
        if statement.get("Principal", "*") == "*"
        and _matches(statement["Action"], action)
        and _matches(statement["Resource"], resource)
        and _conditions_hold(statement.get("Condition", {}), context)
    }


def allowed(policies: list[dict[str, Any]], action: str, resource: str, **context: str) -> bool:
    context = {"aws:SecureTransport": "true", **context}
    effects = set().union(*(_effects(policy, action, resource, context) for policy in policies))
    return "Deny" not in effects and "Allow" in effects


def policies(registered: Registered, model: str, role: str) -> list[dict[str, Any]]:
    identity = json.loads(registered.inputs(ROLE_POLICY, f"weights-{model}-{role}")["policy"])
    bucket = json.loads(registered.inputs("aws:s3/bucketPolicy:BucketPolicy", "weights-policy")["policy"])
    return [identity, bucket]


@pytest.fixture(scope="module")
def arn(registered: Registered) -> str:
    return f"arn:aws:s3:::{registered.outputs['bucket']}"


def test_a_server_reads_the_objects_of_its_own_prefix(registered: Registered, arn: str) -> None:
    assert allowed(policies(registered, "qwen", "reader"), "s3:GetObject", f"{arn}/qwen/model.safetensors")


def test_a_server_reads_no_other_models_prefix_even_one_its_name_begins(registered: Registered, arn: str) -> None:
    reader = policies(registered, "qwen", "reader")
    assert not allowed(reader, "s3:GetObject", f"{arn}/qwen-7b/model.safetensors")
    assert not allowed(reader, "s3:GetObject", f"{arn}/other")


def test_a_server_lists_only_its_own_prefix(registered: Registered, arn: str) -> None:
    reader = policies(registered, "qwen", "reader")
    assert allowed(reader, "s3:ListBucket", arn, **{"s3:prefix": "qwen/"})
    assert not allowed(reader, "s3:ListBucket", arn, **{"s3:prefix": "qwen-7b/"})
    assert not allowed(reader, "s3:ListBucket", arn, **{"s3:prefix": ""})
    assert not allowed(reader, "s3:ListBucket", arn)


@pytest.mark.parametrize("action", ["s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy", "s3:GetBucketAcl"])
def test_a_server_changes_nothing(registered: Registered, arn: str, action: str) -> None:
    reader = policies(registered, "qwen", "reader")
    assert not allowed(reader, action, f"{arn}/qwen/model.safetensors")
    assert not allowed(reader, action, arn)


def test_a_copy_job_writes_its_own_prefix_only(registered: Registered, arn: str) -> None:
    writer = policies(registered, "qwen", "writer")
    assert allowed(writer, "s3:PutObject", f"{arn}/qwen/model.safetensors")
    assert allowed(writer, "s3:GetObject", f"{arn}/qwen/.llm-platform-complete")
    assert not allowed(writer, "s3:PutObject", f"{arn}/qwen-7b/model.safetensors")
    assert not allowed(writer, "s3:DeleteObject", f"{arn}/qwen/model.safetensors")


def test_no_request_without_tls_is_allowed(registered: Registered, arn: str) -> None:
    reader = policies(registered, "qwen", "reader")
    assert not allowed(reader, "s3:GetObject", f"{arn}/qwen/model.safetensors", **{"aws:SecureTransport": "false"})


def test_each_model_has_a_reader_and_a_writer_association_for_its_service_accounts(registered: Registered) -> None:
    accounts = {(r.inputs["namespace"], r.inputs["serviceAccount"]) for r in registered.all(ASSOCIATION)}
    assert accounts == {
        ("llm-serving", "qwen"),
        ("llm-serving", "qwen-weights"),
        ("llm-serving", "qwen-7b"),
        ("llm-serving", "qwen-7b-weights"),
    }


def test_the_bucket_blocks_every_kind_of_public_access(registered: Registered) -> None:
    block = registered.inputs("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "weights-public-access")
    assert all(
        block[key] is True
        for key in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )


def test_the_bucket_encrypts_with_kms(registered: Registered) -> None:
    [rule] = registered.inputs(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "weights-encryption"
    )["rules"]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"


def test_old_versions_and_interrupted_uploads_expire(registered: Registered) -> None:
    rule, logs = registered.inputs(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "weights-lifecycle"
    )["rules"]
    assert logs["expiration"]["days"] == 90
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7


def test_each_bucket_logs_its_access_to_the_other(registered: Registered) -> None:
    logging = {r.name: r.inputs for r in registered.all("aws:s3/bucketLogging:BucketLogging")}
    assert set(logging) == {"weights-access-logs", "weights-logs-access-logs"}
    assert logging["weights-access-logs"]["targetBucket"] != logging["weights-access-logs"]["bucket"]
    assert logging["weights-access-logs"]["targetBucket"] == logging["weights-logs-access-logs"]["bucket"]


def test_pods_may_reach_the_pod_identity_agent() -> None:
    assert POD_IDENTITY_AGENT["to"] == [{"ipBlock": {"cidr": "169.254.170.23/32"}}]
