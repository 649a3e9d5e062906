"""The copy Job's script and object: what it copies, where, that it copies once, and that the model's server waits
for it."""

from __future__ import annotations

import pytest

from components.serving import awaits
from components.serving.weights_copy_script import MARKER, Store, copy, marker_text, split_uri, wanted


class MemoryStore(Store):
    """A prefix in memory, for the script's own logic."""

    def __init__(self, uri: str, objects: dict[str, str]) -> None:
        self.scheme, self.bucket, self.prefix = split_uri(uri)
        self.objects = objects

    def read(self, name: str) -> str | None:
        return self.objects.get(self.prefix + name)

    def put(self, name: str, text: str) -> None:
        self.objects[self.prefix + name] = text


def test_uris_split_into_bucket_and_prefix() -> None:
    assert split_uri("s3://bucket/qwen/") == ("s3", "bucket", "qwen/")
    assert split_uri("gs://bucket/qwen") == ("gs", "bucket", "qwen/")
    assert split_uri("az://qwen/") == ("az", "qwen", "")


def test_a_uri_of_another_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="not an s3://"):
        split_uri("https://bucket/qwen/")


def test_only_what_the_streamer_reads_is_copied() -> None:
    files = [
        "config.json",
        "model-00001-of-00002.safetensors",
        "pytorch_model.bin",
        "original/consolidated.pth",
        "tokenizer.json",
        ".gitattributes",
        "tokenizer.model",
    ]
    assert wanted(files) == ["config.json", "model-00001-of-00002.safetensors", "tokenizer.json", "tokenizer.model"]


def test_a_prefix_whose_marker_names_the_revision_is_not_copied_again() -> None:
    store = MemoryStore("s3://bucket/qwen/", {"qwen/" + MARKER: marker_text("Qwen/Qwen2.5-7B-Instruct", "abc")})
    assert copy(store, "Qwen/Qwen2.5-7B-Instruct", "abc", "/tmp") is False


def test_the_marker_names_the_model_and_its_revision() -> None:
    assert marker_text("Qwen/Qwen2.5-7B-Instruct", "") == "Qwen/Qwen2.5-7B-Instruct@default\n"
    assert marker_text("Qwen/Qwen2.5-7B-Instruct", "abc") != marker_text("Qwen/Qwen2.5-7B-Instruct", "def")


def test_pulumi_waits_for_the_copy_to_complete() -> None:
    job = {"kind": "Job", "metadata": {"annotations": awaits.weights_copy(3600)}}
    wait = awaits.await_of(job)
    assert wait is not None
    assert wait.seconds == 3600
    assert wait.ready_when == "its completion"
