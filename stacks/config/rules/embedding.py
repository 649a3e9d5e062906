"""`task: embed`: which models may run on vLLM's pooling runner, and what an embedding model cannot be held to.

An embedding request answers with one vector: there is no first token after a prefill nor tokens after it, so
latency objectives on time to first token or per output token do not describe it (`slo.requestLatencySeconds`
does). A canary shares its primary's route and served name, so both must answer the same API.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.catalog.models import MODELS
from stacks.config.rules import Finding
from stacks.config.schema import ModelServing, Task

TOKEN_OBJECTIVES = ("ttftSeconds", "timePerOutputTokenSeconds")


def model_task(model: ModelServing) -> Task:
    """The configured task, else the catalogue's for the model, else generate."""
    if model.task is not None:
        return model.task
    known = MODELS.get(model.hugging_face_id)
    return Task(known.task) if known is not None and model.architecture is None else Task.GENERATE


def embedding_findings(models: Mapping[str, ModelServing]) -> list[Finding]:
    findings: list[Finding] = []
    for name, model in models.items():
        path = f"models.{name}"
        known = MODELS.get(model.hugging_face_id)
        if model.task is Task.GENERATE and known is not None and known.task == Task.EMBED.value:
            findings.append(
                Finding(
                    f"{path}.task",
                    f"'generate', but {model.hugging_face_id} is an embedding model (vLLM refuses it with "
                    "'Embedding models do not support `--runner generate`'); use 'embed' or remove the key",
                )
            )
        if model_task(model) is Task.EMBED and model.slo is not None:
            slo = model.slo.model_dump(by_alias=True)
            findings.extend(
                Finding(
                    f"{path}.slo.{key}",
                    "an embedding model produces no tokens; hold it to slo.requestLatencySeconds (whole requests)",
                )
                for key in TOKEN_OBJECTIVES
                if slo.get(key) is not None
            )
        primary = models.get(model.canary_of or "")
        if primary is not None and model_task(primary) is not model_task(model):
            theirs, ours = model_task(primary).value, model_task(model).value
            findings.append(
                Finding(
                    f"{path}.canaryOf",
                    f"'{model.canary_of}' serves task '{theirs}' and this model '{ours}': a canary answers its "
                    "primary's requests on the same API",
                )
            )
    return findings
