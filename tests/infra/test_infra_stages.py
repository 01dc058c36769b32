"""What a first production deploy needs: stage configuration that refuses to be incomplete, domains,
removal policies that survive a rolled-back create, secrets a deploy never overwrites, SnapStart on
and off, reserved concurrency, log retention, alarms on what users feel and a dashboard."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from earnloop.contexts import all_functions, queue, secrets

from infra.app import create_app
from infra.config import SNAPSTART_REGIONS, ConfigError, StageConfig
from infra.functions import STREAM_RESERVED_CONCURRENCY
from infra.secrets import GENERATED_ONCE, SecretDefinitionChangedError, generator

pytestmark = pytest.mark.infra

SPECS = all_functions()
HTTP = [spec for spec in SPECS if spec.kind == "http"]
CERTIFICATE = "arn:aws:acm:ap-east-1:123456789012:certificate/0f0e0d0c-aaaa-bbbb-cccc-123456789012"
PROD = {
    "code_domain": "q.example.cn",
    "api_domain": "api.example.cn",
    "certificate_arn": CERTIFICATE,
    "alarm_email": "ops@example.com",
}


def _config(stage: str = "prod", **overrides: Any) -> StageConfig:
    values = {**PROD, **overrides}
    return StageConfig.from_context(lambda key: {"stage": stage, **values}.get(key), Path("layer"))


# --- stage configuration -------------------------------------------------------------------------


def test_a_stage_without_a_code_domain_refuses_to_synthesize(tmp_path) -> None:
    with pytest.raises(ConfigError, match="code_domain is required"):
        create_app({"stage": "dev", "deps_layer": str(tmp_path)}, outdir=str(tmp_path / "out"))


@pytest.mark.parametrize("missing", ["api_domain", "certificate_arn"])
def test_outside_dev_a_stage_without_its_https_domain_refuses_to_synthesize(missing) -> None:
    with pytest.raises(ConfigError, match="WeChat must whitelist"):
        _config("prod", **{missing: None})


def test_outside_dev_a_stage_without_an_alarm_destination_refuses_to_synthesize() -> None:
    with pytest.raises(ConfigError, match="alarm destination"):
        _config("staging", alarm_email=None)

    assert _config("staging", alarm_email=None, alarm_topic_arn="arn:aws:sns:ap-east-1:123456789012:ops")
    assert _config("dev", api_domain=None, certificate_arn=None, alarm_email=None)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("code_domain", "https://q.example.cn"),
        ("code_domain", "Q.Example.CN"),
        ("code_domain", "localhost"),
        ("code_domain", "a" * 52 + ".cn"),
        ("certificate_arn", "arn:aws:iam::123456789012:role/x"),
        ("alarm_topic_arn", "ops"),
        ("snapstart", "maybe"),
    ],
)
def test_a_malformed_context_value_is_refused_by_name(key, value) -> None:
    with pytest.raises(ConfigError, match=key):
        _config("prod", **{key: value})


@pytest.mark.parametrize("stage", ["local", "Prod", "x", "prod_1", "a-very-long-stage-name"])
def test_a_stage_that_cannot_be_deployed_is_refused(stage) -> None:
    with pytest.raises(ValueError, match="stage"):
        _config(stage)


def test_only_the_dev_stage_may_lose_its_data() -> None:
    assert not _config("dev").protect_data
    assert _config("prod").protect_data
    assert _config("staging").protect_data


# --- domains ---------------------------------------------------------------------------------------


def test_the_api_and_code_domains_are_mapped_to_the_api_and_output_for_wechat(synth) -> None:
    (api_id,) = synth.of_type("AWS::ApiGatewayV2::Api")
    (stage_id,) = synth.of_type("AWS::ApiGatewayV2::Stage")
    domains = {
        props["Properties"]["DomainName"]: key
        for key, props in synth.of_type("AWS::ApiGatewayV2::DomainName").items()
    }
    mapping_resources = synth.of_type("AWS::ApiGatewayV2::ApiMapping").values()
    mappings = [m["Properties"] for m in mapping_resources]
    outputs = synth.template["Outputs"]

    assert set(domains) == {"api.example.cn", "q.example.cn"}
    for key in domains.values():
        (configuration,) = synth.props(key)["DomainNameConfigurations"]
        assert configuration["CertificateArn"] == CERTIFICATE
        assert configuration["EndpointType"] == "REGIONAL"
        assert configuration["SecurityPolicy"] == "TLS_1_2"
    assert sorted(m["DomainName"]["Ref"] for m in mappings) == sorted(domains.values())
    for mapping in mappings:
        assert mapping["ApiId"] == {"Ref": api_id}
        assert mapping["Stage"] == "$default"
        # At the root: the code domain serves /q/<code> and the verification file there.
        assert "ApiMappingKey" not in mapping
    assert all(stage_id in m["DependsOn"] for m in mapping_resources)
    assert outputs["WeChatRequestDomain"]["Value"] == "https://api.example.cn"
    assert outputs["QrCodePrefix"]["Value"] == "https://q.example.cn/q/"
    assert {"ApiDomainTarget", "CodeDomainTarget"} <= set(outputs)


def test_the_code_domains_pages_deploy_from_the_routes_list_like_every_route(synth) -> None:
    routes = synth.of_type("AWS::ApiGatewayV2::Route").values()
    route_keys = {route["Properties"]["RouteKey"] for route in routes}

    assert any(key.startswith("GET /q/") for key in route_keys), route_keys


def test_one_host_for_api_and_codes_is_one_domain_and_one_mapping(tmp_path) -> None:
    from aws_cdk import App
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk.assertions import Template

    from infra.domains import Domains

    app = App(outdir=str(tmp_path))
    stack = __import__("aws_cdk").Stack(app, "domains")
    http_api = apigwv2.HttpApi(stack, "Api", create_default_stage=False)
    stage = apigwv2.HttpStage(stack, "Stage", http_api=http_api, stage_name="$default")
    config = _config("prod", code_domain="api.example.cn")
    Domains(stack, "Domains", config=config, http_api=http_api, stage=stage)
    template = Template.from_stack(stack)

    template.resource_count_is("AWS::ApiGatewayV2::DomainName", 1)
    template.resource_count_is("AWS::ApiGatewayV2::ApiMapping", 1)


# --- removal policies ------------------------------------------------------------------------------

# Outside dev, per resource type: kept on stack deletion and replacement. Fixed-name resources are
# deleted when their own create rolls back (RetainExceptOnCreate), so a retry finds the name free;
# tables keep even then (deletion protection would block the rollback) but have no fixed name.
PROD_POLICIES = {
    "AWS::DynamoDB::Table": ("Retain", "Retain"),
    "AWS::SecretsManager::Secret": ("RetainExceptOnCreate", "Retain"),
    "AWS::Logs::LogGroup": ("RetainExceptOnCreate", "Retain"),
    "AWS::KMS::Key": ("RetainExceptOnCreate", "Retain"),
    # The media bucket and its access-log bucket (infra/storage.py), named by CloudFormation.
    "AWS::S3::Bucket": ("Retain", "Retain"),
}
NAME_PROPERTY = {
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::Logs::LogGroup": "LogGroupName",
}


@pytest.mark.parametrize("type_", sorted(PROD_POLICIES))
def test_retained_resources_survive_updates_and_a_rolled_back_create_can_be_retried(synth, type_) -> None:
    resources = synth.of_type(type_)
    deletion, replace = PROD_POLICIES[type_]

    assert resources
    for key, resource in resources.items():
        policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        if key.startswith("KeysSession"):
            # Session key versions are never kept: losing one only logs users out (infra/keys.py).
            assert policies == ("Delete", "Delete"), key
            continue
        assert policies == (deletion, replace), key
        if deletion == "Retain":
            # Kept even after a failed create: only a name CloudFormation chose cannot collide.
            assert NAME_PROPERTY.get(type_, "-") not in resource["Properties"], key


def test_every_retained_resource_is_of_a_type_with_a_decided_policy(synth) -> None:
    kept = {
        r["Type"]
        for r in synth.resources.values()
        if r.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate")
    }

    assert kept == set(PROD_POLICIES)


def test_the_dev_stage_keeps_nothing(dev_synth) -> None:
    kept = [key for key, r in dev_synth.resources.items() if r.get("DeletionPolicy", "Delete") != "Delete"]
    tables = dev_synth.of_type("AWS::DynamoDB::Table")
    protected = [key for key, r in tables.items() if r["Properties"].get("DeletionProtectionEnabled")]

    assert kept == []
    assert protected == []


def test_the_event_archive_has_no_empty_kms_key(synth) -> None:
    (archive,) = synth.of_type("AWS::Events::Archive").values()

    assert "KmsKeyIdentifier" not in archive["Properties"]
    assert archive["Properties"]["RetentionDays"] >= 1


# --- secrets ---------------------------------------------------------------------------------------


def _secret(synth, name: str) -> dict:
    (found,) = [
        s["Properties"]
        for s in synth.of_type("AWS::SecretsManager::Secret").values()
        if s["Properties"]["Name"] == f"earnloop/prod/{name}"
    ]
    return found


def test_the_wechat_secret_is_created_empty_for_the_operator_to_fill(synth) -> None:
    wechat = _secret(synth, "wechat")

    assert "SecretString" not in wechat
    assert "GenerateSecretString" not in wechat


def test_no_secret_carries_a_value_in_the_template(synth) -> None:
    for secret in synth.of_type("AWS::SecretsManager::Secret").values():
        assert "SecretString" not in secret["Properties"]


def test_the_qr_keys_are_generated_with_settings_frozen_since_the_first_deploy(synth) -> None:
    qr_keys = _secret(synth, "qr-keys")

    # Any change here makes CloudFormation generate a new key over the stored one: every printed
    # code would stop verifying. This literal is the first deploy's; it must never change.
    assert qr_keys["GenerateSecretString"] == {
        "SecretStringTemplate": '{"current": "A"}',
        "GenerateStringKey": "A",
        "PasswordLength": 64,
        "ExcludePunctuation": True,
    }


def test_a_generated_secret_whose_definition_moved_fails_the_synth() -> None:
    from earnloop.platform.resources import Secret

    with pytest.raises(SecretDefinitionChangedError, match="new secret"):
        generator(Secret("qr_keys", template={"current": "B"}, generate="B"))
    with pytest.raises(SecretDefinitionChangedError, match="GENERATED_ONCE"):
        generator(Secret("new_key", template={}, generate="key"))
    for definition in secrets():
        if definition.generate:
            assert definition.name in GENERATED_ONCE
            generator(definition)


# --- SnapStart -------------------------------------------------------------------------------------


def _function_props(synth, name: str) -> dict:
    return synth.props(synth.function(name))


def _alias_of(synth, name: str) -> dict:
    function_id = synth.function(name)
    (alias,) = [
        a["Properties"]
        for a in synth.of_type("AWS::Lambda::Alias").values()
        if a["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    return alias


def test_http_functions_run_behind_a_live_alias_on_a_published_version(synth, dev_synth) -> None:
    for synthesized in (synth, dev_synth):
        for spec in HTTP:
            alias = _alias_of(synthesized, spec.name)
            assert alias["Name"] == "live"
            version = synthesized.resources[alias["FunctionVersion"]["Fn::GetAtt"][0]]
            assert version["Type"] == "AWS::Lambda::Version"
    assert len(synth.of_type("AWS::Lambda::Alias")) == len(HTTP)


def test_snapstart_follows_the_region_when_the_stage_does_not_say(synth) -> None:
    for spec in SPECS:
        snapstart = _function_props(synth, spec.name).get("SnapStart")
        if spec.kind != "http":
            assert snapstart is None
            continue
        condition_name, when_offered, elsewhere = snapstart["Fn::If"]
        assert when_offered == {"ApplyOn": "PublishedVersions"}
        assert elsewhere == {"Ref": "AWS::NoValue"}
    regions = set(json.dumps(synth.template["Conditions"][condition_name]).split('"')) & {
        "ap-east-1",
        "ap-southeast-1",
        "ap-northeast-1",
        "cn-north-1",
        "cn-northwest-1",
    }
    # The brand's likely regions: Hong Kong, Singapore and Tokyo have it; Beijing and Ningxia do not.
    assert regions == {"ap-east-1", "ap-southeast-1", "ap-northeast-1"}
    assert not {"cn-north-1", "cn-northwest-1"} & set(SNAPSTART_REGIONS)


def test_snapstart_off_deploys_the_same_functions_without_it(dev_synth) -> None:
    for spec in SPECS:
        assert "SnapStart" not in _function_props(dev_synth, spec.name)
    assert not [name for name in dev_synth.template.get("Conditions", {}) if "SnapStart" in name]


def test_snapstart_on_is_unconditional() -> None:
    assert _config("prod", snapstart="true").snapstart is True
    assert _config("prod", snapstart=True).snapstart is True
    assert _config("prod", snapstart="false").snapstart is False


# --- concurrency and logs --------------------------------------------------------------------------


def test_the_pipeline_that_credits_scans_has_reserved_concurrency(synth, dev_synth) -> None:
    for spec in SPECS:
        reserved = _function_props(synth, spec.name).get("ReservedConcurrentExecutions")
        if spec.kind == "stream":
            assert reserved == STREAM_RESERVED_CONCURRENCY
        elif spec.kind == "queue":
            assert reserved == queue(spec.queue).max_concurrency
            (mapping,) = [
                m["Properties"]
                for m in synth.of_type("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == {"Ref": synth.function(spec.name)}
            ]
            # The event source never asks for more than is reserved (it would be throttled).
            assert mapping["ScalingConfig"]["MaximumConcurrency"] <= reserved
        else:
            assert reserved is None
        # A new account may lack the quota to reserve anything: dev does not.
        assert "ReservedConcurrentExecutions" not in _function_props(dev_synth, spec.name)


def test_logs_are_kept_at_least_180_days_outside_dev(synth, dev_synth) -> None:
    groups = synth.of_type("AWS::Logs::LogGroup")

    assert len(groups) == len(SPECS) + 1  # every function and the API's access log
    for group in groups.values():
        assert group["Properties"]["RetentionInDays"] >= 180
    for group in dev_synth.of_type("AWS::Logs::LogGroup").values():
        assert group["Properties"]["RetentionInDays"] < 180


# --- alarms and dashboard --------------------------------------------------------------------------


def _alarms(synth) -> list[dict]:
    return [alarm["Properties"] for alarm in synth.of_type("AWS::CloudWatch::Alarm").values()]


def test_alarms_watch_what_users_feel(synth) -> None:
    (api_id,) = synth.of_type("AWS::ApiGatewayV2::Api")
    by_metric = {(a.get("Namespace"), a["MetricName"]): a for a in _alarms(synth)}

    server_errors = by_metric[("AWS/ApiGateway", "5xx")]
    assert server_errors["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": api_id}}]
    assert server_errors["Threshold"] == 1
    latency = by_metric[("AWS/ApiGateway", "Latency")]
    assert latency["ExtendedStatistic"] == "p99"
    throttled = by_metric[("earnloop/prod", "ApiThrottled")]
    assert throttled["Statistic"] == "Sum"
    (metric_filter,) = synth.of_type("AWS::Logs::MetricFilter").values()
    pattern = metric_filter["Properties"]["FilterPattern"]
    assert pattern == '{ ($.status = "429") && ($.integrationStatus = "-") }'
    throttled_functions = {
        a["Dimensions"][0]["Value"]["Ref"] for a in _alarms(synth) if a["MetricName"] == "Throttles"
    }
    assert throttled_functions == {synth.function(spec.name) for spec in SPECS}


def test_alarms_also_reach_the_operators_topic_when_given(synth, dev_synth) -> None:
    (own_topic,) = dev_synth.of_type("AWS::SNS::Topic")

    # The dev synth is given `alarm_topic_arn` (and no e-mail); prod only an e-mail.
    for alarm in _alarms(dev_synth):
        assert alarm["AlarmActions"] == [{"Ref": own_topic}, "arn:aws:sns:ap-east-1:123456789012:ops"]
    assert dev_synth.of_type("AWS::SNS::Subscription") == {}
    (subscription,) = synth.of_type("AWS::SNS::Subscription").values()
    assert subscription["Properties"]["Endpoint"] == "ops@example.com"


def test_each_stage_has_a_dashboard(synth, dev_synth) -> None:
    for synthesized in (synth, dev_synth):
        (board,) = synthesized.of_type("AWS::CloudWatch::Dashboard").values()
        assert board["Properties"]["DashboardName"] == f"earnloop-{synthesized.stage}-overview"
        body = json.dumps(board["Properties"]["DashboardBody"])
        assert "5xx" in body
        assert "ApproximateAgeOfOldestMessage" in body
        assert "IteratorAge" in body
        # Every alarm, the context stacks' included (the parent reads their ARNs as outputs).
        alarms = synthesized.of_type("AWS::CloudWatch::Alarm")
        assert len(alarms) > 3 * len(SPECS) // 2
        for alarm in alarms:
            assert json.dumps({"Fn::GetAtt": [alarm, "Arn"]}) in body, alarm


# --- pending points ----------------------------------------------------------------------------


def test_a_deployed_stage_holds_new_accounts_earns_and_dev_credits_at_once(synth, dev_synth) -> None:
    for name in ("points_earn", "points_get"):
        prod = synth.props(synth.function(name))["Environment"]["Variables"]
        dev = dev_synth.props(dev_synth.function(name))["Environment"]["Variables"]
        assert prod["EARNLOOP_PENDING_DELAY_HOURS"] == "72"
        assert "EARNLOOP_PENDING_DELAY_HOURS" not in dev
    given = _config(pending='{"pending_delay_hours": 0, "pending_risky_delay_hours": 48}')
    assert given.pending_environment() == {
        "EARNLOOP_PENDING_DELAY_HOURS": "0",
        "EARNLOOP_PENDING_RISKY_DELAY_HOURS": "48",
    }


@pytest.mark.parametrize("pending", ["soon", '{"pending_risky_rank": 9}', '{"tiers": []}'])
def test_pending_settings_that_cannot_work_fail_before_any_synth(pending: str) -> None:
    with pytest.raises(ConfigError, match="pending"):
        _config(pending=pending).pending_environment()
