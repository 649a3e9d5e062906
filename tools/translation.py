"""A stack moved to another cloud: its `llm-platform` keys rewritten for aws, gcp or azure, checked by the config step
(the command, with the report and the files it writes: tools/translate.py). Each GPU pool keeps its GPU where the
target cloud sells it in that many per machine, otherwise takes the nearest stand-in
(components/catalog/gpu_equivalents.py), skipping GPUs prices.json records as absent from the region; machine types
are left to the config step, which re-chooses them by the fit rules (components/node_fit.py). Capacity, node counts
and priorities are kept; keys of one cloud only are translated or dropped, each with a note; model keys are
unchanged but for a renamed pool (AKS refuses dashed pool names); `auth` and its per-client limits move as they are,
since every cloud's Gateway (agentgateway) enforces them. Secrets are never copied (their ciphertext belongs to the
source stack's key): the file names each one with the command that sets it. The result must pass the config step
(stacks.config), which re-chooses machine types; when no machine with a pool's GPU holds its pods, the pool takes
its next option.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from components.catalog.gpu_equivalents import STAND_INS
from components.catalog.gpus import GPUS, GpuType
from components.catalog.instances import Cloud, carrying, offered
from components.catalog.nearest_regions import metro_of
from components.catalog.prices import CATALOGUE
from components.catalog.regions import REGIONS
from components.clusters.aks import AKS_POOL_NAME
from stacks.config import ConfigError, StackConfig, parse_config
from tools.stack_file import read_stack_config

PROJECT = "llm-platform"
GCP_PROJECT_PLACEHOLDER = "replace-with-project-id"
"""gcpProject is required on gcp and has no counterpart elsewhere: a valid id to replace before `pulumi up`."""
# AKS's agent pool name rule, where the AKS cluster component names its pools (aks_pool_name).
_AKS_POOL_NAME = AKS_POOL_NAME
_ABSENT = "absent from the source for this region"
# Keys whose values name one cloud's resources: they mean nothing on another.
_CLOUD_SPECIFIC = {
    "systemInstanceType": "a machine type of {source}; the target's default system type is used",
    "existingSubnetIds": "subnets of the {source} network; the stack creates its own network on {target}",
    "modelCacheStorageClass": "a StorageClass of the {source} cluster; the target's default cache class is used",
    "imageCache": "the {source} snapshot or disk image the GPU nodes start with; build the image cache again on "
    "{target} (docs/manual.md, 'Images cached on the node') and name it here",
}


class TranslateError(Exception):
    """The stack cannot be moved as asked; the message names the key, the value and what is allowed."""


@dataclass(frozen=True)
class PoolChoice:
    source_name: str
    name: str
    source_gpu: GpuType
    gpu: GpuType
    source_gpus: int
    gpus: int
    reason: str
    offer: str
    """What the catalogue knows of the GPU in the region: priced there, or not catalogued for it."""


@dataclass
class Translation:
    source_stack: str
    stack: str
    source_cloud: Cloud
    cloud: Cloud
    source_region: str
    region: str
    region_reason: str
    config: dict[str, Any]
    """`llm-platform:<key>` -> the value to write (YAML-ready)."""
    pools: list[PoolChoice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What could not be carried over as it was, and why."""
    secrets: list[str] = field(default_factory=list)
    """Secret keys of the source, not copied."""
    source_resolved: StackConfig | None = None
    resolved: StackConfig | None = None
    """The source's and the translation's configuration as the config step resolves them (sizing, machines)."""


def _plain(text: str) -> Any:
    """A top-level value as the CLI handed it (a string), written back as YAML would read it."""
    if text in ("true", "false"):
        return text == "true"
    if re.fullmatch(r"-?[1-9][0-9]{0,17}|0", text):
        return int(text)
    return text


