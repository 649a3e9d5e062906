"""Run the real Pulumi program under Pulumi's mock runtime and record what it would register.

This is the engine of the offline plan (`make plan`) and of the tests. It reads the stack's config the
way the Pulumi CLI would (Pulumi.yaml defaults, then Pulumi.<stack>.yaml), stands placeholders in for
secrets, executes `__main__.py` with `runpy`, and captures every RegisterResource request: type, name,
parent, provider and inputs in the wire format a provider receives.

It never replaces `pulumi preview`: providers do not run, so nothing here checks what a cloud API
would accept. See ../shared/PULUMI.md §3 for the mock runtime's behaviour this relies on.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import os
import runpy
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as runtime_resource
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.proto import source_pb2

from tools.stack_file import read_stack_config

ROOT = Path(__file__).resolve().parent.parent
SECRET_SHOWN_AS = "[secret]"
UNKNOWN_SHOWN_AS = "[unknown]"

# Variables that the SDKs read as defaults for provider inputs: cleared so a plan depends only on config.
_AMBIENT_ENV_PREFIXES = ("KUBECONFIG", "PULUMI_K8S_", "AWS_", "GOOGLE_", "CLOUDSDK_", "ARM_", "AZURE_")


class Mode:
    PREVIEW = "preview"
    UPDATE = "update"
    ALL = (PREVIEW, UPDATE)


@dataclass(frozen=True)
class StackFiles:
    """The config the CLI would hand the program, as strings keyed `<namespace>:<key>`."""

    project: str
    stack: str
    config: dict[str, str]
    secret_keys: list[str]
    placeholders: list[str]
    """Secret keys whose value is a stand-in (the stack file holds ciphertext, or nothing)."""


def stack_names(root: Path = ROOT) -> list[str]:
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in root.glob("Pulumi.*.yaml"))


# Example stacks kept out of the root, so that the preview and deploy workflows do not pick them up, but planned
# and checked like the root's stacks.
EXAMPLE_DIRECTORIES = (ROOT / "examples" / "multinode", ROOT / "examples" / "rag", ROOT / "examples" / "served-names")


def example_stack_names() -> list[str]:
    return sorted(name for directory in EXAMPLE_DIRECTORIES for name in stack_names(directory))


def planned_stack_names() -> list[str]:
    """Every stack the checks plan: the root's and the examples'."""
    return stack_names() + example_stack_names()


def stack_file(stack: str, root: Path = ROOT) -> Path:
    """`Pulumi.<stack>.yaml` in `root` or, for the project's own root, in an example directory."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists() and root == ROOT:
        path = next((d / path.name for d in EXAMPLE_DIRECTORIES if (d / path.name).exists()), path)
    return path


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value)


