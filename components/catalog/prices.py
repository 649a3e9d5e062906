"""List prices of what a stack runs: machine types per region, and the fixed parts each cloud target creates.

The data is prices.json beside this module, written by tools/prices.py (from the clouds' public price files) or
by hand with the page a price was read from; every row carries its source and date. A price that could not be
sourced is `unknown` (None here), never guessed, and whoever adds it up must say so (stacks/cost.py).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.catalog.instances import Cloud

CATALOGUE = Path(__file__).with_name("prices.json")
UNKNOWN = "unknown"
ANY_REGION = "*"


@dataclass(frozen=True, kw_only=True)
class Price:
    usd: float | None
    """USD per unit (an hour, or a GiB-month); None when unknown."""
    source: str
    """Where the price was read (a URL), or why it is unknown."""
    date: str
    """When: the date the source states, or the day it was read (YYYY-MM-DD)."""
    snapshot: bool = False
    """Spot prices move; this one is a snapshot of the day."""
    upper_bound: bool = False
    """Not the price but a price it never exceeds (an unknown spot price counted at the on-demand price)."""

    @property
    def known(self) -> bool:
        return self.usd is not None


@dataclass(frozen=True, kw_only=True)
class InstancePrice:
    cloud: Cloud
    region: str
    instance_type: str
    on_demand: Price
    spot: Price


@dataclass(frozen=True, kw_only=True)
class FixedPrice:
    cloud: Cloud
    region: str
    item: str
    unit: str
    """`hour` or `gib-month`."""
    price: Price
    rule: str
    """What one unit is and when the stack pays it."""


@dataclass(frozen=True, kw_only=True)
class Override:
    """A price a stack gives (its `priceOverrides`): a machine type's `on_demand`/`spot`, or a fixed item's `usd`."""

    on_demand: float | None = None
    spot: float | None = None
    usd: float | None = None
    source: str
    date: str

    def price(self, usd: float) -> Price:
        return Price(usd=usd, source=self.source, date=self.date)


@dataclass(frozen=True)
class Catalogue:
    assembled: str
    instances: dict[tuple[Cloud, str, str], InstancePrice]
    fixed: dict[tuple[Cloud, str, str], FixedPrice]

    def covers(self, cloud: Cloud, region: str) -> bool:
        """Whether the catalogue has machine prices for `region` (it was read for it)."""
        return any(key[0] is cloud and key[1] == region for key in self.instances)

    def regions(self, cloud: Cloud) -> list[str]:
        return sorted({key[1] for key in self.instances if key[0] is cloud})

    def instance(self, cloud: Cloud, region: str, instance_type: str) -> InstancePrice:
        """The row of `instance_type` in `region`; both prices unknown when the catalogue has no such row."""
        row = self.instances.get((cloud, region, instance_type))
        if row is not None:
            return row
        missing = Price(usd=None, source=f"not in {CATALOGUE.name} for {cloud.value} {region}", date=self.assembled)
        return InstancePrice(cloud=cloud, region=region, instance_type=instance_type, on_demand=missing, spot=missing)

    def overridden(self, cloud: Cloud, region: str, overrides: Mapping[str, Override]) -> Catalogue:
        """This catalogue with the stack's own prices (its `priceOverrides`) in `region`: a machine type's on-demand
        and spot price, a fixed item's price in the catalogue's unit. What an override leaves unset stays as is."""
        instances = dict(self.instances)
        fixed = dict(self.fixed)
        for name, override in overrides.items():
            key = (cloud, region, name)
            if override.usd is not None:
                row = fixed.get(key)
                price = override.price(override.usd)
                fixed[key] = (
                    dataclasses.replace(row, price=price)
                    if row
                    else FixedPrice(
                        cloud=cloud, region=region, item=name, unit="hour", price=price, rule=override.source
                    )
                )
                continue
            current = self.instance(cloud, region, name)
            instances[key] = dataclasses.replace(
                current,
                on_demand=current.on_demand if override.on_demand is None else override.price(override.on_demand),
                spot=current.spot if override.spot is None else override.price(override.spot),
            )
        return Catalogue(assembled=self.assembled, instances=instances, fixed=fixed)

    def fixed_price(self, cloud: Cloud, region: str, item: str) -> Price:
        # A row of region `*` is a price the cloud states once for every region (EKS, GKE's fee, Cloud NAT).
        row = self.fixed.get((cloud, region, item)) or self.fixed.get((cloud, ANY_REGION, item))
        if row is not None:
            return row.price
        return Price(usd=None, source=f"not in {CATALOGUE.name} for {cloud.value} {region}", date=self.assembled)


def _price(body: dict[str, Any]) -> Price:
    value = body["usdPerHour"] if "usdPerHour" in body else body["usd"]
    return Price(
        usd=None if value == UNKNOWN else float(value),
        source=body["source"],
        date=body["date"],
        snapshot=bool(body.get("snapshot", False)),
    )


def parse_catalogue(document: dict[str, Any]) -> Catalogue:
    instances = {}
    for row in document["instances"]:
        cloud = Cloud(row["cloud"])
        instances[(cloud, row["region"], row["instanceType"])] = InstancePrice(
            cloud=cloud,
            region=row["region"],
            instance_type=row["instanceType"],
            on_demand=_price(row["onDemand"]),
            spot=_price(row["spot"]),
        )
    fixed = {}
    for row in document["fixed"]:
        cloud = Cloud(row["cloud"])
        fixed[(cloud, row["region"], row["item"])] = FixedPrice(
            cloud=cloud, region=row["region"], item=row["item"], unit=row["unit"], price=_price(row), rule=row["rule"]
        )
    return Catalogue(assembled=document["assembled"], instances=instances, fixed=fixed)


@functools.cache
def catalogue() -> Catalogue:
    return parse_catalogue(json.loads(CATALOGUE.read_text()))
