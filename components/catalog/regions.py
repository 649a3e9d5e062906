"""Each cloud's public regions: what `region` may name on a cloud target. Data, not logic.

Public commercial regions only. Left out, because the stack's providers, endpoints and GPU catalogue are those of
the public clouds: AWS's other partitions (China `aws-cn`, GovCloud `aws-us-gov`, the ISO partitions, the European
Sovereign Cloud `aws-eusc`), Azure's sovereign clouds (Azure China, Azure Government and DoD, the closed Azure
Germany regions) and its canary/EUAP regions, and Google's sovereign partner clouds. A region newer than these lists
is refused until it is added here (with its source).

Sources, read 2026-12-01:
- aws: botocore `botocore/data/partitions.json` (partition `aws`, its `regions` less the `aws-global`
  pseudo-region), boto/botocore@c870f2c199fe36e2bed3afa8f8b5282a739cb711.
- gcp: Google Cloud "Regions and zones" (cloud.google.com/compute/docs/regions-zones) and "Cloud locations";
  zones are `<region>-<letter>` (the same pages: "us-central1-a").
- azure: the public cloud locations of Azure.Core's `AzureLocation` (sdk/core/Azure.Core/src/AzureLocation.cs),
  Azure/azure-sdk-for-net@8802eec94a69e64277f74439f3e1c351a6f22d60, less its China, US Gov/DoD and
  Germany Central/Northeast entries (sovereign clouds).
"""

from __future__ import annotations

from components.catalog.instances import Cloud

REGIONS: dict[Cloud, frozenset[str]] = {
    Cloud.AWS: frozenset(
        {
            "af-south-1",
            "ap-east-1",
            "ap-east-2",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-northeast-3",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-3",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-6",
            "ap-southeast-7",
            "ca-central-1",
            "ca-west-1",
            "eu-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "il-central-1",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
            "us-east-1",
            "us-east-2",
            "us-west-1",
            "us-west-2",
        }
    ),
    Cloud.GCP: frozenset(
        {
            "africa-south1",
            "asia-east1",
            "asia-east2",
            "asia-northeast1",
            "asia-northeast2",
            "asia-northeast3",
            "asia-south1",
            "asia-south2",
            "asia-southeast1",
            "asia-southeast2",
            "australia-southeast1",
            "australia-southeast2",
            "europe-central2",
            "europe-north1",
            "europe-north2",
            "europe-southwest1",
            "europe-west1",
            "europe-west10",
            "europe-west12",
            "europe-west2",
            "europe-west3",
            "europe-west4",
            "europe-west6",
            "europe-west8",
            "europe-west9",
            "me-central1",
            "me-central2",
            "me-west1",
            "northamerica-northeast1",
            "northamerica-northeast2",
            "northamerica-south1",
            "southamerica-east1",
            "southamerica-west1",
            "us-central1",
            "us-east1",
            "us-east4",
            "us-east5",
            "us-south1",
            "us-west1",
            "us-west2",
            "us-west3",
            "us-west4",
        }
    ),
    Cloud.AZURE: frozenset(
        {
            "australiacentral",
            "australiacentral2",
            "australiaeast",
            "australiasoutheast",
            "brazilsouth",
            "brazilsoutheast",
            "canadacentral",
            "canadaeast",
            "centralindia",
            "centralus",
            "eastasia",
            "eastus",
            "eastus2",
            "francecentral",
            "francesouth",
            "germanynorth",
            "germanywestcentral",
            "israelcentral",
            "italynorth",
            "japaneast",
            "japanwest",
            "koreacentral",
            "koreasouth",
            "mexicocentral",
            "northcentralus",
            "northeurope",
            "norwayeast",
            "norwaywest",
            "polandcentral",
            "qatarcentral",
            "southafricanorth",
            "southafricawest",
            "southcentralus",
            "southeastasia",
            "southindia",
            "spaincentral",
            "swedencentral",
            "swedensouth",
            "switzerlandnorth",
            "switzerlandwest",
            "uaecentral",
            "uaenorth",
            "uksouth",
            "ukwest",
            "westcentralus",
            "westeurope",
            "westindia",
            "westus",
            "westus2",
            "westus3",
        }
    ),
}
"""Public regions per cloud, by the name the cloud's API takes."""
