"""Reading the stack configuration, parsed once at the edge.

`load_config()` reads the `llm-platform:*` keys of the running stack, checks every rule, and returns a
frozen `StackConfig` (resolved.py), or raises `ConfigError` listing every problem (key path, value given, what is
allowed) before any resource exists. Everything after this package works with typed values only.

Keys are camelCase in `Pulumi.<stack>.yaml` and snake_case attributes here.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pulumi
from pydantic import BaseModel, ValidationError

from components.serving.gateway import gateway_ref
from components.serving.route_auth import enforces_policies, gateway_label
from stacks.config.cloud_checks import check_cloud, check_deployer, namespace_taken
from stacks.config.inputs import decoded_json, namespace_near_misses, secret_in_plain_key, token_problem
from stacks.config.issues import ConfigError, ConfigIssue, as_issues
from stacks.config.messages import describe, key_path, show
from stacks.config.model_checks import check_rules
from stacks.config.model_plan import fit_instances, model_sizings
from stacks.config.observability import ALERT_RECEIVER_KEYS, check_slo, check_stack
from stacks.config.resolved import StackConfig, resolve
from stacks.config.rules.auth import served_name_auth_findings
from stacks.config.rules.exposure import RETIRED_KEYS
from stacks.config.rules.prices import price_override_findings
from stacks.config.rules.regions import region_name_hint
from stacks.config.rules.served_names import served_name_findings
from stacks.config.rules.vector_store import vector_store_findings
from stacks.config.schema import (
    CLOUD_OF_TARGET,
    DNS_LABEL,
    LIST_KEYS,
    OBJECT_KEYS,
    PATTERN_HINTS,
    SECRET_KEYS,
    AuthConfig,
    ConfigModel,
    GpuPool,
    ModelServing,
    PriceOverride,
    RawConfig,
    ServedName,
    Target,
    VectorStoreConfig,
)

PROJECT = "llm-platform"


def load_config() -> StackConfig:
    """Read and check the running stack's configuration. Raises ConfigError on any problem."""
    stack = pulumi.get_stack()
    all_config = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    raw = {key.split(":", 1)[1]: value for key, value in all_config.items() if key.startswith(f"{PROJECT}:")}
    is_secret = {key: pulumi.runtime.is_config_secret(f"{PROJECT}:{key}") for key in raw}
    token = pulumi.Config(PROJECT).get_secret("hfToken") if "hfToken" in raw else None
    receivers = {key: pulumi.Config(PROJECT).require_secret(key) for key in ALERT_RECEIVER_KEYS if key in raw}
    return parse_config(
        raw,
        stack=stack,
        project=pulumi.get_project(),
        secret_keys=is_secret,
        hf_token=token,
        other_keys=[key for key in all_config if not key.startswith(f"{PROJECT}:")],
        alert_receivers=receivers,
    )


