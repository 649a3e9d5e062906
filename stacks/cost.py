"""What a stack costs at list prices, from its config and the price catalogue (components/catalog/prices.py).

Two scales: idle, what runs at minimum scale (the system pools at their size, each GPU pool at its minNodes or at
the nodes its models' minReplicas need if more, and the fixed parts), and the ceiling, what the autoscalers can
reach (every pool at its maximum). Each GPU pool is priced at its capacity (spot or on-demand). A price the
catalogue does not know makes an amount a lower bound, and the amount says so: it is never left out silently.
Not counted: node disks, storage beyond the minimums the stack creates, data processing and transfer, logs.
"""

from __future__ import annotations

import dataclasses
import importlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from components.catalog.instances import Cloud
from components.catalog.prices import Catalogue, Override, Price, catalogue
from components.clusters.contract import slots_per_node
from stacks.config import Capacity, GpuPool, StackConfig

HOURS_PER_MONTH = 730
"""The month the clouds' price pages use (365 x 24 / 12)."""

_TARGET_MODULES = {Cloud.AWS: "stacks.aws", Cloud.GCP: "stacks.gcp", Cloud.AZURE: "stacks.azure"}
_SYSTEM_EXTRA_NODES = 2
"""Every cloud's system pool autoscales up to two nodes beyond systemNodes (clusters/eks.py, gke.py, aks.py)."""
_AKS_GENERAL_NODES = (1, 3)
"""AKS's `general` user pool, on the system machine type (clusters/aks.py)."""
_FILESTORE_MINIMUM_GIB = 100
"""A Filestore Basic HDD instance made by GKE's CSI driver has at least 100 GiB (clusters/filestore.py)."""
_CLOUD_NAT_VM_CAP = 32


@dataclass(frozen=True)
class Amount:
    """USD per hour: the sum of the known prices, and what could not be priced."""

    usd: float = 0.0
    unknown: tuple[str, ...] = ()
    bounded: tuple[str, ...] = ()
    """Spot prices the catalogue lacks, counted at the on-demand price: the clouds never charge more for spot
    (EC2 user guide, "Spot Instance pricing history"; AKS spot pools set maxPrice -1, capped at pay-as-you-go;
    GCE Spot VMs pricing: 60-91% off), so the amount is an upper bound for them."""

    def __add__(self, other: Amount) -> Amount:
        # The same unknown price counts once however many parts use it.
        return Amount(
            self.usd + other.usd,
            tuple(dict.fromkeys(self.unknown + other.unknown)),
            tuple(dict.fromkeys(self.bounded + other.bounded)),
        )

    @property
    def complete(self) -> bool:
        return not self.unknown

    def as_output(self) -> dict[str, Any]:
        return {
            "usdPerHour": round(self.usd, 4),
            "usdPerMonth": round(self.usd * HOURS_PER_MONTH, 2),
            "complete": self.complete,
            "unknownPrices": list(self.unknown),
            "spotAtOnDemand": list(self.bounded),
        }


def total(amounts: Iterable[Amount]) -> Amount:
    return sum(amounts, Amount())


def priced(count: float, price: Price, what: str) -> Amount:
    """`count` units at `price`; nothing of nothing, and an unknown price leaves `what` unpriced."""
    if count == 0:
        return Amount()
    if price.usd is None:
        return Amount(0.0, (what,))
    return Amount(count * price.usd, bounded=(what,) if price.upper_bound else ())


def money(amount: Amount, unit: str = "h") -> str:
    """`$12.34/h`; `at least $12.34/h (2 prices unknown: ...)` when some price is unknown, naming them; `at most`
    when spot prices the catalogue lacks count at the on-demand price."""
    value = amount.usd if unit == "h" else amount.usd * HOURS_PER_MONTH
    return amount_text(f"${value:,.2f}/{unit}", list(amount.unknown), list(amount.bounded), nothing_known=not value)