def read_source(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The source stack's `llm-platform` keys (objects decoded) and its secret keys, read as the CLI reads them."""
    values = read_stack_config(path)
    config: dict[str, Any] = {}
    for full_key, text in values.config.items():
        namespace, key = full_key.split(":", 1)
        if namespace != PROJECT or full_key in values.secret_keys:
            continue
        config[key] = json.loads(text) if text[:1] in "[{" else _plain(text)
    secrets = [full_key.split(":", 1)[1] for full_key in values.secret_keys]
    return config, secrets


def absent_types(cloud: Cloud, region: str, document: Mapping[str, Any] | None = None) -> set[str]:
    """Machine types prices.json records as not sold in the region (its source lists the region without them)."""
    document = document or json.loads(CATALOGUE.read_text())
    return {
        row["instanceType"]
        for row in document["instances"]
        if row["cloud"] == cloud.value and row["region"] == region and row["onDemand"].get("note") == _ABSENT
    }


def priced_types(cloud: Cloud, region: str, document: Mapping[str, Any] | None = None) -> set[str]:
    document = document or json.loads(CATALOGUE.read_text())
    return {
        row["instanceType"]
        for row in document["instances"]
        if row["cloud"] == cloud.value and row["region"] == region and row["onDemand"]["usdPerHour"] != "unknown"
    }


def choose_region(source: Cloud, source_region: str, target: Cloud, given: str | None) -> tuple[str, str]:
    """The target region and why: the one given (a public region of the target), or the nearest to the source's."""
    if given:
        if given not in REGIONS[target]:
            raise TranslateError(
                f"REGION={given!r} is not a public {target.value} region; use one of "
                f"{', '.join(sorted(REGIONS[target]))}"
            )
        return given, "given"
    metro = metro_of(source, source_region)
    if metro is None:
        raise TranslateError(
            f"region {source_region!r} ({source.value}) has no nearest {target.value} region in "
            f"components/catalog/nearest_regions.py; give REGION=<one of {', '.join(sorted(REGIONS[target]))}>"
        )
    region = metro.region(target)
    return region, f"nearest to {source.value} {source_region} ({metro.where}; components/catalog/nearest_regions.py)"


def _counts_to_try(cloud: Cloud, gpu: GpuType, gpus: int) -> list[int]:
    """The count asked for, then the larger counts the cloud sells the GPU in, smallest first."""
    return [gpus, *(count for count in offered(cloud).get(gpu, []) if count > gpus)]


@dataclass(frozen=True)
class GpuOption:
    gpu: GpuType
    gpus: int
    reason: str
    offer: str


def gpu_options(
    cloud: Cloud, region: str, gpu: GpuType, gpus: int, *, absent: set[str], priced: set[str]
) -> list[GpuOption]:
    """What a pool of `gpus` x `gpu` may take on `cloud` in `region`, nearest first: the same GPU and count, the
    stand-ins at that count, then larger counts. Raises TranslateError when the region sells none of them."""
    skipped: list[str] = []
    options: list[GpuOption] = []
    exact = [(gpu, gpus), *((stand_in, gpus) for stand_in in STAND_INS[gpu])]
    larger = [(option, count) for option in (gpu, *STAND_INS[gpu]) for count in _counts_to_try(cloud, option, gpus)[1:]]
    for candidate, count in [*exact, *larger]:
        names = {instance.name for instance in carrying(cloud, candidate, count)}
        if not names:
            continue
        if names <= absent:
            skipped.append(f"{count} x {candidate.value} ({', '.join(sorted(names))}: not sold in {region})")
            continue
        offer = (
            "priced in prices.json" if names & priced else f"not catalogued for {region}: the cloud says at creation"
        )
        options.append(GpuOption(candidate, count, _reason(cloud, gpu, gpus, candidate, count, skipped), offer))
    if not options:
        raise TranslateError(
            f"gpu {gpu.value} x {gpus}: {cloud.value} {region} sells neither it nor a stand-in "
            f"({', '.join(t.value for t in STAND_INS[gpu]) or 'none larger'})"
            + (f"; not sold there: {'; '.join(skipped)}" if skipped else "")
            + f". Give REGION=<a region of {cloud.value} that sells it>"
        )
    return options


def _reason(cloud: Cloud, gpu: GpuType, gpus: int, chosen: GpuType, count: int, skipped: list[str]) -> str:
    sells = offered(cloud).get(gpu)
    if chosen is gpu and count == gpus:
        return "same GPU"
    if chosen is gpu:
        why = f"{cloud.value} sells {gpu.value} only {', '.join(map(str, sells or []))} to a machine"
    elif sells:
        why = f"{cloud.value} sells {gpu.value} only {', '.join(map(str, sells))} to a machine, not {gpus}"
    else:
        why = f"{cloud.value} does not sell {gpu.value}"
    extra = f"; skipped {'; '.join(skipped)}" if skipped else ""
    return f"{why}: {count} x {chosen.value}, {_spec(gpu, chosen)}{extra}"


def _spec(gpu: GpuType, chosen: GpuType) -> str:
    old, new = GPUS[gpu], GPUS[chosen]
    return (
        f"{new.memory_gib} GB, compute capability {'.'.join(map(str, new.compute_capability))} "
        f"(was {old.memory_gib} GB, {'.'.join(map(str, old.compute_capability))})"
    )


def _slug(gpu: GpuType) -> str:
    return gpu.value.lower().split("-")[0]


def pool_name(name: str, source_gpu: GpuType, gpu: GpuType, cloud: Cloud, taken: Iterable[str]) -> str:
    """The pool's name on the target: the GPU in it renamed with the GPU, and on AKS lowercase letters and digits,
    at most 12 characters, starting with a letter (AKS refuses dashes)."""
    renamed = name
    if source_gpu is not gpu:
        renamed = re.sub(rf"(?<![a-z0-9]){re.escape(_slug(source_gpu))}(?![0-9])", _slug(gpu), name)
    if cloud is not Cloud.AZURE or _AKS_POOL_NAME.match(renamed):
        candidate = renamed
    else:
        letters = re.sub(r"[^a-z0-9]", "", renamed.lower())
        candidate = (letters if letters[:1].isalpha() else f"gpu{letters}")[:12] or "gpu"
    taken = set(taken)
    base, number = candidate, 2
    while candidate in taken:
        suffix = str(number)
        candidate = base[: 12 - len(suffix)] + suffix if cloud is Cloud.AZURE else f"{base}-{suffix}"
        number += 1
    return candidate


def _translate_pool(
    name: str, body: Mapping[str, Any], option: GpuOption, new_name: str, source: Cloud, cloud: Cloud, notes: list[str]
) -> dict[str, Any]:
    source_gpu = GpuType(body["gpu"])
    pool = {key: value for key, value in body.items() if key not in ("instanceType", "zones")}
    pool["gpu"], pool["gpusPerNode"] = option.gpu.value, option.gpus
    if "instanceType" in body:
        notes.append(
            f"gpuPools.{name}.instanceType {body['instanceType']!r}: a {source.value} machine type; the "
            f"{cloud.value} type is chosen by the fit rules"
        )
    if "zones" in body:
        where = "the cluster's zones are used" if cloud is Cloud.GCP else f"{cloud.value} has no such key"
        notes.append(f"gpuPools.{name}.zones: zones of {source.value}'s region; {where}")
    sharing = body.get("sharing") or {}
    if sharing.get("mode") == "mig" and (cloud is Cloud.AWS or option.gpu is not source_gpu):
        pool.pop("sharing")
        why = (
            "MIG is not available on EKS (its nodes come unpartitioned)"
            if cloud is Cloud.AWS
            else f"the MIG profile is one of {source_gpu.value}, not {option.gpu.value}"
        )
        notes.append(f"gpuPools.{name}.sharing: {why}; the pool's GPUs are whole")
    if new_name != name:
        whys = [f"named after its GPU, {option.gpu.value}"] if option.gpu is not source_gpu else []
        if cloud is Cloud.AZURE and not _AKS_POOL_NAME.match(name):
            whys.append("AKS pool names are lowercase letters and digits, at most 12")
        why = "; ".join(whys)
        notes.append(f"gpuPools.{name} is {new_name!r} on {cloud.value} ({why})")
    return pool


def _translate_models(
    models: Mapping[str, Any], renamed: Mapping[str, str], cloud: Cloud, notes: list[str]
) -> dict[str, Any]:
    translated = {}
    for name, body in models.items():
        model = dict(body)
        if model.get("pool") in renamed:
            model["pool"] = renamed[model["pool"]]
        cold_start = dict(model.get("coldStart") or {})
        if "images" in cold_start:
            # How an image reaches a node is the cloud's own (FastImagePull, GKE image streaming, AKS pulls only).
            notes.append(
                f"models.{name}.coldStart.images {cold_start.pop('images')!r}: left to the fastest {cloud.value} "
                "offers (stacks/config/rules/cold_start.py)"
            )
            if cold_start:
                model["coldStart"] = cold_start
            else:
                model.pop("coldStart")
        translated[name] = model
    return translated


def _translate_top(config: dict[str, Any], source: Cloud, cloud: Cloud, notes: list[str]) -> None:
    for key, why in _CLOUD_SPECIFIC.items():
        if key in config:
            notes.append(f"{key} {config.pop(key)!r}: {why.format(source=source.value, target=cloud.value)}")
    if source is Cloud.GCP:
        notes.append(f"gcpProject {config.pop('gcpProject', None)!r}: a Google Cloud project; {cloud.value} has none")
    if cloud is Cloud.GCP:
        config["gcpProject"] = GCP_PROJECT_PLACEHOLDER
        notes.append(
            f"gcpProject: set to {GCP_PROJECT_PLACEHOLDER!r}; replace it with your project id before `pulumi up`"
        )
    if source is Cloud.AZURE:
        for key in ("deployerPrincipalType", "deployerGroupObjectId"):
            if key in config:
                notes.append(
                    f"{key} {config.pop(key)!r}: who runs Pulumi on Azure (the AKS admin role); "
                    f"{cloud.value} grants the deployer by its own identity"
                )
    if cloud is Cloud.AZURE:
        notes.append("deployerPrincipalType: unset (a user runs Pulumi); set 'servicePrincipal' when CI does")
    name = config.get("clusterName")
    if isinstance(name, str) and re.search(rf"(?<![a-z0-9]){source.value}(?![a-z0-9])", name):
        config["clusterName"] = re.sub(rf"(?<![a-z0-9]){source.value}(?![a-z0-9])", cloud.value, name)
        notes.append(f"clusterName {name!r} is {config['clusterName']!r} (it named the cloud)")


def translate(
    root: Path,
    stack: str,
    to: Cloud,
    *,
    region: str | None = None,
    name: str | None = None,
    prices: Mapping[str, Any] | None = None,
) -> Translation:
    """The stack moved to `to`, checked by the config step; nothing is written."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise TranslateError(f"STACK={stack!r}: no {path.name} in {root}")
    config, secrets = read_source(path)
    target = config.get("target")
    if target not in {cloud.value for cloud in Cloud}:
        raise TranslateError(f"STACK={stack!r}: target {target!r} is not a cloud; only aws, gcp and azure stacks move")
    source = Cloud(target)
    if source is to:
        raise TranslateError(f"TO={to.value!r}: {stack} is already on {to.value}; use another cloud")
    source_region = str(config.get("region", ""))
    chosen, why = choose_region(source, source_region, to, region)
    document = prices or json.loads(CATALOGUE.read_text())
    absent, priced = absent_types(to, chosen, document), priced_types(to, chosen, document)
    options: dict[str, list[GpuOption]] = {}
    for pool, body in (config.get("gpuPools") or {}).items():
        try:
            options[pool] = gpu_options(
                to, chosen, GpuType(body["gpu"]), int(body.get("gpusPerNode", 1)), absent=absent, priced=priced
            )
        except TranslateError as error:
            raise TranslateError(f"gpuPools.{pool}.{error}") from None
    translation = Translation(
        source_stack=stack,
        stack=name or f"{stack}-{to.value}",
        source_cloud=source,
        cloud=to,
        source_region=source_region,
        region=chosen,
        region_reason=why,
        config={},
        secrets=secrets,
        source_resolved=resolved(path, stack),
    )
    _settle(translation, config, options)
    return translation


def _build(translation: Translation, config: Mapping[str, Any], picks: Mapping[str, GpuOption]) -> None:
    """The translated config for one choice of GPU per pool, with its notes."""
    source, cloud = translation.source_cloud, translation.cloud
    notes: list[str] = []
    pools: dict[str, Any] = {}
    choices = []
    for pool, body in (config.get("gpuPools") or {}).items():
        option = picks[pool]
        new_name = pool_name(pool, GpuType(body["gpu"]), option.gpu, cloud, pools)
        pools[new_name] = _translate_pool(pool, body, option, new_name, source, cloud, notes)
        choices.append(
            PoolChoice(
                pool,
                new_name,
                GpuType(body["gpu"]),
                option.gpu,
                int(body.get("gpusPerNode", 1)),
                option.gpus,
                option.reason,
                option.offer,
            )
        )
    new = dict(config)
    new["target"], new["region"] = cloud.value, translation.region
    _translate_top(new, source, cloud, notes)
    if pools:
        new["gpuPools"] = pools
    if "models" in config:
        renamed = {choice.source_name: choice.name for choice in choices}
        new["models"] = _translate_models(config["models"], renamed, cloud, notes)
    translation.config, translation.pools, translation.notes = new, choices, notes


def _settle(translation: Translation, config: Mapping[str, Any], options: Mapping[str, list[GpuOption]]) -> None:
    """Take each pool's nearest GPU option; while the config step finds that no machine of an option holds the
    pool's pods (the fit rules), take the pool's next option."""
    options = {pool: list(listed) for pool, listed in options.items()}
    index = dict.fromkeys(options, 0)
    passed_over: list[str] = []
    unfit: dict[str, list[str]] = {pool: [] for pool in options}
    while True:
        _build(translation, config, {pool: options[pool][i] for pool, i in index.items()})
        try:
            translation.resolved = check(translation, render_stack_file(translation))
        except ConfigError as error:
            failing = _failing_pools(translation, error)
            if not failing or any(index[pool] + 1 >= len(options[pool]) for pool in failing):
                raise TranslateError(
                    f"the {translation.cloud.value} translation does not pass the config step:\n{error}"
                ) from None
            cloud = translation.cloud.value
            for pool in sorted(failing):
                option = options[pool][index[pool]]
                unfit[pool].append(f"{option.gpus} x {option.gpu.value}")
                passed_over.append(
                    f"gpuPools.{pool}: {option.gpus} x {option.gpu.value} passed over: "
                    f"no {cloud} machine with it {failing[pool]}"
                )
                index[pool] += 1
                chosen = options[pool][index[pool]]
                source_gpu = GpuType(config["gpuPools"][pool]["gpu"])
                options[pool][index[pool]] = dataclasses.replace(
                    chosen,
                    reason=f"no {cloud} machine with {' or '.join(unfit[pool])} {failing[pool]}: "
                    f"{chosen.gpus} x {chosen.gpu.value}, {_spec(source_gpu, chosen.gpu)}",
                )
            continue
        translation.notes[:0] = passed_over
        return


def _failing_pools(translation: Translation, error: ConfigError) -> dict[str, str]:
    """The source pools the config step refused, each with why: a pool whose machines hold none of its pods
    (`gpuPools.<pool>...`), or a pool whose GPU cannot hold a model placed on it (`models.<model>...`: sizing)."""
    by_name = {choice.name: choice.source_name for choice in translation.pools}
    models = translation.config.get("models", {})
    failing: dict[str, str] = {}
    for issue in error.issues:
        area, _, rest = issue.path.partition(".")
        name = rest.split(".")[0]
        if area == "gpuPools" and name in by_name:
            failing.setdefault(by_name[name], "holds the pool's pods (the fit rules)")
        elif area == "models" and (pool := models.get(name, {}).get("pool")) in by_name:
            failing.setdefault(by_name[pool], f"fits model {name} (sizing: {issue.path})")
    return failing


def render_stack_file(translation: Translation) -> str:
    """The translated stack file: a header saying where it came from, the secrets to set, then `config:`."""
    t = translation
    lines = [
        f"# {t.cloud.value} translation of Pulumi.{t.source_stack}.yaml ({t.source_cloud.value} {t.source_region}), "
        f"written by `make translate`;",
        f"# region {t.region}: {t.region_reason}.",
        f"# What changed and why: build/translate/{t.stack}.md (`make translate` prints it); review it first.",
    ]
    for key in t.secrets:
        lines.append(
            f"# {key} was a secret of {t.source_stack} and is not copied (its ciphertext is the source stack's); "
            f"set it: pulumi config set --secret {key} --stack {t.stack}"
        )
    body = yaml.safe_dump(
        {"config": {f"{PROJECT}:{key}": value for key, value in t.config.items()}},
        sort_keys=False,
        default_flow_style=False,
        width=120,
    )
    return "\n".join(lines) + "\n" + body


def check(translation: Translation, text: str) -> StackConfig:
    """The translation through the config step (sizing, machine types), its secrets standing in as placeholders as
    they will be set. Raises ConfigError."""
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / f"Pulumi.{translation.stack}.yaml"
        path.write_text(text)
        return resolved(path, translation.stack, set_later=translation.secrets)


def resolved(path: Path, stack: str, set_later: Iterable[str] = ()) -> StackConfig:
    """A stack file through the config step; secrets (and `set_later` keys) stand in as placeholders, marked secret,
    as in the offline plan."""
    values = read_stack_config(path)
    raw: dict[str, Any] = {
        key.split(":", 1)[1]: value for key, value in values.config.items() if key.startswith(f"{PROJECT}:")
    }
    secret = {key.split(":", 1)[1]: True for key in values.secret_keys}
    for key in set_later:
        raw[key], secret[key] = f"placeholder-for-{key}", True
    return parse_config(raw, stack=stack, secret_keys=secret)