def parse_config(
    raw: Mapping[str, Any],
    *,
    stack: str,
    project: str = PROJECT,
    secret_keys: Mapping[str, bool] | None = None,
    hf_token: pulumi.Output[str] | None = None,
    other_keys: Iterable[str] = (),
    alert_receivers: Mapping[str, pulumi.Output[str]] | None = None,
) -> StackConfig:
    """Check raw config values (strings as Pulumi passes them, or already-decoded values). `secret_keys` says which
    keys Pulumi marked secret; `other_keys` are the full keys of other namespaces.

    Read (the values as Pulumi hands them over), validate (each key's shape, then the rules across keys), resolve
    (what each pool and model needs, once): every problem of every step is reported together."""
    issues = [ConfigIssue(key, message) for key, message in namespace_near_misses(other_keys, project)]
    values, unread, read_issues = _read_values(raw, secret_keys or {})
    issues.extend(read_issues)
    top, pools, models, shape_issues, dropped = _validate_shapes(values)
    issues.extend(shape_issues)
    later: list[ConfigIssue] = []
    overrides, override_issues = _price_overrides(values, top, pools)
    later.extend(override_issues)
    stack_auth, auth_issues = _validate(AuthConfig, values["auth"], ("auth",)) if "auth" in values else (None, [])
    issues.extend(auth_issues)
    if auth_issues:
        dropped.add("auth")  # what the rules would say of a stack without it is not the problem
    vector_store, store_issues = _vector_store(values, top)
    later.extend(store_issues)
    sizings = model_sizings(pools, models)
    pool_names = set((values.get("gpuPools") or {}).keys())
    has_token = _has_token(raw, hf_token)
    later.extend(check_rules(top, pools, models, pool_names, sizings, has_token=has_token, stack_auth=stack_auth))
    later.extend(_observability_issues(top, models, receivers=[key for key in ALERT_RECEIVER_KEYS if key in raw]))
    served, served_issues = _served_names(values, top, models, stack_auth)
    later.extend(served_issues)
    if top is not None:
        later.extend(check_cloud(top, pools))
        later.extend(check_deployer(top))
    instances, fit_issues = fit_instances(top, pools, models, sizings) if top is not None else ({}, [])
    later.extend(fit_issues)
    issues.extend(issue for issue in later if not _about_dropped(issue, dropped))
    top = None if dropped else top
    if issues or top is None:
        raise ConfigError(stack, _one_issue_per_unread_key(issues, unread))
    return resolve(
        top,
        pools,
        models,
        sizings,
        instances,
        stack=stack,
        project=project,
        hf_token=hf_token,
        alert_receivers=alert_receivers or {},
        price_overrides=overrides,
        stack_auth=stack_auth,
        vector_store=vector_store,
        served_names=served,
    )


def _served_names(
    values: Mapping[str, Any], top: RawConfig | None, models: Mapping[str, ModelServing], stack_auth: AuthConfig | None
) -> tuple[dict[str, ServedName], list[ConfigIssue]]:
    """The served names that have their shape, and what is wrong with each and with the models behind them."""
    served: dict[str, ServedName] = {}
    issues: list[ConfigIssue] = []
    for name, body in (values.get("servedNames") or {}).items():
        if not re.fullmatch(DNS_LABEL, name) or len(name) > 40:
            issues.append(
                ConfigIssue(
                    f"servedNames.{name}",
                    "the name clients send as `model`, and its Kubernetes objects' name: "
                    f"{PATTERN_HINTS[DNS_LABEL]}, at most 40 characters",
                )
            )
            continue
        item, item_issues = _validate(ServedName, body, ("servedNames", name))
        issues.extend(item_issues)
        if item is not None:
            served[name] = item
    if top is not None:
        cloud = CLOUD_OF_TARGET.get(top.target)
        gateway = gateway_ref(existing=top.existing_gateway, cloud=cloud)
        issues.extend(
            as_issues(
                served_name_findings(
                    served,
                    models,
                    cloud=cloud,
                    gateway=gateway,
                    has_tls_issuer=top.tls_cluster_issuer is not None or top.acme_email is not None,
                )
            )
        )
        issues.extend(
            as_issues(
                served_name_auth_findings(
                    served,
                    stack_auth,
                    gateway_enforces=enforces_policies(gateway),
                    gateway_name=gateway_label(gateway),
                )
            )
        )
    return served, issues


def _price_overrides(
    values: Mapping[str, Any], top: RawConfig | None, pools: Mapping[str, GpuPool]
) -> tuple[dict[str, PriceOverride], list[ConfigIssue]]:
    """The stack's price overrides that have their shape, and what is wrong with each."""
    overrides: dict[str, PriceOverride] = {}
    issues: list[ConfigIssue] = []
    for name, body in (values.get("priceOverrides") or {}).items():
        item, item_issues = _validate(PriceOverride, body, ("priceOverrides", name))
        issues.extend(item_issues)
        if item is not None:
            overrides[name] = item
    if overrides and top is not None and top.target is Target.EXISTING:
        message = "on an existing cluster the stack chooses no machines and has no cost to price; remove the key"
        return {}, [*issues, ConfigIssue("priceOverrides", message)]
    named = [pool.instance_type for pool in pools.values() if pool.instance_type]
    if top is not None and top.system_instance_type:
        named.append(top.system_instance_type)
    issues.extend(as_issues(price_override_findings(overrides, named)))
    return overrides, issues