def amount_text(text: str, unknown: list[str], bounded: list[str], *, nothing_known: bool = False) -> str:
    """An amount with what it leaves out: `at least` and the unknown prices named (`not known` when nothing else is
    counted: `$0.00/h` would read as free); `at most` (or, with both, a note) when spot prices count at the
    on-demand price, spot's ceiling."""
    if not unknown:
        return f"at most {text}" if bounded else text
    note = f"{len(unknown)} price{'s' if len(unknown) > 1 else ''} unknown: {', '.join(unknown)}"
    if nothing_known:
        return f"not known ({note})"
    if bounded:
        note += f"; spot counted at on-demand: {', '.join(bounded)}"
    return f"at least {text} ({note})" if not bounded else f"{text} ({note})"


@dataclass(frozen=True)
class NodePoolCost:
    """A pool of nodes: its machine type at its capacity, how many run idle and at most."""

    key: str
    """The config path it comes from (`gpuPools.<name>`), or the pool's name in the cluster."""
    instance_type: str
    spot: bool
    node_price: Price
    idle_nodes: int
    max_nodes: int
    idle_reason: str
    """Why that many run idle: the pool's minimum, or the models' minReplicas."""
    idle: Amount
    ceiling: Amount
    spot_price: Price | None = None
    """On an on-demand pool, the spot price of its machine type: what `capacity: spot` would pay."""
    min_nodes: int = 0
    """The pool's own minimum (minNodes, systemNodes)."""
    needed_nodes: int = 0
    """Nodes the minReplicas of the pool's models need."""


@dataclass(frozen=True)
class FixedCost:
    item: str
    description: str
    idle: Amount
    ceiling: Amount


@dataclass(frozen=True)
class ModelCost:
    name: str
    pool: str | None
    share: str
    """What one replica holds: `1/4 of a g6.xlarge`, or the CPU pools when it has no GPU pool."""
    replica: Amount
    max_replicas: int

    @property
    def at_max_replicas(self) -> Amount:
        return Amount(self.replica.usd * self.max_replicas, self.replica.unknown, self.replica.bounded)


@dataclass(frozen=True)
class StackCost:
    stack: str
    cloud: Cloud
    region: str
    assembled: str
    system_pools: tuple[NodePoolCost, ...]
    gpu_pools: dict[str, NodePoolCost]
    fixed: tuple[FixedCost, ...]
    models: dict[str, ModelCost]
    prices_used: tuple[Price, ...] = field(default=())
    regions_priced: tuple[str, ...] = ()
    """The cloud's regions the catalogue has machine prices for; the stack's region may be none of them."""

    @property
    def idle(self) -> Amount:
        return total(part.idle for part in self._parts())

    @property
    def ceiling(self) -> Amount:
        return total(part.ceiling for part in self._parts())

    def _parts(self) -> list[NodePoolCost | FixedCost]:
        return [*self.system_pools, *self.gpu_pools.values(), *self.fixed]

    @property
    def prices_as_of(self) -> str:
        """The oldest date of a known price the numbers use."""
        dates = [price.date for price in self.prices_used if price.known]
        return min(dates) if dates else self.assembled

    def as_output(self) -> dict[str, Any]:
        """The `cost` stack output: plain data a diff can compare."""
        return {
            "currency": "USD",
            "hoursPerMonth": HOURS_PER_MONTH,
            "region": self.region,
            "catalogue": {
                "assembled": self.assembled,
                "pricesAsOf": self.prices_as_of,
                "regionPriced": self.region in self.regions_priced,
                "regionsPriced": list(self.regions_priced),
            },
            "idle": self.idle.as_output(),
            "ceiling": self.ceiling.as_output(),
            "pools": {name: _pool_output(pool) for name, pool in self.gpu_pools.items()},
            "systemPools": {pool.key: _pool_output(pool) for pool in self.system_pools},
            "fixed": {
                part.item: {
                    "description": part.description,
                    "idle": part.idle.as_output(),
                    "ceiling": part.ceiling.as_output(),
                }
                for part in self.fixed
            },
            "models": {
                name: {
                    "pool": model.pool,
                    "share": model.share,
                    "replica": model.replica.as_output(),
                    "maxReplicas": model.max_replicas,
                    "atMaxReplicas": model.at_max_replicas.as_output(),
                }
                for name, model in self.models.items()
            },
        }


