"""tools/measure_cold_start.py starts vLLM as the stack's server does for each method."""

from __future__ import annotations

import pytest

from components.serving.weights import LOAD_FORMAT
from tools.measure_cold_start import serve_command


def test_streaming_uses_the_servers_loader_flags() -> None:
    command = serve_command("m/x", "stream", download_dir="/d", uri="s3://b/x/")
    assert command[:3] == ["vllm", "serve", "s3://b/x/"]
    assert command[command.index("--load-format") + 1] == LOAD_FORMAT


def test_downloading_reads_the_hub_into_the_directory() -> None:
    command = serve_command("m/x", "download", download_dir="/d", uri=None)
    assert command[2] == "m/x"
    assert command[command.index("--download-dir") + 1] == "/d"


def test_streaming_needs_a_uri() -> None:
    with pytest.raises(ValueError, match="--uri"):
        serve_command("m/x", "stream", download_dir="/d", uri=None)
