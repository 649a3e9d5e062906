"""Images on the node before the pod needs them, per cloud, against the installed provider SDKs' schemas: EKS
FastImagePull in the nodes' NodeConfig with the root volume throughput AWS asks for, or an EBS volume from the image
cache's snapshot mounted as containerd's state; GKE image streaming, or a secondary boot disk in image-cache mode; and
why AKS has none of them."""

from __future__ import annotations

import base64
import dataclasses
import inspect
from typing import Any

import pulumi_aws as aws
import pulumi_azure_native as azure_native
import pulumi_gcp as gcp
import yaml

from components.clusters.eks import FAST_IMAGE_PULL_THROUGHPUT_MIBPS, EksCluster
from components.clusters.eks_image_cache import CACHE_DEVICE, CACHE_MOUNT
from components.clusters.gke import GkeCluster
from tests.components import test_eks, test_gke
from tests.support import record

TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_POOL = "gcp:container/nodePool:NodePool"


def _streaming(args: Any) -> Any:
    return dataclasses.replace(
        args, gpu_pools={n: dataclasses.replace(p, stream_images=True) for n, p in args.gpu_pools.items()}
    )


def _caching(args: Any, cache: str) -> Any:
    return dataclasses.replace(
        args, gpu_pools={n: dataclasses.replace(p, image_cache=cache) for n, p in args.gpu_pools.items()}
    )


def _eks(args: Any) -> None:
    EksCluster("llm", args)


def _gke(args: Any) -> None:
    GkeCluster("llm", args)


def _script(user_data: str) -> str:
    """The shell script part of a launch template's MIME user data."""
    text = base64.b64decode(user_data).decode()
    [part] = [chunk for chunk in text.split("--//") if "text/x-shellscript" in chunk]
    return part.split("\n\n", 1)[1]


def _node_config(user_data: str) -> dict[str, Any]:
    """The NodeConfig part of a launch template's MIME user data."""
    text = base64.b64decode(user_data).decode()
    [part] = [chunk for chunk in text.split("--//") if "application/node.eks.aws" in chunk]
    return yaml.safe_load(part.split("\n\n", 1)[1])


def test_the_provider_schemas_carry_the_settings() -> None:
    ebs = inspect.signature(aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs.__init__).parameters
    assert {"throughput", "iops"} <= set(ebs)
    assert "user_data" in inspect.signature(aws.ec2.LaunchTemplate._internal_init).parameters
    assert "gcfs_config" in inspect.signature(gcp.container.NodePoolNodeConfigArgs.__init__).parameters
    assert "snapshot_id" in ebs
    assert "secondary_boot_disks" in inspect.signature(gcp.container.NodePoolNodeConfigArgs.__init__).parameters
    disk = inspect.signature(gcp.container.NodePoolNodeConfigSecondaryBootDiskArgs.__init__).parameters
    assert {"disk_image", "mode"} <= set(disk)


def test_the_pinned_azure_native_agent_pool_has_no_artifact_streaming() -> None:
    parameters = inspect.signature(azure_native.containerservice.AgentPool._internal_init).parameters
    assert not [name for name in parameters if "artifact" in name]


def test_a_pool_that_streams_images_turns_fast_image_pull_on_in_its_node_config() -> None:
    registered = record(lambda: _eks(_streaming(test_eks.ARGS)), config={"llm-platform:region": "us-east-1"})
    [gpu] = [r for r in registered.all(TEMPLATE) if r.name == "llm-l4-spot-template"]
    config = _node_config(gpu.inputs["userData"])
    assert config["kind"] == "NodeConfig"
    assert config["apiVersion"] == "node.eks.aws/v1alpha1"
    assert config["spec"]["featureGates"] == {"FastImagePull": True}