def _pool_output(pool: NodePoolCost) -> dict[str, Any]:
    return {
        "instanceType": pool.instance_type,
        "capacity": "spot" if pool.spot else "on-demand",
        # A spot price counted at the on-demand price is a bound, not the node's price.
        "nodeUsdPerHour": None if pool.node_price.upper_bound else pool.node_price.usd,
        "nodeUsdPerHourAtMost": pool.node_price.usd,
        "priceDate": pool.node_price.date,
        "spotSnapshot": pool.spot,
        "nodes": {"idle": pool.idle_nodes, "max": pool.max_nodes, "idleBecause": pool.idle_reason},
        "idle": pool.idle.as_output(),
        "ceiling": pool.ceiling.as_output(),
    }


def default_system_instance_type(cloud: Cloud) -> str:
    """The machine type each target gives its system pool when `systemInstanceType` is unset."""
    return str(importlib.import_module(_TARGET_MODULES[cloud]).DEFAULT_SYSTEM_INSTANCE_TYPE)


def _node_pool(
    key: str, prices: Catalogue, cloud: Cloud, region: str, instance_type: str, *, spot: bool, nodes: tuple[int, int]
) -> NodePoolCost:
    row = prices.instance(cloud, region, instance_type)
    price = row.spot if spot else row.on_demand
    if spot and not price.known and row.on_demand.known:
        price = dataclasses.replace(row.on_demand, upper_bound=True, source=f"spot unknown; {row.on_demand.source}")
    what = _price_label(instance_type, spot=spot, region=region)
    idle_nodes, max_nodes = nodes
    return NodePoolCost(
        key=key,
        instance_type=instance_type,
        spot=spot,
        node_price=price,
        idle_nodes=idle_nodes,
        max_nodes=max_nodes,
        idle_reason="the pool's minimum",
        idle=priced(idle_nodes, price, what),
        ceiling=priced(max_nodes, price, what),
        spot_price=None if spot else row.spot,
    )


def _price_label(instance_type: str, *, spot: bool, region: str) -> str:
    """What a node price is, as unknown prices are listed."""
    return f"{instance_type} {'spot' if spot else 'on-demand'} in {region}"


def _slots(pool: GpuPool) -> int:
    return slots_per_node(pool.gpu, pool.gpus_per_node, pool.sharing.as_sharing())


def _nodes_for_min_replicas(config: StackConfig, pool_name: str) -> int:
    """Nodes the minReplicas of the pool's own models need: the autoscaler adds them beyond minNodes."""
    pool = config.gpu_pools[pool_name]
    slots = sum(
        model.spec.min_replicas * model.gpus_per_replica
        for model in config.models.values()
        if model.spec.pool == pool_name
    )
    return math.ceil(slots / _slots(pool))


def _gpu_pools(config: StackConfig, prices: Catalogue, cloud: Cloud, region: str) -> dict[str, NodePoolCost]:
    pools = {}
    for name, pool in config.gpu_pools.items():
        needed = _nodes_for_min_replicas(config, name)
        idle_nodes = min(max(pool.min_nodes, needed), pool.max_nodes)
        cost = _node_pool(
            f"gpuPools.{name}",
            prices,
            cloud,
            region,
            config.pool_instances[name].name,
            spot=pool.capacity is Capacity.SPOT,
            nodes=(idle_nodes, pool.max_nodes),
        )
        cost = dataclasses.replace(cost, min_nodes=pool.min_nodes, needed_nodes=needed)
        if needed > pool.min_nodes:
            cost = dataclasses.replace(cost, idle_reason="its models' minReplicas")
        pools[name] = cost
    return pools