def load_stack_files(stack: str, root: Path = ROOT) -> StackFiles:
    """Merge Pulumi.yaml defaults with Pulumi.<stack>.yaml, as the CLI does. Secrets (`secure:` values,
    which only the CLI can decrypt) get a placeholder and stay marked secret. A stack file the CLI would
    refuse raises StackFileError (tools/stack_file.py)."""
    project_file = yaml.safe_load((root / "Pulumi.yaml").read_text())
    project = project_file["name"]
    stack_path = stack_file(stack, root)
    if not stack_path.exists():
        raise FileNotFoundError(f"no stack file {stack_path.name}; stacks here: {', '.join(stack_names(root))}")
    stack_values = read_stack_config(stack_path)

    config: dict[str, str] = {}
    for key, declaration in (project_file.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(declaration, dict) and "default" in declaration:
            config[full_key] = _as_config_string(declaration["default"])
    config.update(stack_values.config)
    secrets = stack_values.secret_keys
    return StackFiles(project, stack, config, list(secrets), list(secrets))


@dataclass
class Registration:
    """One RegisterResource request, as the engine would receive it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent_urn: str
    provider_ref: str
    inputs: dict[str, Any]
    dependencies: list[str]
    ignore_changes: list[str]
    deleted_with: str
    retain_on_delete: bool = False


class _RecordingMocks(pulumi.runtime.Mocks):
    """Echo inputs as outputs, as providers do for known inputs in a preview. In update mode, also invent
    the values a cloud computes on create (ids, ARNs, endpoints): `computed_outputs`."""

    def __init__(self, preview: bool, region: str) -> None:
        self.preview = preview
        self.region = region or "region-1"

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if self.preview:
            # Ids are unknown until the cloud creates the resource, and so are outputs shaped unlike the input.
            return None, {key: value for key, value in state.items() if key not in _RESHAPED.get(args.typ, ())}
        state.setdefault("name", args.name)
        state.update(_in_partition(computed_outputs(args.typ, args.name, args.inputs, self.region), self.region))
        return state.pop("id", f"{args.name}-id"), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        """Data sources, which run in preview too."""
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = "abcdef"
            return {
                "id": self.region,
                "names": [f"{self.region}{letter}" for letter in letters],
                "zoneIds": [f"use1-az{index + 1}" for index in range(len(letters))],
            }
        if args.token == "aws:index/getPartition:getPartition":
            partition = mock_partition(self.region)
            return {"id": partition, "partition": partition, "dnsSuffix": "amazonaws.com"}
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": _ACCOUNT, "arn": f"arn:aws:iam::{_ACCOUNT}:user/deployer", "userId": "AIDA0000"}
        if args.token == "azure-native:containerservice:listManagedClusterUserCredentials":
            return {"kubeconfigs": [{"name": "clusterUser", "value": _aks_kubeconfig(args.args.get("resourceName"))}]}
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": "00000000-0000-0000-0000-000000000001",
                "objectId": "00000000-0000-0000-0000-000000000002",
                "subscriptionId": "00000000-0000-0000-0000-000000000003",
                "tenantId": "00000000-0000-0000-0000-000000000004",
            }
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId", "project")
            return {"projectId": project, "number": "123456789012", "name": project}
        return {}


# Inputs the cloud answers in another shape (see computed_outputs); echoed, they would not deserialize.
_RESHAPED = {
    "azure-native:containerservice:ManagedCluster": ("identity",),
    "azure-native:storage:StorageAccount": ("identity",),
}
_ACCOUNT = "123456789012"
_SUBSCRIPTION = "00000000-0000-0000-0000-000000000003"


def mock_partition(region: str) -> str:
    """The AWS partition a region belongs to (China's and GovCloud's regions have their own)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def _in_partition(value: Any, region: str) -> Any:
    """AWS answers ARNs in the region's partition."""
    partition = mock_partition(region)
    if isinstance(value, str) and value.startswith("arn:aws:"):
        return f"arn:{partition}:" + value.removeprefix("arn:aws:")
    if isinstance(value, dict):
        return {key: _in_partition(item, region) for key, item in value.items()}
    if isinstance(value, list):
        return [_in_partition(item, region) for item in value]
    return value


def mock_asg_name(node_group: str) -> str:
    """EKS names a managed node group's Auto Scaling group `eks-<node group>-<uuid>`."""
    return f"eks-{node_group}-0ac9f2b4-1d2e-4f5a-9b8c-7d6e5f4a3b2c"


def _aks_kubeconfig(cluster: str | None) -> str:
    """What AKS returns for format=exec: a base64 kubeconfig whose kubelogin logs in with a device code."""
    text = f"""apiVersion: v1
kind: Config
clusters:
- name: {cluster}
  cluster:
    server: https://{cluster}-dns-0a1b2c3d.hcp.eastus2.azmk8s.io:443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t
contexts:
- name: {cluster}
  context: {{cluster: {cluster}, user: clusterUser_{cluster}}}
current-context: {cluster}
users:
- name: clusterUser_{cluster}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --login, devicecode, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630,
             --client-id, 80faf920-1908-4b52-b5ef-a8e7bedfc67a, --tenant-id, 00000000-0000-0000-0000-000000000004,
             --environment, AzurePublicCloud]
"""
    return base64.b64encode(text.encode()).decode()


def _azure_resource_id(type_: str, resource_name: str) -> dict[str, str]:
    provider_namespace = type_.split(":")[1]
    return {"id": f"/subscriptions/{_SUBSCRIPTION}/resourceGroups/rg/providers/{provider_namespace}/{resource_name}"}


def _identity_map(identity: Mapping[str, Any]) -> dict[str, Any]:
    """An `identity` as Azure answers it: its user-assigned identities as a map of resource id to ids (the SDK's
    output type), not as the list of ids it takes (echoing the input would not deserialize)."""
    answered = dict(identity)
    if "userAssignedIdentities" in answered:
        answered["userAssignedIdentities"] = {
            resource_id: _entra_ids(str(resource_id).rsplit("/", 1)[-1])
            for resource_id in answered["userAssignedIdentities"]
        }
    return answered


def _entra_ids(name: str) -> dict[str, str]:
    """The Entra ID ids of a managed identity, stable per name."""
    digest = hashlib.sha256(name.encode()).hexdigest()
    return {"principalId": str(uuid.UUID(digest[:32])), "clientId": str(uuid.UUID(digest[32:]))}


def _hex_id(name: str) -> str:
    """The 17 hex digits AWS gives its resource ids, stable per resource name."""
    return hashlib.sha256(name.encode()).hexdigest()[:17]


def _random_id(name: str, byte_length: int, prefix: str) -> dict[str, Any]:
    """RandomId's outputs, from bytes that are stable per resource name (the real ones are random)."""
    data = hashlib.sha256(name.encode()).digest()[:byte_length]
    return {
        "hex": prefix + data.hex(),
        "dec": prefix + str(int.from_bytes(data, "big")),
        "b64Std": prefix + base64.standard_b64encode(data).decode(),
        "b64Url": prefix + base64.urlsafe_b64encode(data).decode().rstrip("="),
    }


def computed_outputs(type_: str, name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    """Values only the cloud knows after create: unknown in preview, invented here in update mode."""
    resource_name = inputs.get("name") or name
    if type_ == "aws:iam/role:Role":
        return {"arn": f"arn:aws:iam::{_ACCOUNT}:role/{resource_name}", "name": resource_name}
    if type_ == "aws:kms/key:Key":
        return {"arn": f"arn:aws:kms:{region}:{_ACCOUNT}:key/{name}", "keyId": name}
    if type_ == "aws:eks/cluster:Cluster":
        return {
            "arn": f"arn:aws:eks:{region}:{_ACCOUNT}:cluster/{resource_name}",
            "endpoint": f"https://{name.upper()}.gr7.{region}.eks.amazonaws.com",
            "certificateAuthority": {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"},
            "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{name.upper()}"}]}],
            "vpcConfig": {
                **inputs.get("vpcConfig", {}),
                "clusterSecurityGroupId": f"sg-{_hex_id(name)}",
                "vpcId": f"vpc-{_hex_id(name)}",
            },
        }
    if type_ == "aws:s3/bucket:Bucket":
        bucket = f"{name}-{_hex_id(name)}"
        return {"id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
    if type_ == "aws:efs/fileSystem:FileSystem":
        return {"id": f"fs-{_hex_id(name)}", "arn": f"arn:aws:elasticfilesystem:{region}:{_ACCOUNT}:file-system/{name}"}
    if type_ == "aws:ec2/securityGroup:SecurityGroup":
        return {"id": f"sg-{_hex_id(name)}", "arn": f"arn:aws:ec2:{region}:{_ACCOUNT}:security-group/{name}"}
    if type_ == "aws:eks/nodeGroup:NodeGroup":
        group = inputs.get("nodeGroupName", name)
        return {
            "arn": f"arn:aws:eks:{region}:{_ACCOUNT}:nodegroup/{group}",
            "resources": [{"autoscalingGroups": [{"name": mock_asg_name(group)}]}],
        }
    if type_ == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1}
    if type_ == "gcp:serviceaccount/account:Account":
        return {"email": f"{inputs.get('accountId', name)}@project.iam.gserviceaccount.com"}
    if type_ == "gcp:container/cluster:Cluster":
        return {"endpoint": "10.0.0.2", "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"}}
    if type_ == "gcp:kms/keyRing:KeyRing":
        return {"id": f"projects/project/locations/{inputs.get('location', region)}/keyRings/{resource_name}"}
    if type_ == "gcp:kms/cryptoKey:CryptoKey":
        ring = inputs.get("keyRing") or f"projects/project/locations/{region}/keyRings/ring"
        return {"id": f"{ring}/cryptoKeys/{resource_name}"}
    if type_ == "random:index/randomId:RandomId":
        return _random_id(name, int(inputs.get("byteLength", 8)), inputs.get("prefix", ""))
    if type_ == "random:index/randomPassword:RandomPassword":
        # Stable per resource name, as long as asked (the real one is random and a secret).
        return {"result": hashlib.sha256(name.encode()).hexdigest()[: int(inputs.get("length", 16))]}
    if type_ == "kubernetes:core/v1:Service" and inputs.get("spec", {}).get("type") == "LoadBalancer":
        # Pulumi returns the Service as created, before any address, unless it waits for one.
        annotations = inputs.get("metadata", {}).get("annotations") or {}
        if annotations.get("pulumi.com/skipAwait") == "true":
            return {}
        return {"status": {"loadBalancer": {"ingress": [{"ip": "10.20.0.50"}]}}}
    if type_ == "kubernetes:gateway.networking.k8s.io/v1:Gateway":
        # A custom resource comes back with its controller's status only when Pulumi waited for it (waitFor).
        annotations = inputs.get("metadata", {}).get("annotations") or {}
        if "pulumi.com/waitFor" not in annotations:
            return {}
        return {"status": {"addresses": [{"type": "IPAddress", "value": "10.20.0.60"}]}}
    if type_ == "azure-native:managedidentity:UserAssignedIdentity":
        return {**_azure_resource_id(type_, resource_name), **_entra_ids(name)}
    if type_ == "azure-native:containerservice:ManagedCluster":
        identity = _identity_map(inputs.get("identity") or {})
        issuer = {"enabled": True, "issuerURL": f"https://{region}.oic.prod-aks.azure.com/tenant/{name}/"}
        return {**_azure_resource_id(type_, resource_name), "identity": identity, "oidcIssuerProfile": issuer}
    if type_ == "azure-native:storage:StorageAccount" and inputs.get("identity"):
        return {**_azure_resource_id(type_, resource_name), "identity": _identity_map(inputs["identity"])}
    if type_ == "azure-native:keyvault:Vault":
        vault = str(inputs.get("vaultName") or name)
        return {
            **_azure_resource_id(type_, resource_name),
            "properties": {**(inputs.get("properties") or {}), "vaultUri": f"https://{vault}.vault.azure.net/"},
        }
    if type_.startswith("azure-native:"):
        return _azure_resource_id(type_, resource_name)
    if type_ == "time:index/offset:Offset":
        # A year from a fixed instant: the real one is the time of its creation, then kept.
        return {"unix": 1_830_297_600, "rfc3339": "2028-01-01T00:00:00Z"}
    if type_.startswith("aws:"):
        return {"arn": f"arn:aws:{type_.split(':')[1].split('/')[0]}:{region}:{_ACCOUNT}:{name}"}
    return {}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: _RecordingMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (the gRPC method's name)
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.registrations.append(
                Registration(
                    urn=response.urn,
                    type=request.type,
                    name=request.name,
                    custom=bool(request.custom),
                    parent_urn=request.parent,
                    provider_ref=request.provider,
                    inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                    dependencies=list(request.dependencies),
                    ignore_changes=list(request.ignoreChanges),
                    deleted_with=request.deletedWith,
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return response


@dataclass
class ProgramRun:
    stack: str
    mode: str
    files: StackFiles
    registrations: list[Registration]
    outputs: dict[str, Any] = field(default_factory=dict)


def reveal(value: Any) -> Any:
    """Wire-format value → plain JSON: secrets become "[secret]" (a secret map: each of its values), unknowns
    "[unknown]"."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            # A map holding a secret is secret as a whole (a Secret's stringData): its keys stay readable, every
            # value hidden, so the object keeps its shape for schema checks.
            inner = value.get("value")
            if isinstance(inner, dict) and inner.get(rpc._special_sig_key) is None:
                return {key: SECRET_SHOWN_AS for key in inner}
            return SECRET_SHOWN_AS
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [reveal(item) for item in value]
    if value is rpc.UNKNOWN or isinstance(value, pulumi.output.Unknown) or value == rpc.UNKNOWN:
        return UNKNOWN_SHOWN_AS
    if isinstance(value, float) and value.is_integer():
        return int(value)  # protobuf Struct carries every number as a float
    return value


@contextlib.contextmanager
def _isolated_runtime() -> Iterator[None]:
    """A fresh event loop, root stack and config for each run: the runtime's state is process-global."""
    saved_env = {k: v for k, v in os.environ.items() if k.startswith(_AMBIENT_ENV_PREFIXES)}
    for key in saved_env:
        del os.environ[key]
    asyncio.set_event_loop(asyncio.new_event_loop())
    runtime_settings.ROOT.set(None)
    pulumi.runtime.config.set_all_config({}, [])
    # The SDK walks the Python stack (traceback.extract_stack, a resolved path per frame) for each resource it
    # registers, to send its source position to the engine (pulumi 3.272.0, runtime/resource.py `_get_stack_trace`):
    # 5% of a plan's CPU, and the recording monitor keeps no source position. An empty trace is what the SDK sends
    # when it finds no user frame. patch.object fails loudly if a new SDK renames the function.
    stack_traces = mock.patch.object(runtime_resource, "_get_stack_trace", _no_stack_trace)
    stack_traces.start()
    try:
        yield
    finally:
        stack_traces.stop()
        runtime_settings.reset_options()
        pulumi.runtime.config.set_all_config({}, [])
        os.environ.update(saved_env)


def _no_stack_trace() -> source_pb2.StackTrace:
    return source_pb2.StackTrace()


async def _collect_outputs(outputs: Mapping[str, Any]) -> dict[str, Any]:
    return {key: await _collect(value) for key, value in outputs.items()}


async def _collect(value: Any) -> Any:
    """An output value as the engine shows it: each nested value unknown or secret on its own, as the SDK
    serializes maps and lists of outputs element by element."""
    if isinstance(value, Mapping):
        return {key: await _collect(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [await _collect(item) for item in value]
    output = pulumi.Output.from_input(value)
    if await output.is_secret():
        return SECRET_SHOWN_AS
    if not await output.is_known():
        return UNKNOWN_SHOWN_AS
    return reveal(await output.future(with_unknowns=True))


def run_under_mocks(
    program: Callable[[], Mapping[str, Any] | None],
    *,
    preview: bool,
    project: str = "llm-platform",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    secret_keys: list[str] | None = None,
) -> tuple[list[Registration], dict[str, Any]]:
    """Run `program` in a fresh mock runtime; return what it registered and its stack outputs.

    `program` may return a dict of outputs (as a component test does) or export them itself with
    `pulumi.export` (as `__main__.py` does)."""
    region = str((config or {}).get(f"{project}:region") or "")
    mocks = _RecordingMocks(preview=preview, region=region)
    monitor = _RecordingMonitor(mocks)
    collected: dict[str, Any] = {}
    with _isolated_runtime():
        pulumi.runtime.set_mocks(mocks, project=project, stack=stack, preview=preview, monitor=monitor)
        pulumi.runtime.config.set_all_config(dict(config or {}), list(secret_keys or []))

        @pulumi.runtime.test
        def run() -> Any:
            returned = program() or {}
            root_resource = runtime_settings.get_root_resource()
            exported = dict(root_resource.outputs) if root_resource is not None else {}
            pending = asyncio.ensure_future(_collect_outputs({**exported, **returned}))
            pending.add_done_callback(lambda done: collected.update(done.result()))
            return pending

        run()
    return monitor.registrations, collected


def run_program(
    stack: str,
    mode: str,
    *,
    root: Path = ROOT,
    config_overrides: Mapping[str, str] | None = None,
    secret_overrides: Mapping[str, str] | None = None,
    removed_keys: Sequence[str] = (),
) -> ProgramRun:
    """Execute `__main__.py` for `stack` under mocks. Raises what the program raises (ConfigError...).

    `config_overrides` and `secret_overrides` set keys of the project's namespace as
    `pulumi config set [--secret]` would; `removed_keys` as `pulumi config rm` would."""
    if mode not in Mode.ALL:
        raise ValueError(f"mode must be one of {Mode.ALL}, got {mode!r}")
    files = load_stack_files(stack, root)
    config = dict(files.config)
    secret_keys = list(files.secret_keys)
    for key in removed_keys:
        config.pop(f"{files.project}:{key}", None)
    for key, value in (config_overrides or {}).items():
        config[f"{files.project}:{key}"] = value
    for key, value in (secret_overrides or {}).items():
        config[f"{files.project}:{key}"] = value
        secret_keys.append(f"{files.project}:{key}")

    def main_program() -> None:
        runpy.run_path(str(root / "__main__.py"), run_name="__main__")

    registrations, outputs = run_under_mocks(
        main_program,
        preview=mode == Mode.PREVIEW,
        project=files.project,
        stack=stack,
        config=config,
        secret_keys=secret_keys,
    )
    return ProgramRun(stack, mode, files, registrations, outputs)


def secret_digests(value: Any, path: str = "") -> dict[str, str]:
    """Input path → a short SHA-256 digest of each secret value in a wire-format value (paths as tools.plan_diff
    writes them: `a.b[0].c`)."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            text = json.dumps(reveal(value.get("value")), sort_keys=True, default=str)
            return {path: hashlib.sha256(text.encode()).hexdigest()[:16]}
        found: dict[str, str] = {}
        for key, item in value.items():
            found.update(secret_digests(item, f"{path}.{key}" if path else str(key)))
        return found
    if isinstance(value, list | tuple):
        found = {}
        for index, item in enumerate(value):
            found.update(secret_digests(item, f"{path}[{index}]"))
        return found
    return {}
