"""EfsStorage under mocks, on an EksCluster: the ReadWriteMany class EKS lacks for the models' weight caches."""

from __future__ import annotations

from typing import Any

import pytest

from components import versions
from components.clusters.efs import CONTROLLER_SERVICE_ACCOUNT, NFS_PORT, EfsStorage, EfsStorageArgs
from components.clusters.eks import EksCluster
from tests.components.test_eks import ARGS
from tests.support import Registered, record

CLUSTER = "aws:eks/cluster:Cluster"
FILE_SYSTEM = "aws:efs/fileSystem:FileSystem"
MOUNT_TARGET = "aws:efs/mountTarget:MountTarget"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ADDON = "aws:eks/addon:Addon"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"


def build() -> dict[str, Any]:
    cluster = EksCluster("llm", ARGS)
    storage = EfsStorage(
        "model-cache",
        EfsStorageArgs(
            cluster_name=cluster.cluster_name,
            vpc_id=cluster.vpc_id,
            node_security_group_id=cluster.node_security_group_id,
            subnet_ids=cluster.node_subnet_ids,
            storage_class_name="efs-model-cache",
            kubernetes_version=ARGS.kubernetes_version,
            nodes=[cluster.system_nodes],
        ),
    )
    return {"fileSystem": storage.file_system_id, "nodeSecurityGroup": cluster.node_security_group_id}


@pytest.fixture(scope="module")
def registered() -> Registered:
    return record(build, config={"llm-platform:region": "us-east-1"})


def test_the_file_system_is_encrypted(registered: Registered) -> None:
    assert registered.inputs(FILE_SYSTEM)["encrypted"] is True


def test_every_node_subnet_has_a_mount_target(registered: Registered) -> None:
    node_subnets = set(registered.inputs(CLUSTER)["vpcConfig"]["subnetIds"])
    mounted = {target.inputs["subnetId"] for target in registered.all(MOUNT_TARGET)}
    assert mounted == node_subnets
    assert len(mounted) == ARGS.availability_zones


def test_mount_targets_admit_only_nfs_from_the_nodes_security_group(registered: Registered) -> None:
    group = registered.one(SECURITY_GROUP, "model-cache-nfs")
    [rule] = group.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", NFS_PORT, NFS_PORT)
    assert rule["securityGroups"] == [registered.outputs["nodeSecurityGroup"]]
    assert "cidrBlocks" not in rule
    assert group.inputs["egress"] == []
    for target in registered.all(MOUNT_TARGET):
        assert len(target.inputs["securityGroups"]) == 1
        assert group.urn in target.dependencies


def test_the_csi_controller_gets_the_managed_driver_policy_through_pod_identity(registered: Registered) -> None:
    driver = registered.inputs(ADDON, "model-cache-driver")
    assert driver["addonName"] == "aws-efs-csi-driver"
    [association] = driver["podIdentityAssociations"]
    assert association["serviceAccount"] == CONTROLLER_SERVICE_ACCOUNT
    role = registered.one("aws:iam/role:Role", "model-cache-driver-role")
    assert association["roleArn"].endswith(":role/model-cache-driver-role")
    assert role.urn in registered.one(ADDON, "model-cache-driver").dependencies
    assert "pods.eks.amazonaws.com" in role.inputs["assumeRolePolicy"]
    attachment = registered.inputs("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "model-cache-driver-policy")
    assert attachment["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"


def test_the_driver_add_on_waits_for_nodes_to_run_on(registered: Registered) -> None:
    driver = registered.one(ADDON, "model-cache-driver")
    system_nodes = registered.one("aws:eks/nodeGroup:NodeGroup", "llm-system")
    assert system_nodes.urn in driver.dependencies


def test_the_class_provisions_an_access_point_per_claim_on_the_file_system(registered: Registered) -> None:
    storage_class = registered.inputs(STORAGE_CLASS)
    assert storage_class["metadata"]["name"] == "efs-model-cache"
    assert storage_class["provisioner"] == "efs.csi.aws.com"
    assert storage_class["parameters"]["provisioningMode"] == "efs-ap"
    assert storage_class["parameters"]["fileSystemId"] == registered.outputs["fileSystem"]


def test_the_class_binds_when_the_first_pod_lands(registered: Registered) -> None:
    assert registered.inputs(STORAGE_CLASS)["volumeBindingMode"] == "WaitForFirstConsumer"


def test_the_class_exists_only_once_its_mount_targets_and_driver_do(registered: Registered) -> None:
    storage_class = registered.one(STORAGE_CLASS)
    needed = {r.urn for r in registered.all(MOUNT_TARGET)} | {registered.one(ADDON, "model-cache-driver").urn}
    assert needed <= set(storage_class.dependencies)


def test_the_class_refuses_expansion_which_the_driver_cannot_carry_out(registered: Registered) -> None:
    # aws-efs-csi-driver (v2.x to v3.4.1) offers CREATE_DELETE_VOLUME only: an expandable class would accept a
    # resize that then waits forever for a resizer.
    assert registered.inputs(STORAGE_CLASS)["allowVolumeExpansion"] is False


def test_the_driver_add_on_runs_the_build_pinned_for_the_clusters_minor(registered: Registered) -> None:
    driver = registered.inputs(ADDON, "model-cache-driver")
    assert driver["addonVersion"] == versions.EKS_ADDON_VERSIONS["aws-efs-csi-driver"][ARGS.kubernetes_version]
