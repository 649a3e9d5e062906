"""A replica past one node: tensor parallelism inside each node (NVLink), pipeline parallelism across them, one
stage per node. What each node's GPUs hold of the model: pure functions.

Why pipeline and not tensor parallelism across nodes: TP all-reduces every layer's activations twice per token,
which NVLink carries at ~900 GB/s and EFA/InfiniBand/GPUDirect at ~400 GB/s per node at best; PP sends one
activation per stage boundary. vLLM v0.31.0 places ranks node by node (engine/arg_utils.py: a node's ranks are
`node_rank * local_world_size` onwards, local_world_size = world_size / nnodes) and TP is the innermost rank
dimension, so TP = GPUs per node with PP = nodes keeps every all-reduce on NVLink. Data and expert parallelism
(llm-d's wide-EP for DeepSeek) scale throughput, not fit: each DP rank still holds the whole attention, so they
are not the way to fit a model too big for one node.
"""

from __future__ import annotations

import dataclasses
import math

from components.catalog.models import ModelArchitecture


def stage_layers(layers: int, stages: int) -> list[int]:
    """vllm/distributed/utils.py `get_pp_indices`: `layers // stages` each, the remainder one each to the stages
    before the last, from the one before the last backwards (the last holds the final norm and lm_head)."""
    partitions = [layers // stages] * stages
    for index in range(2, layers % stages + 2):
        partitions[-index] += 1
    return partitions


def stages(architecture: ModelArchitecture, count: int) -> list[ModelArchitecture]:
    """The model as each of `count` stages holds it: its layers (the dense ones of a mixture of experts where they
    fall), one embedding matrix (the first stage's input embedding, the last's lm_head; vLLM's PP stages other than
    these hold neither, counting one for them too keeps this safe), its share of the sliding-window layers. One
    stage: the model itself."""
    if count == 1:
        return [architecture]
    found = []
    first = 0
    for layers in stage_layers(architecture.layers, count):
        dense = max(0, min(architecture.dense_layers, first + layers) - first)
        sliding = math.ceil(architecture.sliding_layers * layers / architecture.layers)
        found.append(
            dataclasses.replace(
                architecture,
                layers=layers,
                dense_layers=dense,
                sliding_layers=min(sliding, layers - 1) if architecture.sliding_window else 0,
                tied_embeddings=True,
                parameters_billion=architecture.parameters_billion * layers / architecture.layers,
            )
        )
        first += layers
    return found
