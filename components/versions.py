"""Every image, chart and Kubernetes version the program deploys, pinned in one place.

Components import from here; no version literal appears anywhere else. Bumping one is a one-line
change whose effect shows in the preview diff of every stack.
"""

from __future__ import annotations

# Kubernetes minor versions the program is tested against (the manifests pass the API schemas of each).
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = ("1.32", "1.33", "1.34", "1.35")

# vLLM's OpenAI-compatible server; --shutdown-timeout (vllm#36666, from v0.18) is needed for graceful
# shutdown. Never `latest`.
VLLM_VERSION = "v0.31.0"
# renovate: datasource=docker depName=vllm/vllm-openai
VLLM_GPU_IMAGE = f"docker.io/vllm/vllm-openai:{VLLM_VERSION}"
# vLLM's CPU build, multi-arch (x86_64 and arm64), which vLLM's release pipeline publishes to Docker Hub
# next to the CUDA one; its entrypoint is `vllm serve`, like the CUDA image's.
# renovate: datasource=docker depName=vllm/vllm-openai-cpu
VLLM_CPU_IMAGE = f"docker.io/vllm/vllm-openai-cpu:{VLLM_VERSION}"