def _vector_store(
    values: Mapping[str, Any], top: RawConfig | None
) -> tuple[VectorStoreConfig | None, list[ConfigIssue]]:
    """`vectorStore` when it has its shape, and what is wrong with it (alone, and against the top-level keys)."""
    if "vectorStore" not in values:
        return None, []
    store, issues = _validate(VectorStoreConfig, values["vectorStore"], ("vectorStore",))
    if store is not None and top is not None:
        findings = vector_store_findings(
            store, target=top.target, serving_namespace=top.namespace, namespace_taken=namespace_taken
        )
        issues.extend(as_issues(findings))
    return store, issues


def _read_values(
    raw: Mapping[str, Any], secret_keys: Mapping[str, bool]
) -> tuple[dict[str, Any], set[str], list[ConfigIssue]]:
    """The values to validate, decoded from what Pulumi hands over; the keys refused unread (a secret where none
    belongs: any message about it would show it); what is wrong with the rest."""
    issues: list[ConfigIssue] = []
    values: dict[str, Any] = {}
    unread: set[str] = set()
    for key, value in raw.items():
        is_secret = secret_keys.get(key, False)
        if key in RETIRED_KEYS and value != "":
            issues.append(ConfigIssue(key, RETIRED_KEYS[key]))
            continue
        if key in SECRET_KEYS:
            problem = token_problem(value, is_secret=is_secret, key=key)
            if problem:
                issues.append(ConfigIssue(key, problem))
            continue
        if is_secret:
            issues.append(ConfigIssue(key, secret_in_plain_key(key, SECRET_KEYS)))
            unread.add(key)
            continue  # never read: any message about it would show the secret
        if value == "":
            continue  # Pulumi.yaml declares optional scalars with an empty default, and YAML null arrives as "": unset.
        if key in OBJECT_KEYS:
            if isinstance(value, str):
                with contextlib.suppress(json.JSONDecodeError):
                    value = json.loads(value)
            if not isinstance(value, dict):
                what = "of settings" if key == "vectorStore" else "of names to settings"
                issues.append(ConfigIssue(key, f"must be a map {what}, got {show(value)}"))
                continue
        if key in LIST_KEYS and isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                value = json.loads(value)
        values[key] = decoded_json(value)
    return values, unread, issues


def _validate_shapes(
    values: Mapping[str, Any],
) -> tuple[RawConfig | None, dict[str, GpuPool], dict[str, ModelServing], list[ConfigIssue], set[str]]:
    """Each key against its schema: the top-level keys, each GPU pool, each model. A part with a wrong key is
    checked further without it (its default in its place), so that the rules across keys report their problems in
    the same run; the paths so dropped come back too, and what the rules say about them is not reported."""
    top, issues, dropped = _validate_leniently(RawConfig, {k: v for k, v in values.items() if k not in OBJECT_KEYS}, ())
    pools: dict[str, GpuPool] = {}
    models: dict[str, ModelServing] = {}
    for key, schema, parsed_items in (("gpuPools", GpuPool, pools), ("models", ModelServing, models)):
        for name, body in (values.get(key) or {}).items():
            item, item_issues, item_dropped = _validate_leniently(schema, body, (key, name))
            issues.extend(item_issues)
            dropped |= item_dropped
            if item is not None:
                parsed_items[name] = item  # type: ignore[index]
    return top, pools, models, issues, dropped