def _system_pools(config: StackConfig, prices: Catalogue, cloud: Cloud, region: str) -> tuple[NodePoolCost, ...]:
    machine = config.system_instance_type or default_system_instance_type(cloud)
    pools = [
        _node_pool(
            "system",
            prices,
            cloud,
            region,
            machine,
            spot=False,
            nodes=(config.system_nodes, config.system_nodes + _SYSTEM_EXTRA_NODES),
        )
    ]
    if cloud is Cloud.AZURE:
        pools.append(_node_pool("general", prices, cloud, region, machine, spot=False, nodes=_AKS_GENERAL_NODES))
    return tuple(pools)


def _fixed(item: str, description: str, count: int, price: Price) -> tuple[FixedCost, Price]:
    """A part that costs the same idle and at the ceiling: `count` units of `price`."""
    amount = priced(count, price, description)
    return FixedCost(item, description, amount, amount), price


def _load_balanced(config: StackConfig) -> list[bool]:
    """Whether each model's load balancer is internal, for the models that ask for one."""
    return [
        model.spec.load_balancer.internal is not False
        for model in config.models.values()
        if model.spec.load_balancer is not None
    ]


def _fixed_parts(
    config: StackConfig, prices: Catalogue, cloud: Cloud, region: str, nodes: tuple[int, int]
) -> list[tuple[FixedCost, Price]]:
    def price(item: str) -> Price:
        return prices.fixed_price(cloud, region, item)

    balancers = _load_balanced(config)
    # One cache claim per model that downloads its weights (those that stream read the bucket instead).
    downloading = [model for model in config.models.values() if not model.cold_start.streams_weights]
    caches = len(downloading) if config.model_cache_storage_class else 0
    parts: list[tuple[FixedCost, Price]] = []
    if cloud is Cloud.AWS:
        parts.append(_fixed("eks-control-plane", "EKS control plane", 1, price("eks-control-plane")))
        if not config.existing_subnet_ids:
            zones = config.availability_zones
            parts.append(_fixed("nat-gateway", f"{zones} NAT gateways", zones, price("nat-gateway")))
            parts.append(_fixed("public-ipv4", f"{zones} Elastic IPs of the NAT gateways", zones, price("public-ipv4")))
        if balancers:
            count = len(balancers)
            nlb = price("network-load-balancer")
            parts.append(_fixed("network-load-balancer", f"{count} model load balancers (NLB)", count, nlb))
    elif cloud is Cloud.GCP:
        fee = price("gke-cluster-management")
        parts.append(_fixed("gke-cluster-management", "GKE cluster fee (regional: no free tier)", 1, fee))
        parts.append(_cloud_nat(price, nodes))
        parts.append(_fixed("cloud-nat-ip", "Cloud NAT's external IP (at least one)", 1, price("cloud-nat-ip")))
        if balancers:
            first, rest = min(len(balancers), 5), max(len(balancers) - 5, 0)
            parts.append(_fixed("forwarding-rule", f"{first} model load balancers", first, price("forwarding-rule")))
            if rest:
                extra = price("forwarding-rule-additional")
                parts.append(_fixed("forwarding-rule-additional", f"{rest} more model load balancers", rest, extra))
        if caches and config.model_cache_class_created:
            gib = max(config.model_cache_gib, _FILESTORE_MINIMUM_GIB) * caches
            parts.append(_storage("filestore-basic-hdd", f"{caches} Filestore Basic HDD caches, {gib} GiB", gib, price))
    elif cloud is Cloud.AZURE:
        parts.append(_fixed("aks-standard-tier", "AKS Standard tier", 1, price("aks-standard-tier")))
        # AKS's outbound load balancer always exists; internal Services get a second, `kubernetes-internal`.
        internal = sum(balancers)
        lbs = 1 + (1 if internal else 0)
        lb = price("standard-load-balancer")
        parts.append(_fixed("standard-load-balancer", f"{lbs} Standard load balancers", lbs, lb))
        ips = 1 + len(balancers) - internal
        parts.append(_fixed("public-ipv4", f"{ips} public IP{'s' if ips > 1 else ''}", ips, price("public-ipv4")))
        if caches and config.model_cache_storage_class == "azurefile-csi-premium":
            gib = config.model_cache_gib * caches
            parts.append(_storage("azure-files-premium", f"{caches} Azure Files premium caches, {gib} GiB", gib, price))
    return parts


