"""The price catalogue: every row sourced and dated, every choosable machine priced or explicitly unknown."""

from __future__ import annotations

import json
import re

import pytest

from components.catalog.instances import INSTANCES, Cloud
from components.catalog.prices import CATALOGUE, UNKNOWN, catalogue
from stacks.cost import default_system_instance_type
from tools.prices import example_regions

DOCUMENT = json.loads(CATALOGUE.read_text())
_DATE = re.compile(r"^20\d\d-[01]\d-[0-3]\d$")


def _prices(row: dict[str, object]) -> list[dict[str, object]]:
    return [row["onDemand"], row["spot"]] if "onDemand" in row else [row]  # type: ignore[list-item]


@pytest.mark.parametrize("section", ["instances", "fixed"])
def test_every_row_names_its_source_and_the_date_it_was_read(section: str) -> None:
    for row in DOCUMENT[section]:
        for price in _prices(row):
            assert str(price["source"]).strip(), row
            assert _DATE.match(str(price["date"])), row


def test_a_price_is_a_positive_number_or_the_word_unknown() -> None:
    for row in [*DOCUMENT["instances"], *DOCUMENT["fixed"]]:
        for price in _prices(row):
            value = price["usdPerHour"] if "usdPerHour" in price else price["usd"]
            assert value == UNKNOWN or (isinstance(value, float | int) and value > 0), row


def test_spot_prices_are_marked_as_snapshots() -> None:
    assert all(row["spot"]["snapshot"] is True for row in DOCUMENT["instances"])


def test_every_choosable_machine_has_a_row_in_every_example_region() -> None:
    # A row may say `unknown`, but it must be there: a missing row would be a price nobody looked for.
    rows = {(row["cloud"], row["region"], row["instanceType"]) for row in DOCUMENT["instances"]}
    for cloud, regions in example_regions().items():
        machines = {default_system_instance_type(cloud), *(instance.name for instance in INSTANCES[cloud])}
        for region in regions:
            missing = sorted(name for name in machines if (cloud.value, region, name) not in rows)
            assert not missing, (cloud, region, missing)


def test_the_examples_use_the_three_regions_the_catalogue_covers() -> None:
    assert example_regions() == {Cloud.AWS: {"us-east-1"}, Cloud.GCP: {"us-central1"}, Cloud.AZURE: {"eastus2"}}


def test_a_machine_outside_the_catalogue_is_unknown_not_free() -> None:
    row = catalogue().instance(Cloud.AWS, "eu-west-1", "g6.xlarge")
    assert (row.on_demand.usd, row.spot.usd) == (None, None)
    assert "not in prices.json" in row.on_demand.source


def test_unknown_rows_say_why() -> None:
    for row in DOCUMENT["instances"]:
        if row["onDemand"]["usdPerHour"] == UNKNOWN:
            assert row["onDemand"].get("note"), row


def test_a_loaded_row_keeps_its_price_source_and_date() -> None:
    row = catalogue().instance(Cloud.AWS, "us-east-1", "g6e.12xlarge")
    assert row.on_demand.usd == 10.49264
    assert row.on_demand.date == "2026-07-20"
    assert row.on_demand.source.endswith("pkg/providers/pricing/zz_generated.pricing_aws.go")
    assert row.spot.usd is None
    assert row.spot.snapshot


# What a proxy or a copy of someone else's page looks like in a URL: another URL inside it, a known mirror host.
_PROXIED = re.compile(r"https?%3A|/https?/|[?&]url=|appspot\.com|proxy|dudasite|quartiers047|:443/", re.IGNORECASE)


def test_no_price_is_sourced_from_a_proxy_or_a_mirror_of_the_clouds_pages() -> None:
    for row in [*DOCUMENT["instances"], *DOCUMENT["fixed"]]:
        for price in _prices(row):
            assert not _PROXIED.search(str(price["source"])), row
        assert not _PROXIED.search(str(row.get("rule", ""))), row


def test_the_aks_standard_tier_comes_from_azures_price_page() -> None:
    [row] = [row for row in DOCUMENT["fixed"] if row["item"] == "aks-standard-tier"]
    assert row["source"] == "https://azure.microsoft.com/en-us/pricing/details/kubernetes-service/"
    assert row["date"] >= "2026-01-01"
