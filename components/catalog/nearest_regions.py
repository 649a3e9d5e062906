"""For a region of one cloud, the nearest region of each other cloud: data, not logic.

Used when a stack moves to another cloud (tools/translate.py) and no region is given. Each row is one metro area
with each cloud's region there or, where a cloud has none, its nearest by great-circle distance between the cities
the clouds name. Sources, read 2026-12-07: AWS "Regions and Availability Zones" (docs.aws.amazon.com/global-
infrastructure, the region's location: US East (N. Virginia), US East (Ohio), ...); Google Cloud "Regions and zones"
(cloud.google.com/compute/docs/regions-zones, the Location column: us-east4 Ashburn, Northern Virginia; us-central1
Council Bluffs, Iowa; ...); Azure "Azure geographies" (azure.microsoft.com/explore/global-infrastructure/geographies,
the region's state or city: East US and East US 2 Virginia, Central US Iowa, ...). A region no row names has no
default: the translation asks for REGION.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.instances import Cloud


@dataclass(frozen=True)
class Metro:
    where: str
    aws: str
    gcp: str
    azure: str

    def region(self, cloud: Cloud) -> str:
        return {Cloud.AWS: self.aws, Cloud.GCP: self.gcp, Cloud.AZURE: self.azure}[cloud]


# A region's own metro comes before any row that names it only as the nearest; the first row naming a region wins.
METROS: tuple[Metro, ...] = (
    # Azure's East US and East US 2 are both in Virginia: eastus2 is the one prices.json prices.
    Metro("Northern Virginia", aws="us-east-1", gcp="us-east4", azure="eastus2"),
    Metro("Northern Virginia (East US)", aws="us-east-1", gcp="us-east4", azure="eastus"),
    Metro("Ohio", aws="us-east-2", gcp="us-east5", azure="eastus2"),
    Metro("Iowa", aws="us-east-2", gcp="us-central1", azure="centralus"),
    Metro("South Carolina", aws="us-east-1", gcp="us-east1", azure="eastus2"),
    Metro("Texas", aws="us-east-2", gcp="us-south1", azure="southcentralus"),
    Metro("Oregon / Washington", aws="us-west-2", gcp="us-west1", azure="westus2"),
    Metro("California", aws="us-west-1", gcp="us-west2", azure="westus"),
    Metro("Montreal / Quebec", aws="ca-central-1", gcp="northamerica-northeast1", azure="canadaeast"),
    Metro("Toronto", aws="ca-central-1", gcp="northamerica-northeast2", azure="canadacentral"),
    Metro("Sao Paulo", aws="sa-east-1", gcp="southamerica-east1", azure="brazilsouth"),
    Metro("Ireland", aws="eu-west-1", gcp="europe-west2", azure="northeurope"),
    Metro("London", aws="eu-west-2", gcp="europe-west2", azure="uksouth"),
    Metro("Frankfurt", aws="eu-central-1", gcp="europe-west3", azure="germanywestcentral"),
    Metro("Netherlands", aws="eu-central-1", gcp="europe-west4", azure="westeurope"),
    Metro("Belgium", aws="eu-west-3", gcp="europe-west1", azure="westeurope"),
    Metro("Paris", aws="eu-west-3", gcp="europe-west9", azure="francecentral"),
    Metro("Stockholm / Finland", aws="eu-north-1", gcp="europe-north1", azure="swedencentral"),
    Metro("Zurich", aws="eu-central-2", gcp="europe-west6", azure="switzerlandnorth"),
    Metro("Milan", aws="eu-south-1", gcp="europe-west8", azure="italynorth"),
    Metro("Madrid", aws="eu-south-2", gcp="europe-southwest1", azure="spaincentral"),
    Metro("Mumbai / Pune", aws="ap-south-1", gcp="asia-south1", azure="centralindia"),
    Metro("Singapore", aws="ap-southeast-1", gcp="asia-southeast1", azure="southeastasia"),
    Metro("Tokyo", aws="ap-northeast-1", gcp="asia-northeast1", azure="japaneast"),
    Metro("Osaka", aws="ap-northeast-3", gcp="asia-northeast2", azure="japanwest"),
    Metro("Seoul", aws="ap-northeast-2", gcp="asia-northeast3", azure="koreacentral"),
    Metro("Sydney", aws="ap-southeast-2", gcp="australia-southeast1", azure="australiaeast"),
)


def metro_of(cloud: Cloud, region: str) -> Metro | None:
    """The first row naming `region` of `cloud`: its other columns are the default regions elsewhere; None if none."""
    return next((metro for metro in METROS if metro.region(cloud) == region), None)
