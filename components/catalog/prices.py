"""List prices of what a stack runs: machine types per region, and the fixed parts each cloud target creates.

The data is prices.json beside this module, written by tools/prices.py (from the clouds' public price files) or
by hand with the page a price was read from; every row carries its source and date. A price that could not be
sourced is `unknown` (None here), never guessed, and whoever adds it up must say so (stacks/cost.py).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.catalog.instances import Cloud

CATALOGUE = Path(__file__).with_name("prices.json")
UNKNOWN = "unknown"


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


@dataclass(frozen=True)
class Catalogue:
    assembled: str
    instances: dict[tuple[Cloud, str, str], InstancePrice]
    fixed: dict[tuple[Cloud, str, str], FixedPrice]

    def instance(self, cloud: Cloud, region: str, instance_type: str) -> InstancePrice:
        """The row of `instance_type` in `region`; both prices unknown when the catalogue has no such row."""
        row = self.instances.get((cloud, region, instance_type))
        if row is not None:
            return row
        missing = Price(usd=None, source=f"not in {CATALOGUE.name} for {cloud.value} {region}", date=self.assembled)
        return InstancePrice(cloud=cloud, region=region, instance_type=instance_type, on_demand=missing, spot=missing)

    def fixed_price(self, cloud: Cloud, region: str, item: str) -> Price:
        row = self.fixed.get((cloud, region, item))
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