def test_fast_image_pull_comes_with_the_root_volume_throughput_aws_asks_for() -> None:
    registered = record(lambda: _eks(_streaming(test_eks.ARGS)), config={"llm-platform:region": "us-east-1"})
    [gpu] = [r for r in registered.all(TEMPLATE) if r.name == "llm-l4-spot-template"]
    [mapping] = gpu.inputs["blockDeviceMappings"]
    assert mapping["ebs"]["throughput"] >= FAST_IMAGE_PULL_THROUGHPUT_MIBPS >= 600
    # gp3 carries at most 0.25 MiB/s per provisioned IOPS.
    assert mapping["ebs"]["iops"] * 0.25 >= mapping["ebs"]["throughput"]


def test_a_pool_that_pulls_keeps_the_default_node_config_and_volume() -> None:
    registered = record(lambda: _eks(test_eks.ARGS), config={"llm-platform:region": "us-east-1"})
    for template in registered.all(TEMPLATE):
        assert "userData" not in template.inputs
        assert "throughput" not in template.inputs["blockDeviceMappings"][0]["ebs"]


def test_a_gke_pool_that_streams_images_turns_image_streaming_on() -> None:
    streaming = record(lambda: _gke(_streaming(test_gke.ARGS)), config={"llm-platform:region": "us-central1"})
    pulling = record(lambda: _gke(test_gke.ARGS), config={"llm-platform:region": "us-central1"})
    assert streaming.inputs(NODE_POOL, "llm-h100")["nodeConfig"]["gcfsConfig"] == {"enabled": True}
    assert "gcfsConfig" not in pulling.inputs(NODE_POOL, "llm-h100")["nodeConfig"]


def test_an_eks_pool_that_caches_images_starts_its_nodes_with_a_volume_from_the_snapshot() -> None:
    args = _caching(test_eks.ARGS, "snap-0123456789abcdef0")
    registered = record(lambda: _eks(args), config={"llm-platform:region": "us-east-1"})
    [gpu] = [r for r in registered.all(TEMPLATE) if r.name == "llm-l4-spot-template"]
    root, cache = gpu.inputs["blockDeviceMappings"]
    assert root["deviceName"] == "/dev/xvda"
    assert cache["deviceName"] == CACHE_DEVICE == "/dev/xvdb"
    assert cache["ebs"]["snapshotId"] == "snap-0123456789abcdef0"
    assert cache["ebs"]["volumeSize"] == root["ebs"]["volumeSize"]
    assert cache["ebs"]["encrypted"] == "true"
    assert cache["ebs"]["iops"] * 0.25 >= cache["ebs"]["throughput"]


def test_the_cache_volume_is_mounted_as_containerds_state_before_nodeadm_starts_it() -> None:
    args = _caching(test_eks.ARGS, "snap-0123456789abcdef0")
    registered = record(lambda: _eks(args), config={"llm-platform:region": "us-east-1"})
    [gpu] = [r for r in registered.all(TEMPLATE) if r.name == "llm-l4-spot-template"]
    script = _script(gpu.inputs["userData"])
    assert script.startswith("#!/bin/bash")
    assert f"{CACHE_DEVICE} {CACHE_MOUNT} xfs" in script
    assert CACHE_MOUNT == "/var/lib/containerd"
    assert script.index("systemctl stop containerd") < script.index(f"mount {CACHE_MOUNT}")
    # A caching node does not pull through FastImagePull's snapshotter.
    assert "application/node.eks.aws" not in base64.b64decode(gpu.inputs["userData"]).decode()


def test_a_gke_pool_that_caches_images_attaches_the_disk_image_in_image_cache_mode() -> None:
    args = _caching(test_gke.ARGS, "global/images/vllm-cache")
    registered = record(lambda: _gke(args), config={"llm-platform:region": "us-central1"})
    config = registered.inputs(NODE_POOL, "llm-h100")["nodeConfig"]
    assert config["secondaryBootDisks"] == [{"diskImage": "global/images/vllm-cache", "mode": "CONTAINER_IMAGE_CACHE"}]
    assert config["gcfsConfig"] == {"enabled": True}
