"""The stage's moderation provider reaches the functions that moderate, with the rights it needs:
Rekognition only where a stage chooses `aws`, and only for the functions that declare `moderation()`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from earnloop.contexts import all_functions

from infra.config import ConfigError, StageConfig
from tests.infra.conftest import PROD_CONTEXT

REKOGNITION = ("rekognition:DetectModerationLabels", "*")
MODERATORS = {spec.name for spec in all_functions() if any(g.kind == "moderation" for g in spec.grants)}


def _config(**overrides: Any) -> StageConfig:
    values = {**PROD_CONTEXT, **overrides}
    return StageConfig.from_context(lambda key: {"stage": "prod", **values}.get(key), Path("layer"))


def test_the_functions_that_moderate_posts_and_media_declare_it() -> None:
    assert {"media_process", "posts_create", "comments_create"} <= MODERATORS


def test_prod_moderates_with_wechat_and_no_role_may_call_rekognition(synth) -> None:
    for spec in all_functions():
        assert REKOGNITION not in synth.permissions(spec.name), spec.name
        variables = synth.props(synth.function(spec.name))["Environment"]["Variables"]
        assert variables["EARNLOOP_MODERATION_PROVIDER"] == "wechat", spec.name
        assert "EARNLOOP_REKOGNITION_REGION" not in variables


def test_a_stage_choosing_aws_lets_exactly_the_moderating_functions_call_rekognition(dev_synth) -> None:
    allowed = {spec.name for spec in all_functions() if REKOGNITION in dev_synth.permissions(spec.name)}
    assert allowed == MODERATORS
    variables = dev_synth.props(dev_synth.function("media_process"))["Environment"]["Variables"]
    assert variables["EARNLOOP_MODERATION_PROVIDER"] == "aws"
    assert variables["EARNLOOP_REKOGNITION_REGION"] == "ap-southeast-1"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"moderation_provider": "local"}, "make dev only"),
        ({"moderation_provider": "azure"}, "must be one of"),
        ({"moderation_provider": "aws", "rekognition_region": "Singapore"}, "not a region name"),
        ({"rekognition_region": "ap-southeast-1"}, "for moderation_provider=aws"),
    ],
)
def test_a_moderation_choice_that_cannot_work_fails_before_any_synth(overrides, message) -> None:
    with pytest.raises(ConfigError, match=message):
        _config(**overrides)


def test_aws_moderation_may_name_a_region_that_offers_rekognition() -> None:
    config = _config(moderation_provider="aws", rekognition_region="ap-southeast-1")
    assert (config.moderation_provider, config.rekognition_region) == ("aws", "ap-southeast-1")
