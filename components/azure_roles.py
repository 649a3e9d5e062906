"""Azure built-in roles as role assignments name them: the definition's id in the subscription."""

from __future__ import annotations

import pulumi


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """A built-in role's definition id in the subscription (`role`: the role's GUID)."""
    return pulumi.Output.concat(
        "/subscriptions/", subscription_id, "/providers/Microsoft.Authorization/roleDefinitions/", role
    )
