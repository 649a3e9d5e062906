"""tools/prices.py reads the clouds' price files; small fixtures in the shapes the clouds publish."""

from __future__ import annotations

import json
from typing import Any

from components.catalog.gpus import GpuType
from components.catalog.instances import Cloud
from tools.prices import (
    GcpMachine,
    Read,
    aws_on_demand,
    aws_spot,
    azure_aks_standard_tier,
    azure_filter,
    azure_prices,
    gcp_machine_prices,
    gcp_sku_prices,
    replace_fixed,
    replace_rows,
)

LINUX = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used"}


def product(sku: str, instance_type: str, **attributes: str) -> dict[str, Any]:
    return {
        "sku": sku,
        "productFamily": "Compute Instance",
        "attributes": {"regionCode": "us-east-1", "instanceType": instance_type, **LINUX, **attributes},
    }


def on_demand(sku: str, usd: str) -> dict[str, Any]:
    return {
        f"{sku}.JRTCKXETXF": {
            "offerTermCode": "JRTCKXETXF",
            "sku": sku,
            "priceDimensions": {
                f"{sku}.JRTCKXETXF.6YS6EN2CT7": {"unit": "Hrs", "pricePerUnit": {"USD": usd}, "appliesTo": []}
            },
        }
    }


# The bulk offer file: products by SKU, then terms by type and SKU (offers/v1.0/aws/AmazonEC2/current/...).
OFFER = {
    "formatVersion": "v1.0",
    "offerCode": "AmazonEC2",
    "publicationDate": "2026-11-20T18:03:07Z",
    "products": {
        "AAAA": product("AAAA", "g6.2xlarge"),
        "BBBB": product("BBBB", "g6.2xlarge", operatingSystem="Windows"),
        "CCCC": product("CCCC", "g6.2xlarge", tenancy="Dedicated"),
        "DDDD": product("DDDD", "g6.2xlarge", capacitystatus="AllocatedCapacityReservation"),
        "EEEE": product("EEEE", "g6.2xlarge", regionCode="us-east-2"),
        "FFFF": product("FFFF", "m7i.large"),
        "GGGG": {"sku": "GGGG", "productFamily": "Storage", "attributes": {"volumeApiName": "gp3"}},
    },
    "terms": {
        "OnDemand": {
            "AAAA": on_demand("AAAA", "0.9776000000"),
            "BBBB": on_demand("BBBB", "1.1616000000"),
            "CCCC": on_demand("CCCC", "1.0753600000"),
            "DDDD": on_demand("DDDD", "0.0000000000"),
            "EEEE": on_demand("EEEE", "0.9776000000"),
            "FFFF": on_demand("FFFF", "0.1008000000"),
        },
        "Reserved": {"AAAA": {"AAAA.4NA2Y494T4": {"priceDimensions": {}}}},
    },
}


def test_aws_on_demand_reads_linux_shared_used_capacity_of_the_region_only() -> None:
    assert aws_on_demand(OFFER, "us-east-1", ["g6.2xlarge", "m7i.large", "p5.48xlarge"]) == {
        "g6.2xlarge": 0.9776,
        "m7i.large": 0.1008,
    }


def test_aws_on_demand_reads_the_price_list_query_api_answer_too() -> None:
    # GetProducts returns each product with its terms as a JSON string.
    item = {"product": product("AAAA", "g6.2xlarge"), "terms": {"OnDemand": on_demand("AAAA", "0.9776000000")}}
    answer = {"FormatVersion": "aws_v1", "PriceList": [json.dumps(item)]}
    assert aws_on_demand(answer, "us-east-1", ["g6.2xlarge"]) == {"g6.2xlarge": 0.9776}


def test_aws_spot_takes_each_zones_latest_price_and_the_dearest_zone() -> None:
    def entry(zone: str, price: str, at: str, instance_type: str = "g6.2xlarge") -> dict[str, str]:
        return {
            "AvailabilityZone": zone,
            "InstanceType": instance_type,
            "ProductDescription": "Linux/UNIX",
            "SpotPrice": price,
            "Timestamp": at,
        }

    history = {
        "SpotPriceHistory": [
            entry("us-east-1a", "0.5000", "2026-11-30T10:00:00+00:00"),
            entry("us-east-1a", "0.3100", "2026-12-01T09:00:00+00:00"),
            entry("us-east-1b", "0.3400", "2026-12-01T08:00:00+00:00"),
            {**entry("us-east-1b", "0.9000", "2026-12-01T09:30:00+00:00"), "ProductDescription": "Windows"},
            entry("us-east-1a", "0.0400", "2026-12-01T09:00:00+00:00", "m7i.large"),
        ]
    }
    assert aws_spot(history, ["g6.2xlarge"]) == {"g6.2xlarge": 0.34}


