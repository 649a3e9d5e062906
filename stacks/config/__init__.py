"""The stack configuration: how a stack file becomes a validated, resolved `StackConfig`.

`load_config()` is the one entry: it reads the running stack's `llm-platform:*` keys (loader.py; the values
Pulumi hands over, inputs.py), validates them against the schema (schema.py, with pydantic's errors in the
project's words, messages.py) and the cross-key rules (model_checks.py, cloud_checks.py, observability.py,
rules/), and resolves what each pool and model needs (model_plan.py) into a `StackConfig` (resolved.py). The
composition modules of `stacks/` import only this package's top level: the entry, the resolved types and the
errors.
"""

from stacks.config.issues import ConfigError, ConfigIssue
from stacks.config.loader import load_config, parse_config
from stacks.config.model_plan import ModelPlan, NodeShare, RouteMember, RoutePlan
from stacks.config.resolved import StackConfig
from stacks.config.schema import (
    SECRET_KEYS,
    Capacity,
    DeployerType,
    Engine,
    GpuPool,
    ModelServing,
    Routing,
    ServedOrder,
    Target,
    Task,
)

__all__ = [
    "SECRET_KEYS",
    "Capacity",
    "ConfigError",
    "ConfigIssue",
    "DeployerType",
    "Engine",
    "GpuPool",
    "ModelPlan",
    "ModelServing",
    "NodeShare",
    "RouteMember",
    "RoutePlan",
    "Routing",
    "ServedOrder",
    "StackConfig",
    "Target",
    "Task",
    "load_config",
    "parse_config",
]
