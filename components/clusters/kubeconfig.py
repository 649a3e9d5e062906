"""Kubeconfigs whose users authenticate through a cloud CLI's exec plugin: no token in the file or the state."""

from __future__ import annotations

from typing import Any

import pulumi


def exec_kubeconfig(
    cluster_name: str, server: pulumi.Input[str], ca_data: pulumi.Input[str], exec_config: dict[str, Any]
) -> pulumi.Output[str]:
    """A one-cluster kubeconfig (JSON, which is YAML) whose user runs `exec_config` for credentials."""
    return pulumi.Output.json_dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster_name, "cluster": {"server": server, "certificate-authority-data": ca_data}}],
            "contexts": [{"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "interactiveMode": "Never",
                            **exec_config,
                        }
                    },
                }
            ],
        }
    )