def azure_item(sku: str, price: float, *, sku_name: str, product: str, meter: str, kind: str = "Consumption") -> dict:
    # An item of the Retail Prices API's `Items` (learn.microsoft.com, "Azure Retail Prices REST API").
    return {
        "currencyCode": "USD",
        "retailPrice": price,
        "unitPrice": price,
        "armRegionName": "eastus2",
        "location": "US East 2",
        "effectiveStartDate": "2026-06-01T00:00:00Z",
        "meterName": meter,
        "productName": product,
        "skuName": sku_name,
        "serviceName": "Virtual Machines",
        "unitOfMeasure": "1 Hour",
        "type": kind,
        "armSkuName": sku,
    }


def test_azure_reads_linux_on_demand_and_spot_and_skips_windows_low_priority_and_dev_test() -> None:
    series = "Virtual Machines NCads A100 v4 Series"
    items = [
        azure_item(
            "Standard_NC24ads_A100_v4", 3.673, sku_name="NC24ads A100 v4", product=series, meter="NC24ads A100 v4"
        ),
        azure_item(
            "Standard_NC24ads_A100_v4",
            0.98,
            sku_name="NC24ads A100 v4 Spot",
            product=series,
            meter="NC24ads A100 v4 Spot",
        ),
        azure_item(
            "Standard_NC24ads_A100_v4",
            4.8,
            sku_name="NC24ads A100 v4",
            product=f"{series} Windows",
            meter="NC24ads A100 v4",
        ),
        azure_item(
            "Standard_NC24ads_A100_v4",
            0.7,
            sku_name="NC24ads A100 v4 Low Priority",
            product=series,
            meter="NC24ads A100 v4 Low Priority",
        ),
        azure_item(
            "Standard_NC24ads_A100_v4",
            2.0,
            sku_name="NC24ads A100 v4",
            product=series,
            meter="NC24ads A100 v4",
            kind="DevTestConsumption",
        ),
    ]
    assert azure_prices(items, ["Standard_NC24ads_A100_v4"]) == (
        {"Standard_NC24ads_A100_v4": 3.673},
        {"Standard_NC24ads_A100_v4": 0.98},
    )


def test_aks_standard_tier_is_the_standard_uptime_sla_meter() -> None:
    # Retail Prices API items of serviceName 'Azure Kubernetes Service' (Infracost reads the same meter name).
    items = [
        {"meterName": "Standard Long Term Support", "unitOfMeasure": "1 Hour", "retailPrice": 0.6},
        {"meterName": "Standard Uptime SLA", "unitOfMeasure": "1 Hour", "retailPrice": 0.1},
    ]
    assert azure_aks_standard_tier(items) == 0.1
    assert azure_aks_standard_tier(items[:1]) is None


def test_a_fixed_row_read_from_a_price_file_keeps_its_unit_and_rule() -> None:
    row = {"cloud": "azure", "region": "eastus2", "item": "aks-standard-tier", "unit": "hour", "usd": 0.1}
    document = {"fixed": [{**row, "source": "old", "date": "2020-01-01", "rule": "per cluster"}]}
    replace_fixed(document, Cloud.AZURE, "eastus2", "aks-standard-tier", 0.12, "https://prices.azure.com", "2026-12-07")
    assert document["fixed"] == [
        {**row, "usd": 0.12, "source": "https://prices.azure.com", "date": "2026-12-07", "rule": "per cluster"}
    ]


def test_the_azure_filter_asks_for_the_regions_pay_as_you_go_virtual_machines() -> None:
    assert azure_filter("eastus2") == (
        "serviceName eq 'Virtual Machines' and armRegionName eq 'eastus2' and priceType eq 'Consumption'"
    )