def _cloud_nat(price: Any, nodes: tuple[int, int]) -> tuple[FixedCost, Price]:
    """Cloud NAT bills per VM using it, up to 32 VMs, then a flat rate (cloud.google.com/nat/pricing)."""
    per_vm, cap = price("cloud-nat-per-vm"), price("cloud-nat-over-32-vms")

    def at(count: int) -> Amount:
        if count > _CLOUD_NAT_VM_CAP:
            return priced(1, cap, "Cloud NAT")
        return priced(count, per_vm, "Cloud NAT")

    idle, ceiling = nodes
    return FixedCost("cloud-nat", f"Cloud NAT for {idle}-{ceiling} nodes", at(idle), at(ceiling)), per_vm


def _storage(item: str, description: str, gib: int, price: Any) -> tuple[FixedCost, Price]:
    per_gib_month = price(item)
    hourly = Price(
        usd=None if per_gib_month.usd is None else per_gib_month.usd * gib / HOURS_PER_MONTH,
        source=per_gib_month.source,
        date=per_gib_month.date,
    )
    amount = priced(1, hourly, description)
    return FixedCost(item, description, amount, amount), per_gib_month


def _models(config: StackConfig, pools: dict[str, NodePoolCost], region: str) -> dict[str, ModelCost]:
    models = {}
    for name, model in config.models.items():
        pool_name = model.spec.pool
        if pool_name is None or model.share is None:
            share = "CPU on the system or general nodes (counted there)"
            models[name] = ModelCost(name, None, share, Amount(), model.max_replicas)
            continue
        pool = pools[pool_name]
        gpus, slots = model.share.gpus, model.share.slots
        fraction = gpus / slots
        share = f"{gpus}/{slots} of one {pool.instance_type}" if gpus != slots else f"a whole {pool.instance_type}"
        if model.share.nodes > 1:
            share = f"{model.share.nodes} whole {pool.instance_type} nodes (one group)"
        what = _price_label(pool.instance_type, spot=pool.spot, region=region)
        models[name] = ModelCost(name, pool_name, share, priced(fraction, pool.node_price, what), model.max_replicas)
    return models


def stack_cost(config: StackConfig, prices: Catalogue | None = None) -> StackCost | None:
    """The stack's cost at list prices; None on an existing cluster, whose machines the stack does not choose."""
    cloud = config.cloud
    if cloud is None:
        return None
    region = config.region or ""
    prices = (prices or catalogue()).overridden(cloud, region, _overrides(config, (prices or catalogue()).assembled))
    system = _system_pools(config, prices, cloud, region)
    gpu = _gpu_pools(config, prices, cloud, region)
    node_pools = [*system, *gpu.values()]
    nodes = (sum(p.idle_nodes for p in node_pools), sum(p.max_nodes for p in node_pools))
    fixed = _fixed_parts(config, prices, cloud, region, nodes)
    return StackCost(
        stack=config.stack,
        cloud=cloud,
        region=region,
        assembled=prices.assembled,
        system_pools=system,
        gpu_pools=gpu,
        fixed=tuple(part for part, _ in fixed),
        models=_models(config, gpu, region),
        prices_used=tuple([*(p.node_price for p in node_pools), *(price for _, price in fixed)]),
        regions_priced=tuple(prices.regions(cloud)),
    )


def _overrides(config: StackConfig, date: str) -> dict[str, Override]:
    source = f"priceOverrides in Pulumi.{config.stack}.yaml"
    return {
        name: Override(
            on_demand=override.on_demand,
            spot=override.spot,
            usd=override.usd,
            source=override.source or source,
            date=date,
        )
        for name, override in config.price_overrides.items()
    }


def cost_output(cost: StackCost | None) -> dict[str, Any]:
    """The `cost` stack output; on an existing cluster (no cost) only why there is none."""
    if cost is None:
        reason = "an existing cluster: the stack chooses no machines and creates no billed cloud resources"
        return {"estimated": False, "reason": reason}
    return {"estimated": True, **cost.as_output()}
