"""KServeModel and KServePlatform under mocks."""

from __future__ import annotations

import dataclasses
from typing import Any

from components.serving.cert_manager import CertManager
from components.serving.kserve import KServeModel, KServeModelArgs, KServePlatform, inference_service_spec, runtime_args
from tests.components.test_vllm import gpu_args

ISVC = "kubernetes:serving.kserve.io/v1beta1:InferenceService"
RUNTIME = "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime"


def build() -> dict[str, Any]:
    platform = KServePlatform("kserve", CertManager("cert-manager").release)
    model = KServeModel("chat", KServeModelArgs(server=gpu_args(gpus=2, max_replicas=3), platform_ready=platform.ready))
    return {"baseUrl": model.base_url}


def test_runtime_serves_the_model_with_the_vllm_backend_and_the_sizing() -> None:
    flags = runtime_args(gpu_args(gpus=2))
    assert "--backend=vllm" in flags
    assert "--model_id=Qwen/Qwen2.5-0.5B-Instruct" in flags
    assert "--model_name=qwen" in flags
    assert "--tensor-parallel-size=2" in flags
    assert "--max-model-len=4096" in flags


def test_runtime_passes_an_fp8_kv_cache_to_vllm() -> None:
    assert "--kv-cache-dtype=fp8" in runtime_args(gpu_args(gpus=2, kv_cache_dtype="fp8"))
    assert not any(flag.startswith("--kv-cache-dtype") for flag in runtime_args(gpu_args(gpus=2)))


def test_inference_service_is_a_plain_deployment_scaled_by_keda_and_awaited(under_mocks: Any) -> None:
    registered = under_mocks(build)
    annotations = registered.inputs(ISVC)["metadata"]["annotations"]
    assert annotations["serving.kserve.io/deploymentMode"] == "Standard"
    assert annotations["serving.kserve.io/autoscalerClass"] == "external"
    assert annotations["pulumi.com/waitFor"] == "condition=Ready"
    assert registered.outputs["baseUrl"] == "http://chat-predictor.llm-serving.svc.cluster.local/openai/v1"


def test_predictor_gets_the_same_placement_gpus_and_security_as_vllm(under_mocks: Any) -> None:
    predictor = under_mocks(build).inputs(ISVC)["spec"]["predictor"]
    model = predictor["model"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == model["resources"]["requests"]["nvidia.com/gpu"] == "2"
    assert predictor["nodeSelector"] == {"kubernetes.io/os": "linux", "llm-platform/gpu-pool": "l4"}
    assert predictor["securityContext"]["runAsNonRoot"] is True
    assert model["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert model["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert model["startupProbe"]["httpGet"]["path"] == "/v2/health/ready"


def test_kserve_comes_after_the_stacks_cert_manager_in_standard_mode(under_mocks: Any) -> None:
    registered = under_mocks(build)
    releases = {r.inputs["name"]: r for r in registered.all("kubernetes:helm.sh/v3:Release")}
    # No kserve-runtime-configs: it installs all fourteen runtimes (one on vllm/vllm-openai:latest) or none.
    assert set(releases) == {"cert-manager", "kserve-crd", "kserve-resources"}
    controller = releases["kserve-resources"]
    assert controller.inputs["chart"] == "oci://ghcr.io/kserve/charts/kserve-resources"
    assert controller.inputs["values"]["kserve"]["controller"]["deploymentMode"] == "Standard"
    assert releases["cert-manager"].urn in controller.dependencies
    assert controller.urn in registered.one(ISVC).dependencies


def test_controller_creates_no_istio_ingress_per_inference_service(under_mocks: Any) -> None:
    registered = under_mocks(build)
    [controller] = [r for r in registered.all("kubernetes:helm.sh/v3:Release") if r.name == "kserve-controller"]
    assert controller.inputs["values"]["kserve"]["controller"]["gateway"] == {"disableIngressCreation": True}


def test_the_only_runtime_is_the_hugging_face_one_the_models_name(under_mocks: Any) -> None:
    registered = under_mocks(build)
    runtime = registered.one(RUNTIME)
    assert runtime.inputs["metadata"]["name"] == "llm-platform-huggingface"
    [model_format] = runtime.inputs["spec"]["supportedModelFormats"]
    assert (model_format["name"], model_format["autoSelect"]) == ("huggingface", False)
    predictor_model = registered.inputs(ISVC)["spec"]["predictor"]["model"]
    assert (predictor_model["modelFormat"], predictor_model["runtime"]) == (
        {"name": "huggingface"},
        "llm-platform-huggingface",
    )
    assert runtime.urn in registered.one(ISVC).dependencies
    [crds] = [r for r in registered.all("kubernetes:helm.sh/v3:Release") if r.name == "kserve-crds"]
    assert crds.urn in runtime.dependencies


def test_runtime_image_is_pinned_to_kserves_release(under_mocks: Any) -> None:
    [container] = under_mocks(build).inputs(RUNTIME)["spec"]["containers"]
    assert container["image"] == "kserve/huggingfaceserver:v0.20.0"


def test_token_file_reaches_the_runtime(under_mocks: Any) -> None:
    def program() -> None:
        platform = KServePlatform("kserve", CertManager("cert-manager").release)
        server = dataclasses.replace(gpu_args(), hf_token_secret="hf-token")
        KServeModel("chat", KServeModelArgs(server=server, platform_ready=platform.ready))

    model = under_mocks(program).inputs(ISVC)["spec"]["predictor"]["model"]
    assert {"name": "HF_TOKEN_PATH", "value": "/var/run/secrets/huggingface/token"} in model["env"]


def test_the_predictors_startup_probe_allows_the_models_own_startup_budget() -> None:
    args = dataclasses.replace(gpu_args(), startup_budget_seconds=7200)
    startup = inference_service_spec(args, {"app": "m"})["predictor"]["model"]["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 7200