def gcp_sku(description: str, nanos: int, usage: str = "OnDemand", regions: tuple[str, ...] = ("us-central1",)) -> dict:
    # A SKU of the Cloud Billing Catalog API (services/6F81-5844-456A/skus).
    return {
        "name": "services/6F81-5844-456A/skus/0000-0000-0000",
        "skuId": "0000-0000-0000",
        "description": description,
        "category": {
            "serviceDisplayName": "Compute Engine",
            "resourceFamily": "Compute",
            "resourceGroup": "CPU",
            "usageType": usage,
        },
        "serviceRegions": list(regions),
        "pricingInfo": [
            {
                "pricingExpression": {
                    "usageUnit": "h",
                    "tieredRates": [
                        {"startUsageAmount": 0, "unitPrice": {"currencyCode": "USD", "units": "0", "nanos": nanos}}
                    ],
                },
                "effectiveTime": "2026-11-01T00:00:00Z",
            }
        ],
    }


SKUS = [
    gcp_sku("G2 Instance Core running in Americas", 24_988_000),
    gcp_sku("G2 Instance Ram running in Americas", 2_928_000),
    gcp_sku("Nvidia L4 GPU running in Americas", 560_040_000),
    gcp_sku("Spot Preemptible G2 Instance Core running in Americas", 9_996_000, "Preemptible"),
    gcp_sku("Spot Preemptible G2 Instance Ram running in Americas", 1_171_000, "Preemptible"),
    gcp_sku("Nvidia L4 GPU attached to Spot Preemptible VMs running in Americas", 223_100_000, "Preemptible"),
    gcp_sku("Commitment v1: G2 Cpu in Americas for 1 Year", 15_000_000, "Commit1Yr"),
    gcp_sku("Nvidia L4 GPU running in Netherlands", 588_040_000, regions=("europe-west4",)),
]


def test_gcp_unit_prices_are_keyed_by_sku_without_location_and_spot_apart() -> None:
    on_demand, spot = gcp_sku_prices(SKUS, "us-central1")
    assert on_demand == {"G2 Instance Core": 0.024988, "G2 Instance Ram": 0.002928, "Nvidia L4 GPU": 0.56004}
    assert spot == {"G2 Instance Core": 0.009996, "G2 Instance Ram": 0.001171, "Nvidia L4 GPU": 0.2231}


def test_a_gcp_machine_costs_its_cores_its_memory_and_its_gpus() -> None:
    on_demand, _ = gcp_sku_prices(SKUS, "us-central1")
    machines = [
        GcpMachine("g2-standard-8", 8, 32, GpuType.L4, 1),
        GcpMachine("g2-standard-24", 24, 96, GpuType.L4, 2),
        GcpMachine("a3-highgpu-8g", 208, 1872, GpuType.H100, 8),
    ]
    assert gcp_machine_prices(on_demand, machines) == {
        "g2-standard-8": round(8 * 0.024988 + 32 * 0.002928 + 0.56004, 6),
        "g2-standard-24": round(24 * 0.024988 + 96 * 0.002928 + 2 * 0.56004, 6),
    }


def test_rewriting_a_cloud_keeps_the_others_and_marks_what_the_file_lacks_unknown() -> None:
    document: dict[str, Any] = {
        "instances": [
            {"cloud": "gcp", "region": "us-central1", "instanceType": "g2-standard-8", "onDemand": {}, "spot": {}},
            {"cloud": "aws", "region": "us-east-1", "instanceType": "g6.2xlarge", "onDemand": {}, "spot": {}},
        ]
    }
    read = Read({"g6.2xlarge": 0.9776}, "https://pricing.example/index.json", "2026-11-20")
    replace_rows(document, Cloud.AWS, "us-east-1", ["g6.2xlarge", "p5e.48xlarge"], read, None)
    rows = {row["instanceType"]: row for row in document["instances"]}
    assert rows["g2-standard-8"]["cloud"] == "gcp"
    assert rows["g6.2xlarge"]["onDemand"] == {
        "usdPerHour": 0.9776,
        "source": "https://pricing.example/index.json",
        "date": "2026-11-20",
    }
    assert rows["p5e.48xlarge"]["onDemand"] == {
        "usdPerHour": "unknown",
        "source": "https://pricing.example/index.json",
        "date": "2026-11-20",
        "note": "the source has no price",
    }
    assert rows["p5e.48xlarge"]["spot"]["snapshot"] is True
