"""Every image, chart and Kubernetes version the program deploys, pinned in one place.

Components import from here; no version literal appears anywhere else. Bumping one is a one-line
change whose effect shows in the preview diff of every stack.
"""

from __future__ import annotations

# Kubernetes minor versions the program is tested against (the manifests pass the API schemas of each).
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35")

# vLLM's OpenAI-compatible server. v0.18.0 is the first release with --shutdown-timeout (vllm#34730),
# which graceful shutdown relies on; never `latest`.
VLLM_VERSION = "v0.18.0"
# renovate: datasource=docker depName=vllm/vllm-openai
VLLM_GPU_IMAGE = f"docker.io/vllm/vllm-openai:{VLLM_VERSION}"
# vLLM's CPU build (x86_64) for clusters without GPUs, published by the vLLM project to its public ECR.
# renovate: datasource=docker depName=public.ecr.aws/q9t5s3a7/vllm-cpu-release-repo
VLLM_CPU_IMAGE = f"public.ecr.aws/q9t5s3a7/vllm-cpu-release-repo:{VLLM_VERSION}"
