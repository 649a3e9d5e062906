"""Regenerate components/catalog/prices.json from the clouds' public price files. Run by a person with internet
access (and, for AWS, the files below); CI never calls it, and the parsers are tested on small fixtures.

    python -m tools.prices [--aws FILE ...] [--aws-spot FILE] [--azure] [--gcp-key KEY] [--out PATH]

- AWS, on-demand: a price list in either of its published shapes, products with their OnDemand terms:
  the bulk offer file `https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/<region>/index.json`
  (several GB for us-east-1), or the Price List Query API's answer, smaller, e.g.
  `aws pricing get-products --region us-east-1 --service-code AmazonEC2 --filters
  Type=TERM_MATCH,Field=regionCode,Value=us-east-1 Type=TERM_MATCH,Field=operatingSystem,Value=Linux
  Type=TERM_MATCH,Field=tenancy,Value=Shared Type=TERM_MATCH,Field=preInstalledSw,Value=NA
  Type=TERM_MATCH,Field=capacitystatus,Value=Used` (every page). Linux, shared tenancy, no pre-installed
  software, capacity status `Used`, the hourly OnDemand dimension: what karpenter-provider-aws reads too.
- AWS, spot: `aws ec2 describe-spot-price-history --product-descriptions Linux/UNIX --start-time <now> ...`; the
  latest price of each zone, and of the zones the highest (a ceiling should not assume the cheapest zone).
- Azure: the Retail Prices API, `https://prices.azure.com/api/retail/prices` with the OData filter
  `serviceName eq 'Virtual Machines' and armRegionName eq '<region>' and priceType eq 'Consumption'`, every page;
  Linux meters (product names without ` Windows`), spot meters (` Spot` SKU names), no Low Priority meters; and
  AKS's Standard tier, the one fixed part a price file gives: `serviceName eq 'Azure Kubernetes Service'`, meter
  `Standard Uptime SLA` (the meter Azure's price page shows; Infracost reads the same one).
- GCP: the Cloud Billing Catalog API, `https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus`
  (an API key), every page. A machine's price is its vCPUs x the family's core SKU + its GiB x the family's RAM
  SKU + its GPUs x the GPU's SKU, each SKU of the region (`serviceRegions`); spot from the `Spot Preemptible` SKUs.

A machine a file does not price stays `unknown`. The other fixed parts (control planes, NAT, load balancers,
storage) have no such files here: their rows are kept as they are, with the pages they were read from.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from components.catalog.gpus import GpuType
from components.catalog.instances import INSTANCES, Cloud
from components.catalog.prices import CATALOGUE, UNKNOWN
from components.catalog.regions import REGIONS
from tools.offline import ROOT, stack_names

AWS_OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/{region}/index.json"
AZURE_URL = "https://prices.azure.com/api/retail/prices"
GCP_URL = "https://cloudbilling.googleapis.com/v1/services/6F81-5844-456A/skus"
_AWS_LINUX = {
    "operatingSystem": "Linux",
    "tenancy": "Shared",
    "preInstalledSw": "NA",
    "capacitystatus": "Used",
}


@dataclass(frozen=True)
class Read:
    """Prices of machine types (USD per hour), with where and when they were read."""

    prices: dict[str, float]
    source: str
    date: str


# ---------------------------------------------------------------------------------------------------- AWS


def _aws_hourly(terms: Mapping[str, Any]) -> float | None:
    for term in terms.values():
        for dimension in term["priceDimensions"].values():
            if dimension["unit"] == "Hrs":
                return float(dimension["pricePerUnit"]["USD"])
    return None


def _aws_products(document: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], Mapping[str, Any]]]:
    """(product, its OnDemand terms) from a bulk offer file or a GetProducts answer."""
    if "PriceList" in document:
        for text in document["PriceList"]:
            item = json.loads(text) if isinstance(text, str) else text
            yield item["product"], item.get("terms", {}).get("OnDemand", {})
        return
    on_demand = document.get("terms", {}).get("OnDemand", {})
    for sku, product in document["products"].items():
        yield product, on_demand.get(sku, {})


def aws_on_demand(document: Mapping[str, Any], region: str, types: Iterable[str]) -> dict[str, float]:
    """Linux on-demand prices per hour of `types` in `region`."""
    wanted, prices = set(types), {}
    for product, terms in _aws_products(document):
        attributes = product.get("attributes", {})
        if product.get("productFamily") != "Compute Instance" or attributes.get("instanceType") not in wanted:
            continue
        if attributes.get("regionCode", region) != region:
            continue
        if any(attributes.get(key) != value for key, value in _AWS_LINUX.items()):
            continue
        price = _aws_hourly(terms)
        if price:
            prices[attributes["instanceType"]] = price
    return prices


def aws_spot(history: Mapping[str, Any], types: Iterable[str]) -> dict[str, float]:
    """The highest of each zone's latest Linux/UNIX spot price, per instance type."""
    wanted = set(types)
    latest: dict[tuple[str, str], tuple[str, float]] = {}
    for entry in history["SpotPriceHistory"]:
        if entry["InstanceType"] not in wanted or entry["ProductDescription"] != "Linux/UNIX":
            continue
        key = (entry["InstanceType"], entry["AvailabilityZone"])
        if key not in latest or entry["Timestamp"] > latest[key][0]:
            latest[key] = (entry["Timestamp"], float(entry["SpotPrice"]))
    prices: dict[str, float] = {}
    for (instance_type, _), (_, price) in latest.items():
        prices[instance_type] = max(price, prices.get(instance_type, 0.0))
    return prices


