"""What a cloud's weight store gives each model that streams: the prefix its server reads and its copy Job writes,
each through its own workload identity, and what must exist before either pod starts."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.serving.weights import StreamedWeights


def weights_prefix(model: str) -> str:
    """A model's prefix in the stack's bucket: its name and a slash, so that `qwen/*` never matches `qwen-7b/...`."""
    return f"{model}/"


def writer_account(model: str) -> str:
    """The ServiceAccount of the model's copy Job (the server's is the model's name)."""
    return f"{model}-weights"


@dataclass(frozen=True, kw_only=True)
class ModelWeights:
    reader: StreamedWeights
    """What the model's server reads with (its ServiceAccount is the model's name)."""
    writer: StreamedWeights
    """What its copy Job writes with (ServiceAccount `writer_account(model)`)."""
    ready: list[pulumi.Resource] = field(default_factory=list)
    """Cloud resources the identities need (associations, role assignments) before a pod uses them."""
