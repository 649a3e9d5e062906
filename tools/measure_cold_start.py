"""Measure how long one small model takes to serve by each way of getting its weights, on a machine with a GPU and
vLLM v0.31.0, so that the prediction (components/cold_start.py) can be checked:

    python -m tools.measure_cold_start --uri s3://<bucket>/<model>/ [--model Qwen/Qwen2.5-0.5B-Instruct]

For each method it starts `vllm serve` with the flags the stack gives the model's server, waits for /health to
answer 200, and prints the seconds: `download` (from the Hub into an empty directory: what a pod without a cache
does), `cache` (the same directory again: what a replica reading a filled shared cache does) and, with `--uri`, `stream`
(runai_streamer from the object-storage prefix the copy Job filled; the cloud's credentials from the environment; an
Azure store answers only in the cluster's VNet, through its private endpoint, so run it on a VM there).
The node and image terms need a cluster: measure them there (`kubectl get events` on a woken pod).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence

from components.serving.weights import streaming_flags

PORT = 8011
HEALTH = f"http://127.0.0.1:{PORT}/health"


def serve_command(model: str, method: str, *, download_dir: str, uri: str | None) -> list[str]:
    """`vllm serve` as the stack's server runs it for `method` (components/serving/vllm.py vllm_args)."""
    common = ["--port", str(PORT), "--max-model-len", "2048"]
    if method == "stream":
        if uri is None:
            raise ValueError("stream needs --uri")
        return ["vllm", "serve", uri, *common, *streaming_flags(1)]
    return ["vllm", "serve", model, *common, "--download-dir", download_dir]


def healthy() -> bool:
    try:
        with urllib.request.urlopen(HEALTH, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def time_to_healthy(command: Sequence[str], timeout_seconds: int) -> float:
    start = time.monotonic()
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as server:
        try:
            while time.monotonic() - start < timeout_seconds:
                if server.poll() is not None:
                    raise RuntimeError(f"{command[2]} exited with {server.returncode} before serving")
                if healthy():
                    return time.monotonic() - start
                time.sleep(0.5)
            raise TimeoutError(f"not healthy within {timeout_seconds} s")
        finally:
            server.terminate()
            server.wait(timeout=60)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="Qwen/Qwen2.5-0.5B-Instruct")
    parser.add_argument("--uri", help="the model's prefix in object storage (s3://, gs:// or az://)")
    parser.add_argument("--timeout", type=int, default=1800)
    options = parser.parse_args(argv)
    methods = ["download", "cache", *(["stream"] if options.uri else [])]
    with tempfile.TemporaryDirectory() as download_dir:
        for method in methods:
            command = serve_command(options.model, method, download_dir=download_dir, uri=options.uri)
            print(f"{method}: {time_to_healthy(command, options.timeout):.1f} s to /health", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
