"""Pool and model names that would take a name the stack, the cluster or another model already has."""

from __future__ import annotations

import pytest

from stacks.config import parse_config
from tests.unit.test_config import existing, model
from tests.unit.test_config import problems as existing_problems
from tests.unit.test_config_clouds import aws, azure, gcp, problems


@pytest.mark.parametrize(
    ("keys", "name", "what"),
    [
        (aws, "system", "the system node group"),
        (gcp, "system", "the system node pool"),
        (azure, "system", "the system pool"),
        (azure, "general", "the add-ons' general pool"),
    ],
)
def test_a_gpu_pool_may_not_take_the_name_of_a_pool_the_stack_creates(keys: object, name: str, what: str) -> None:
    raw = keys(gpuPools={name: {"gpu": "T4" if keys is not azure else "A100-80GB"}})  # type: ignore[operator]
    assert f"gpuPools.{name}: '{name}' is the name of {what} the stack creates; rename the pool" in problems(raw)


def test_on_an_existing_cluster_a_pool_may_be_named_system() -> None:
    assert "system" in parse_config(existing(gpuPools={"system": {"gpu": "L4"}}), stack="t").gpu_pools


def test_a_model_named_default_would_take_the_namespaces_own_service_account() -> None:
    assert existing_problems(existing(models={"default": model()})) == [
        "models.default: ServiceAccount 'default' (its ServiceAccount) is already the ServiceAccount Kubernetes "
        "creates in every namespace; rename the model"
    ]


def test_a_model_named_after_a_sleeping_models_wake_service_is_refused() -> None:
    models = {"qwen": model(minReplicas=0), "qwen-wake": model()}
    assert existing_problems(existing(models=models)) == [
        "models.qwen-wake: Service 'qwen-wake' (its Service) is already the wake Service of model 'qwen'; rename the "
        "model"
    ]


def test_the_sleeping_model_is_told_when_the_other_comes_first() -> None:
    models = {"qwen-wake": model(), "qwen": model(minReplicas=0)}
    assert existing_problems(existing(models=models)) == [
        "models.qwen: Service 'qwen-wake' (its wake Service) is already the Service of model 'qwen-wake'; rename the "
        "model"
    ]


def test_a_vllm_model_named_like_a_kserve_models_predictor_is_refused() -> None:
    models = {
        "big": model(engine="kserve", pool="l4", huggingFaceId="Qwen/Qwen2.5-7B-Instruct"),
        "big-predictor": model(),
    }
    assert existing_problems(existing(gpuPools={"l4": {"gpu": "L4"}}, models=models)) == [
        "models.big-predictor: Deployment 'big-predictor' (its Deployment) is already the predictor Deployment (made "
        "by KServe) of model 'big'; rename the model",
        "models.big-predictor: Service 'big-predictor' (its Service) is already the predictor Service (made by "
        "KServe) of model 'big'; rename the model",
    ]


def test_a_kserve_model_named_default_plans_it_has_no_service_account_of_its_own() -> None:
    models = {"default": model(engine="kserve", pool="l4", huggingFaceId="Qwen/Qwen2.5-7B-Instruct")}
    assert "default" in parse_config(existing(gpuPools={"l4": {"gpu": "L4"}}, models=models), stack="t").models


def test_two_models_may_not_share_a_route() -> None:
    models = {"a": model(host="llm.example.com"), "b": model(host="llm.example.com")}
    assert existing_problems(existing(tlsClusterIssuer="letsencrypt", models=models)) == [
        "models.b.host: 'llm.example.com' is already the route of model 'a'; give each model a host or a path of its "
        "own, or make it a canaryOf that model to split the traffic by weight"
    ]


def test_models_with_prefix_names_keep_apart() -> None:
    # `a`'s objects are a, a-serving, a-cache, a-vllm, a-wake...; `a-serving`'s are a-serving (a Deployment, not
    # a NetworkPolicy), a-serving-serving...: same names, other kinds, no clash.
    models = {"a": model(minReplicas=0), "a-serving": model(), "a-cache": model(), "a-vllm": model()}
    assert set(parse_config(existing(models=models), stack="t").models) == set(models)


def test_a_model_named_after_a_pooled_models_endpoint_picker_is_refused() -> None:
    models = {
        # Small enough for a GKE system node (e2-standard-4), where a model without a pool runs.
        "qwen": model(host="llm.example.com", routing="inference", cpuCores=2, memoryGiB=8),
        "qwen-epp": model(host="llm.example.com", path="/other", cpuCores=2, memoryGiB=8),
    }
    assert problems(gcp(tlsClusterIssuer="internal-ca", models=models)) == [
        "models.qwen-epp: PrometheusRule 'qwen-epp-alerts' (its alerts (with `monitoring`)) is already the endpoint "
        "picker's alerts (with `monitoring`) of model 'qwen'; rename the model",
        *(
            f"models.qwen-epp: {kind} 'qwen-epp' (its {kind}) is already the endpoint picker's {kind} of model "
            "'qwen'; rename the model"
            for kind in ("Deployment", "Service", "ServiceAccount")
        ),
    ]
