"""A model's weight cache: one ReadWriteMany claim its replicas share, so a new replica finds the weights."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.serving import awaits
from components.serving.metadata import PART_OF


@dataclass(frozen=True, kw_only=True)
class ModelCacheArgs:
    namespace: pulumi.Input[str]
    storage_class: pulumi.Input[str]
    """A ReadWriteMany class (Azure Files, Filestore, EFS...)."""
    size_gib: int
    size_is_nominal: bool = False
    """The class's volumes do not have the size they are asked for and cannot be expanded (EFS): a later change of
    `size_gib` is not sent, and the claim keeps the size it was created with."""


# Where a claim's size follows the config, a change is an in-place update that the class must allow
# (allowVolumeExpansion) and its driver must carry out (the EXPAND_VOLUME capability).
SIZE_FIELD = "spec.resources.requests.storage"


class ModelCache(pulumi.ComponentResource):
    """The claim `<model>-cache`.

    Example::

        ModelCache("chat", ModelCacheArgs(namespace=ns.name, storage_class="azurefile-csi-premium", size_gib=200))
    """

    claim_name: pulumi.Output[str]
    """Name of the claim the model's pods mount."""

    def __init__(self, name: str, args: ModelCacheArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("llm-platform:serving:ModelCache", name, None, opts)
        claim = k8s.core.v1.PersistentVolumeClaim(
            f"{name}-cache",
            metadata={
                "name": f"{name}-cache",
                "namespace": args.namespace,
                "labels": {"app.kubernetes.io/part-of": PART_OF},
                "annotations": awaits.cache_claim(),
            },
            spec={
                # Shared by every replica of the model, on any node: ReadWriteOnce would deadlock on multi-attach.
                "accessModes": ["ReadWriteMany"],
                "storageClassName": args.storage_class,
                "resources": {"requests": {"storage": f"{args.size_gib}Gi"}},
            },
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=[SIZE_FIELD] if args.size_is_nominal else None),
        )
        self.claim_name = claim.metadata.name
        self.register_outputs({"claimName": self.claim_name})