# -------------------------------------------------------------------------------------------------- Azure


def azure_filter(region: str) -> str:
    return f"serviceName eq 'Virtual Machines' and armRegionName eq '{region}' and priceType eq 'Consumption'"


def azure_prices(items: Iterable[Mapping[str, Any]], types: Iterable[str]) -> tuple[dict[str, float], dict[str, float]]:
    """(on-demand, spot) Linux prices per hour of `types` from Retail Prices API items."""
    wanted = set(types)
    on_demand: dict[str, float] = {}
    spot: dict[str, float] = {}
    for item in items:
        if item.get("armSkuName") not in wanted or item.get("type") != "Consumption":
            continue
        if item["unitOfMeasure"] != "1 Hour" or item["productName"].endswith(" Windows"):
            continue
        if item["meterName"].endswith(" Low Priority") or item["skuName"].endswith(" Low Priority"):
            continue
        prices = spot if item["skuName"].endswith(" Spot") else on_demand
        prices[item["armSkuName"]] = float(item["retailPrice"])
    return on_demand, spot


AKS_TIER_METER = "Standard Uptime SLA"


def azure_aks_filter(region: str) -> str:
    return f"serviceName eq 'Azure Kubernetes Service' and armRegionName eq '{region}' and priceType eq 'Consumption'"


def azure_aks_standard_tier(items: Iterable[Mapping[str, Any]]) -> float | None:
    """USD per cluster-hour of AKS's Standard tier (cluster management with the uptime SLA), if the items price it."""
    for item in items:
        if item.get("meterName") == AKS_TIER_METER and item.get("unitOfMeasure") == "1 Hour":
            return float(item["retailPrice"])
    return None


# ---------------------------------------------------------------------------------------------------- GCP

# A machine family's core and RAM SKUs, and each GPU's, by their descriptions without the location
# (`G2 Instance Core running in Americas`); spot SKUs say `Spot Preemptible` (and GPUs `attached to ... VMs`).
_GCP_FAMILY_SKUS = {
    "e2": ("E2 Instance Core", "E2 Instance Ram"),
    "n1": ("N1 Predefined Instance Core", "N1 Predefined Instance Ram"),
    "g2": ("G2 Instance Core", "G2 Instance Ram"),
    "a2": ("A2 Instance Core", "A2 Instance Ram"),
    "a3": ("A3 Instance Core", "A3 Instance Ram"),
}
_GCP_GPU_SKUS = {
    GpuType.T4: "Nvidia Tesla T4 GPU",
    GpuType.L4: "Nvidia L4 GPU",
    GpuType.A100_40GB: "Nvidia Tesla A100 GPU",
    GpuType.A100_80GB: "Nvidia Tesla A100 80GB GPU",
    GpuType.H100: "Nvidia H100 80GB GPU",
    GpuType.H200: "Nvidia H200 141GB GPU",
}
_GCP_SYSTEM_SHAPES = {"e2-standard-4": (4, 16)}
"""vCPUs and GiB of the machine types the instance catalogue does not list (the system pool's)."""


@dataclass(frozen=True)
class GcpMachine:
    name: str
    vcpus: int
    memory_gib: int
    gpu: GpuType | None = None
    gpus: int = 0


def _gcp_unit_price(sku: Mapping[str, Any]) -> float:
    rate = sku["pricingInfo"][0]["pricingExpression"]["tieredRates"][-1]["unitPrice"]
    return int(rate.get("units", "0")) + rate.get("nanos", 0) / 1e9


