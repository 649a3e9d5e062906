"""Target `aws`: an EKS cluster with GPU managed node groups."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.clusters.eks import EksCluster, EksClusterArgs
from stacks.cloud import cluster_args
from stacks.config import StackConfig
from stacks.outputs import cluster_outputs
from stacks.serving import deploy_models

DEFAULT_SYSTEM_INSTANCE_TYPE = "m7i.large"


def build(config: StackConfig) -> dict[str, Any]:
    # An explicit provider: the region comes from the stack config, never from the environment.
    provider = aws.Provider(
        "aws",
        region=config.region,
        default_tags={"tags": {"llm-platform/stack": config.stack, "llm-platform/cluster": config.cluster_name}},
    )
    cluster = EksCluster(
        config.cluster_name,
        EksClusterArgs(
            **cluster_args(config, default_system_instance_type=DEFAULT_SYSTEM_INSTANCE_TYPE),
            availability_zones=config.availability_zones,
            existing_subnet_ids=config.existing_subnet_ids,
            deletion_protection=config.deletion_protection,
        ),
        opts=pulumi.ResourceOptions(providers=[provider]),
    )
    return {
        **cluster_outputs(cluster, kubeconfig=cluster.kubeconfig),
        "models": deploy_models(config, cluster),
    }
