"""CloudFormation's per-template limits, on every template of the assembly (the parent and each
context's nested stack), with headroom: a context that grows too big fails here, at synth, not in
the middle of a deploy."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

# CloudFormation quotas per template (a template passed by S3 URL, as CDK passes every one).
LIMITS = {"Resources": 500, "Parameters": 200, "Outputs": 200, "bytes": 1_000_000}
# Fail well before the quota: a context must have room for its next few functions.
HEADROOM = 0.8


def counts(template: dict) -> dict[str, int]:
    return {
        "Resources": len(template.get("Resources", {})),
        "Parameters": len(template.get("Parameters", {})),
        "Outputs": len(template.get("Outputs", {})),
        "bytes": len(json.dumps(template, indent=1)),
    }


def over_limits(templates: dict[str, dict[str, int]]) -> list[str]:
    """One line per template and quota it comes too close to, saying what to do."""
    return [
        f"{file}: {number} {kind} (CloudFormation allows {limit}, this suite {int(limit * HEADROOM)}); "
        "split the context's functions over a second nested stack (infra/context_stack.py) or move "
        "per-function resources out of it"
        for file, found in templates.items()
        for kind, limit in LIMITS.items()
        if (number := found[kind]) >= limit * HEADROOM
    ]


def test_every_template_stays_well_under_cloudformations_limits(synth: Synthesized) -> None:
    # The counts are printed in the terminal summary (tests/infra/conftest.py).
    found = {file: counts(template) for file, template in synth.templates.items()}

    assert over_limits(found) == []
    # Every context has a stack of its own, beside the parent.
    assert len(found) == len(synth.stack.contexts) + 1


def test_a_context_grown_past_the_headroom_is_named_with_what_to_do() -> None:
    grown = {"earnloopprodContent.nested.template.json": {**counts({}), "Resources": 412}}

    (message,) = over_limits(grown)
    assert message.startswith("earnloopprodContent.nested.template.json: 412 Resources")
    assert "allows 500, this suite 400" in message and "second nested stack" in message
    assert over_limits({"small": counts({})}) == []