def _gcp_key(description: str) -> str:
    """`Spot Preemptible Nvidia L4 GPU attached to VMs running in Virginia` -> `Nvidia L4 GPU`."""
    description = description.replace("Spot Preemptible ", "")
    return description.split(" running in ")[0].split(" attached to")[0]


def gcp_sku_prices(skus: Iterable[Mapping[str, Any]], region: str) -> tuple[dict[str, float], dict[str, float]]:
    """(on-demand, spot) unit prices of the region's SKUs, keyed by description without the location."""
    on_demand: dict[str, float] = {}
    spot: dict[str, float] = {}
    for sku in skus:
        if region not in sku.get("serviceRegions", []):
            continue
        usage, description = sku["category"]["usageType"], sku["description"]
        if usage == "OnDemand" and "Preemptible" not in description:
            on_demand[_gcp_key(description)] = _gcp_unit_price(sku)
        elif usage == "Preemptible" and "Spot Preemptible" in description:
            spot[_gcp_key(description)] = _gcp_unit_price(sku)
    return on_demand, spot


def gcp_machine_prices(unit: Mapping[str, float], machines: Iterable[GcpMachine]) -> dict[str, float]:
    """Machine prices from unit prices; a machine with a SKU missing is left out (unknown)."""
    prices = {}
    for machine in machines:
        family = _GCP_FAMILY_SKUS.get(machine.name.split("-")[0])
        if family is None or family[0] not in unit or family[1] not in unit:
            continue
        price = machine.vcpus * unit[family[0]] + machine.memory_gib * unit[family[1]]
        if machine.gpu is not None:
            gpu = _GCP_GPU_SKUS.get(machine.gpu, "")
            if gpu not in unit:
                continue
            price += machine.gpus * unit[gpu]
        prices[machine.name] = round(price, 6)
    return prices


def gcp_machines(system: Iterable[str]) -> list[GcpMachine]:
    machines = [GcpMachine(name, *_GCP_SYSTEM_SHAPES[name]) for name in system if name in _GCP_SYSTEM_SHAPES]
    machines += [GcpMachine(i.name, i.vcpus, i.memory_gib, i.gpu, i.gpus) for i in INSTANCES[Cloud.GCP]]
    return machines


def requested_regions(names: Iterable[str]) -> dict[Cloud, set[str]]:
    """`--region` values by cloud: any region components/catalog/regions.py accepts, or `all` of them."""
    wanted: dict[Cloud, set[str]] = {}
    for name in names:
        clouds = [cloud for cloud in Cloud if name == "all" or name in REGIONS[cloud]]
        if not clouds:
            raise SystemExit(
                f"error: --region {name!r} is not a region of aws, gcp or azure (components/catalog/regions.py)"
            )
        for cloud in clouds:
            wanted.setdefault(cloud, set()).update(REGIONS[cloud] if name == "all" else {name})
    return wanted


def example_regions() -> dict[Cloud, set[str]]:
    """The regions the example stacks (Pulumi.<stack>.yaml) use, per cloud."""
    regions: dict[Cloud, set[str]] = {}
    for stack in stack_names():
        config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
        target = config["llm-platform:target"]
        if target in {cloud.value for cloud in Cloud}:
            regions.setdefault(Cloud(target), set()).add(config["llm-platform:region"])
    return regions


# --------------------------------------------------------------------------------------------- fetch, write


