"""Entry point: read the stack's configuration once, then build what its target needs."""

import pulumi

import stacks
from stacks.config import load_config

for key, value in stacks.build(load_config()).items():
    pulumi.export(key, value)
