"""The stage's tier list reaches every function, the same for all; a list that cannot work fails
before any synth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from earnloop.contexts import all_functions
from earnloop.platform.settings import Settings

from infra.config import ConfigError, StageConfig
from tests.infra.conftest import DEV_CONTEXT, PROD_CONTEXT


def _config(**overrides: Any) -> StageConfig:
    values = {**PROD_CONTEXT, **overrides}
    return StageConfig.from_context(lambda key: {"stage": "prod", **values}.get(key), Path("layer"))


def test_every_function_gets_the_stages_tiers_and_reads_them_as_given(dev_synth, synth) -> None:
    for spec in all_functions():
        variables = dev_synth.props(dev_synth.function(spec.name))["Environment"]["Variables"]
        assert variables["EARNLOOP_TIERS"] == DEV_CONTEXT["tiers"], spec.name
        # Without the key a stage runs on the settings' defaults.
        assert "EARNLOOP_TIERS" not in synth.props(synth.function(spec.name))["Environment"]["Variables"]
    tiers = Settings.model_validate({"tiers": json.loads(DEV_CONTEXT["tiers"])}).tiers
    assert [(t.name, t.threshold, str(t.multiplier)) for t in tiers] == [
        ("member", 0, "1"),
        ("vip", 800, "1.3"),
    ]


def test_tiers_from_cdk_json_may_be_a_list() -> None:
    config = _config(tiers=[{"name": "bronze", "threshold": 0, "multiplier": 1}])
    assert json.loads(config.tiers or "") == [{"name": "bronze", "threshold": 0, "multiplier": 1}]


@pytest.mark.parametrize(
    "tiers",
    [
        "gold",
        '[{"name": "silver", "threshold": 100, "multiplier": 1.2}]',
        '[{"name": "a", "threshold": 0, "multiplier": 1.5}, {"name": "b", "threshold": 10, "multiplier": 1}]',
        '[{"name": "a", "threshold": 0, "multiplier": 20}]',
    ],
)
def test_a_tier_list_that_cannot_work_fails_before_any_synth(tiers: str) -> None:
    with pytest.raises(ConfigError, match="is not a tier list"):
        _config(tiers=tiers)