def _get_json(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 (fixed https URLs)
        return json.loads(response.read())


def fetch_azure(query: str) -> list[dict[str, Any]]:
    """Every page of the Retail Prices API's answer to the OData filter `query`."""
    items: list[dict[str, Any]] = []
    url: str | None = f"{AZURE_URL}?{urllib.parse.urlencode({'$filter': query})}"
    while url:
        page = _get_json(url)
        items += page["Items"]
        url = page.get("NextPageLink")
    return items


def fetch_gcp(key: str) -> list[dict[str, Any]]:
    skus: list[dict[str, Any]] = []
    token = ""
    while True:
        page = _get_json(f"{GCP_URL}?{urllib.parse.urlencode({'key': key, 'pageToken': token, 'pageSize': 5000})}")
        skus += page.get("skus", [])
        token = page.get("nextPageToken", "")
        if not token:
            return skus


def _price(value: float | None, source: str, date: str, **extra: Any) -> dict[str, Any]:
    if value is None:
        return {"usdPerHour": UNKNOWN, "source": source, "date": date, **extra, "note": "the source has no price"}
    return {"usdPerHour": value, "source": source, "date": date, **extra}


def replace_rows(
    document: dict[str, Any], cloud: Cloud, region: str, types: Iterable[str], on_demand: Read, spot: Read | None
) -> None:
    """Write `cloud`'s rows for `region`, keeping every other row; a type either read does not price is unknown."""
    old = {(r["cloud"], r["region"], r["instanceType"]): r for r in document["instances"]}
    for name in types:
        previous = old.get((cloud.value, region, name))
        row = {
            "cloud": cloud.value,
            "region": region,
            "instanceType": name,
            "onDemand": _price(on_demand.prices.get(name), on_demand.source, on_demand.date),
            "spot": (
                _price(spot.prices.get(name), spot.source, spot.date, snapshot=True)
                if spot is not None
                else (previous or {}).get("spot") or _price(None, "not read", on_demand.date, snapshot=True)
            ),
        }
        old[(cloud.value, region, name)] = row
    document["instances"] = list(old.values())


def replace_fixed(
    document: dict[str, Any], cloud: Cloud, region: str, item: str, usd: float | None, source: str, date: str
) -> None:
    """Set the price of an existing fixed row (its unit and rule stay); unknown when the source has none."""
    for row in document["fixed"]:
        if (row["cloud"], row["region"], row["item"]) == (cloud.value, region, item):
            row.update({"usd": UNKNOWN if usd is None else usd, "source": source, "date": date})


def main(argv: list[str] | None = None) -> int:
    from stacks.cost import default_system_instance_type

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--aws", type=Path, nargs="*", default=[], help="AWS price list files (see above)")
    parser.add_argument("--aws-spot", type=Path, help="describe-spot-price-history output")
    parser.add_argument("--azure", action="store_true", help="read the Azure Retail Prices API")
    parser.add_argument("--gcp-key", help="an API key for the Cloud Billing Catalog API")
    parser.add_argument("--out", type=Path, default=CATALOGUE)
    parser.add_argument(
        "--region",
        action="append",
        default=[],
        help="a region to read besides the example stacks' (repeat; any the regions catalogue accepts, or 'all')",
    )
    options = parser.parse_args(argv)
    if not (options.aws or options.azure or options.gcp_key):
        parser.error("nothing to read: give --aws, --azure or --gcp-key")
    document = json.loads(options.out.read_text())
    today = datetime.date.today().isoformat()
    regions = example_regions()
    for cloud, extra in requested_regions(options.region).items():
        regions.setdefault(cloud, set()).update(extra)

    def types(cloud: Cloud) -> list[str]:
        return [default_system_instance_type(cloud), *(i.name for i in INSTANCES[cloud])]

    for region in regions.get(Cloud.AWS, set()):
        if options.aws:
            prices: dict[str, float] = {}
            date = today
            for path in options.aws:
                offer = json.loads(path.read_text())
                prices |= aws_on_demand(offer, region, types(Cloud.AWS))
                date = str(offer.get("publicationDate", today))[:10]
            spot = None
            if options.aws_spot:
                history = json.loads(options.aws_spot.read_text())
                spot = Read(aws_spot(history, types(Cloud.AWS)), "EC2 DescribeSpotPriceHistory", today)
            read = Read(prices, AWS_OFFER_URL.format(region=region), date)
            replace_rows(document, Cloud.AWS, region, types(Cloud.AWS), read, spot)
    if options.azure:
        for region in regions.get(Cloud.AZURE, set()):
            source = f"{AZURE_URL}?$filter={azure_filter(region)}"
            on_demand, spot_prices = azure_prices(fetch_azure(azure_filter(region)), types(Cloud.AZURE))
            replace_rows(
                document,
                Cloud.AZURE,
                region,
                types(Cloud.AZURE),
                Read(on_demand, source, today),
                Read(spot_prices, source, today),
            )
            tier = azure_aks_standard_tier(fetch_azure(azure_aks_filter(region)))
            replace_fixed(document, Cloud.AZURE, region, "aks-standard-tier", tier, AZURE_URL, today)
    if options.gcp_key:
        skus = fetch_gcp(options.gcp_key)
        for region in regions.get(Cloud.GCP, set()):
            unit, spot_unit = gcp_sku_prices(skus, region)
            machines = gcp_machines([default_system_instance_type(Cloud.GCP)])
            replace_rows(
                document,
                Cloud.GCP,
                region,
                types(Cloud.GCP),
                Read(gcp_machine_prices(unit, machines), GCP_URL, today),
                Read(gcp_machine_prices(spot_unit, machines), GCP_URL, today),
            )
    document["assembled"] = today
    options.out.write_text(json.dumps(document, indent=2) + "\n")
    print(f"Wrote {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
