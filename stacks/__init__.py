"""Composition per target. `build(config)` picks the target's module and returns the stack outputs.

Target modules are imported lazily: a stack only pays for the cloud SDK it uses.
"""

from __future__ import annotations

import importlib
from typing import Any

from stacks.budget import budget_issues
from stacks.config import ConfigError, ConfigIssue, Engine, StackConfig, Target
from stacks.cost import cost_output, stack_cost

_TARGET_MODULES: dict[Target, str] = {
    Target.EXISTING: "stacks.existing",
    Target.AWS: "stacks.aws",
    Target.GCP: "stacks.gcp",
    Target.AZURE: "stacks.azure",
}


_ENGINES_BUILT = (Engine.VLLM, Engine.KSERVE)


def _not_built_yet(config: StackConfig) -> list[ConfigIssue]:
    issues = []
    if config.target not in _TARGET_MODULES:
        available = ", ".join(f"'{target.value}'" for target in _TARGET_MODULES)
        issues.append(
            ConfigIssue("target", f"'{config.target.value}' is not built yet in this version; use {available}")
        )
    for name, model in config.models.items():
        if model.spec.engine not in _ENGINES_BUILT:
            issues.append(
                ConfigIssue(
                    f"models.{name}.engine",
                    f"'{model.spec.engine.value}' is not built yet in this version; use 'vllm'",
                )
            )
    return issues


def build(config: StackConfig) -> dict[str, Any]:
    """Create every resource of the stack; nothing at all when a setting is not supported. The stack's cost is
    computed here, once: the budget guard, the `cost` output and the overview dashboard read the same value."""
    issues = _not_built_yet(config)
    cost = None if issues else stack_cost(config)
    issues = issues or budget_issues(config, cost)
    if issues:
        raise ConfigError(config.stack, issues)
    module = importlib.import_module(_TARGET_MODULES[config.target])
    outputs: dict[str, Any] = module.build(config, cost)
    machines = {name: fit.as_output() for name, fit in config.pool_fits.items()}
    return {
        "target": config.target.value,
        "namespace": config.namespace,
        **outputs,
        **({"gpuPoolMachines": machines} if machines else {}),
        "cost": cost_output(cost),
    }
