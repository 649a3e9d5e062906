"""Copies one model's weights from the Hugging Face Hub to its prefix in the stack's object storage, once.

Run by the model's copy Job (components/serving/weights_copy.py) in the vLLM image, with the standard library, the
huggingface_hub vLLM depends on, and the cloud SDK that runai-model-streamer's backend for that cloud requires (boto3,
google-cloud-storage, azure-storage-blob with azure-identity): the Job runs wherever the server can stream from.

Idempotent: a marker object written last records the revision copied; with the marker present, nothing is copied.
One file at a time is downloaded, uploaded and deleted, so the pod's disk holds one shard, never the model.
Environment: WEIGHTS_URI (`s3://b/p/`, `gs://b/p/`, `az://c/p/`), HF_MODEL, HF_REVISION (empty: the default
branch), HF_TOKEN_PATH (optional), AZURE_STORAGE_ACCOUNT_NAME (az:// only), WORK_DIR.
"""

from __future__ import annotations

import fnmatch
import os
import sys
from collections.abc import Callable, Iterable

MARKER = ".llm-platform-complete"
SKIPPED = ("*.bin", "*.pt", "*.pth", "*.gguf", "*.onnx", "*.msgpack", "*.h5", "original/*", ".gitattributes")
"""What vLLM's runai_streamer path never reads: it streams `*.safetensors` and pulls the config and tokenizer files;
`original/*` is vLLM's default ignore pattern (LoadConfig.ignore_patterns)."""


def split_uri(uri: str) -> tuple[str, str, str]:
    """(scheme, bucket or container, prefix ending in '/')."""
    scheme, _, rest = uri.partition("://")
    bucket, _, prefix = rest.partition("/")
    if scheme not in ("s3", "gs", "az") or not bucket:
        raise ValueError(f"not an s3://, gs:// or az:// URI: {uri!r}")
    return scheme, bucket, prefix.rstrip("/") + "/" if prefix else ""


def wanted(files: Iterable[str]) -> list[str]:
    return sorted(name for name in files if not any(fnmatch.fnmatch(name, pattern) for pattern in SKIPPED))


def marker_text(model: str, revision: str) -> str:
    return f"{model}@{revision or 'default'}\n"


class Store:
    """Reads and writes objects under one prefix."""

    def __init__(self, uri: str) -> None:
        self.scheme, self.bucket, self.prefix = split_uri(uri)
        self._read, self._upload, self._put = _backend(self.scheme, self.bucket)

    def read(self, name: str) -> str | None:
        return self._read(self.prefix + name)

    def upload(self, name: str, path: str) -> None:
        self._upload(self.prefix + name, path)

    def put(self, name: str, text: str) -> None:
        self._put(self.prefix + name, text)


def _backend(
    scheme: str, bucket: str
) -> tuple[Callable[[str], str | None], Callable[[str, str], None], Callable[[str, str], None]]:
    # Imported here: the image holds only the SDK of the cloud it streams from.
    if scheme == "s3":
        import boto3
        from botocore.exceptions import ClientError

        s3 = boto3.client("s3")

        def s3_read(key: str) -> str | None:
            try:
                return s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
            except ClientError as error:
                if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                    return None
                raise

        return (
            s3_read,
            lambda key, path: s3.upload_file(path, bucket, key),
            lambda key, text: s3.put_object(Bucket=bucket, Key=key, Body=text.encode()),
        )
    if scheme == "gs":
        from google.cloud import storage

        gcs = storage.Client().bucket(bucket)

        def gs_read(key: str) -> str | None:
            blob = gcs.blob(key)
            return blob.download_as_text() if blob.exists() else None

        return (
            gs_read,
            lambda key, path: gcs.blob(key).upload_from_filename(path),
            lambda key, text: gcs.blob(key).upload_from_string(text),
        )
    from azure.core.exceptions import ResourceNotFoundError
    from azure.identity import DefaultAzureCredential
    from azure.storage.blob import BlobServiceClient

    account = os.environ["AZURE_STORAGE_ACCOUNT_NAME"]
    service = BlobServiceClient(f"https://{account}.blob.core.windows.net", credential=DefaultAzureCredential())
    container = service.get_container_client(bucket)

    def az_read(key: str) -> str | None:
        try:
            return container.download_blob(key).readall().decode()
        except ResourceNotFoundError:
            return None

    def az_upload(key: str, path: str) -> None:
        with open(path, "rb") as data:
            container.upload_blob(key, data, overwrite=True)

    return az_read, az_upload, lambda key, text: container.upload_blob(key, text.encode(), overwrite=True)


def copy(store: Store, model: str, revision: str, work_dir: str) -> bool:
    """Copy the model unless the marker says it is there; whether anything was copied."""
    done = marker_text(model, revision)
    if store.read(MARKER) == done:
        print(f"{model}: already in {store.scheme}://{store.bucket}/{store.prefix}", flush=True)
        return False
    from huggingface_hub import HfApi, hf_hub_download

    files = wanted(HfApi().list_repo_files(model, revision=revision or None))
    for name in files:
        path = hf_hub_download(model, name, revision=revision or None, local_dir=work_dir)
        store.upload(name, path)
        os.remove(path)
        print(f"{model}: {name}", flush=True)
    store.put(MARKER, done)
    return True


def main() -> int:
    copy(
        Store(os.environ["WEIGHTS_URI"]),
        os.environ["HF_MODEL"],
        os.environ.get("HF_REVISION", ""),
        os.environ.get("WORK_DIR", "/work"),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
