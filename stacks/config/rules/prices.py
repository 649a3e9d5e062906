"""`priceOverrides`: prices the stack gives for machine types (`onDemand`, `spot`) and the catalogue's fixed items
(`usd`). Each entry must name something the cost counts and set a price of the right kind for it; a misspelt
machine type would otherwise override nothing and leave the price unknown."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping

from components.catalog.instances import INSTANCES
from components.catalog.prices import catalogue
from stacks.config.messages import key_path
from stacks.config.rules import Finding
from stacks.config.schema import PriceOverride


def fixed_items() -> set[str]:
    """Every fixed item the catalogue prices (`eks-control-plane`, `filestore-basic-hdd`, ...)."""
    return {item for _, _, item in catalogue().fixed}


def price_override_findings(overrides: Mapping[str, PriceOverride], stack_machines: Iterable[str]) -> list[Finding]:
    """`stack_machines`: machine types the stack names itself (systemInstanceType, a pool's instanceType)."""
    items = fixed_items()
    machines = {i.name for rows in INSTANCES.values() for i in rows} | {t for _, _, t in catalogue().instances}
    machines |= set(stack_machines)
    findings = []
    for name, override in overrides.items():
        path = key_path(("priceOverrides", name))
        machine_prices = override.on_demand is not None or override.spot is not None
        if name in items:
            if machine_prices or override.usd is None:
                findings.append(Finding(path, f"{name!r} is a fixed item of the catalogue: give its price as `usd`"))
        elif name in machines:
            if override.usd is not None or not machine_prices:
                findings.append(
                    Finding(path, f"{name!r} is a machine type: give its price as `onDemand` and/or `spot` (USD/h)")
                )
        else:
            close = difflib.get_close_matches(name, sorted(items | machines), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "use a machine type of the catalogue or a fixed item"
            findings.append(
                Finding(path, f"{name!r} is neither a machine type nor a fixed item the cost counts; {hint}")
            )
    return findings