def _validate_leniently(
    schema: type[ConfigModel], body: Any, prefix: tuple[str, ...]
) -> tuple[Any, list[ConfigIssue], set[str]]:
    """The part validated; if some of its keys are wrong, their issues, and the part without them (or None when
    even that fails, e.g. a required key is the wrong one) with the paths of the keys left out."""
    try:
        return schema.model_validate(body), [], set()
    except ValidationError as error:
        issues = _issues_from_pydantic(error, schema, prefix)
        wrong = {item["loc"][0] for item in error.errors(include_url=False) if item["loc"]}
        if not isinstance(body, Mapping) or not wrong:
            return None, issues, set()
        try:
            rest = schema.model_validate({key: value for key, value in body.items() if key not in wrong})
        except ValidationError:
            return None, issues, set()
        return rest, issues, {key_path((*prefix, key)) for key in wrong}


def _about_dropped(issue: ConfigIssue, dropped: set[str]) -> bool:
    """A rule's issue about a key left out for being wrong (it judged the default), or that names one."""
    for path in dropped:
        if issue.path == path or issue.path.startswith((f"{path}.", f"{path}[")):
            return True
        if re.search(rf"(?<![\w.]){re.escape(path)}(?![\w])", issue.message):
            return True
    return False


def _observability_issues(
    top: RawConfig | None, models: Mapping[str, ModelServing], *, receivers: list[str]
) -> list[ConfigIssue]:
    issues = [ConfigIssue(i.path, i.message) for name, model in models.items() for i in check_slo(name, model.slo)]
    if top is not None:
        issues.extend(
            ConfigIssue(issue.path, issue.message)
            for issue in check_stack(
                monitoring=top.monitoring, prometheus_url=top.prometheus_url, grafana=top.grafana, receivers=receivers
            )
        )
    return issues


def _one_issue_per_unread_key(issues: list[ConfigIssue], unread: set[str]) -> list[ConfigIssue]:
    """A key refused unread (a secret where none belongs) says only that: the rules that miss it ("is required")
    would mislead."""
    reported: set[str] = set()
    kept = []
    for issue in issues:
        key = re.split(r"[.\[]", issue.path, maxsplit=1)[0]
        if key in unread:
            if key in reported:
                continue
            reported.add(key)
        kept.append(issue)
    return kept


def _has_token(raw: Mapping[str, Any], hf_token: pulumi.Output[str] | None) -> bool:
    if "hfToken" in raw:
        return isinstance(raw["hfToken"], str) and bool(raw["hfToken"].strip())
    return hf_token is not None


def _validate(schema: type[ConfigModel], body: Any, prefix: tuple[str, ...]) -> tuple[Any, list[ConfigIssue]]:
    try:
        return schema.model_validate(body), []
    except ValidationError as error:
        return None, _issues_from_pydantic(error, schema, prefix)


# --- pydantic's errors, in the project's words ----------------------------------------------------

_ROOT_KEYS = (*sorted(OBJECT_KEYS), *SECRET_KEYS)
"""Top-level keys read apart from RawConfig, named with its own when a key is unknown."""


def _near_miss(loc: tuple[Any, ...], item: Any) -> str:
    """What the value was probably meant to be, where a rule knows the names (a region's display name)."""
    if loc == ("region",) and item["type"] == "string_pattern_mismatch":
        hint = region_name_hint(str(item.get("input")))
        return f"; {hint}" if hint else ""
    return ""


def _issues_from_pydantic(error: ValidationError, root: type[BaseModel], prefix: tuple[str, ...]) -> list[ConfigIssue]:
    return [
        ConfigIssue(
            key_path(loc),
            describe(item, root, PATTERN_HINTS, _ROOT_KEYS if root is RawConfig else ()) + _near_miss(loc, item),
        )
        for item in error.errors(include_url=False)
        for loc in [prefix + tuple(item["loc"])]
    ]
