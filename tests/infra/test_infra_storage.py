"""The media bucket, its notifications to the media queue, who may touch which prefix, and the
imaging layer that only the media worker carries."""

from __future__ import annotations

import json

import pytest
from earnloop.contexts import all_functions, buckets

from tests.infra.conftest import as_list, logical

pytestmark = pytest.mark.infra


def _bucket_id(synth, name: str = "media") -> str:
    return str(synth.stack.resolve(synth.stack.storage.buckets[name].node.default_child.logical_id))


def _s3_permissions(synth, function: str) -> set[tuple[str, str]]:
    return {
        (action, resource) for action, resource in synth.permissions(function) if action.startswith("s3:")
    }


def test_the_media_bucket_is_private_encrypted_owner_enforced_and_logged(synth) -> None:
    bucket = synth.props(_bucket_id(synth))

    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    (encryption,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert encryption["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "VersioningConfiguration" not in bucket
    logs = bucket["LoggingConfiguration"]
    assert logical(logs["DestinationBucketName"]) == str(
        synth.stack.resolve(synth.stack.storage.access_logs.node.default_child.logical_id)
    )
    assert synth.resources[_bucket_id(synth)]["DeletionPolicy"] == "Retain"


def test_the_bucket_policy_refuses_plain_http_and_old_tls_and_allows_nobody(synth) -> None:
    bucket_id = _bucket_id(synth)
    (policy,) = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.of_type("AWS::S3::BucketPolicy").values()
        if logical(p["Properties"]["Bucket"]) == bucket_id
    ]

    assert all(statement["Effect"] == "Deny" for statement in policy)
    conditions = [statement["Condition"] for statement in policy]
    assert {"Bool": {"aws:SecureTransport": "false"}} in conditions
    assert {"NumericLessThan": {"s3:TlsVersion": 1.2}} in conditions


def test_abandoned_raw_uploads_expire_after_a_day_and_renditions_never(synth) -> None:
    rules = synth.props(_bucket_id(synth))["LifecycleConfiguration"]["Rules"]
    expiring = {rule.get("Prefix"): rule["ExpirationInDays"] for rule in rules if "ExpirationInDays" in rule}

    assert expiring == {"uploads/": 1}
    assert any(rule.get("AbortIncompleteMultipartUpload") == {"DaysAfterInitiation": 1} for rule in rules)


def test_objects_created_under_uploads_reach_the_media_queue_and_only_s3_of_this_bucket_may_send(
    synth,
) -> None:
    bucket_id = _bucket_id(synth)
    queue_id = synth.queue("media")
    (notifications,) = [
        n["Properties"]["NotificationConfiguration"]
        for n in synth.of_type("Custom::S3BucketNotifications").values()
        if logical(n["Properties"]["BucketName"]) == bucket_id
    ]

    assert notifications["QueueConfigurations"] == [
        {
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}},
            "QueueArn": {"Fn::GetAtt": [queue_id, "Arn"]},
        }
    ]
    assert set(notifications) == {"QueueConfigurations"}
    allows = [
        statement
        for policy in synth.of_type("AWS::SQS::QueuePolicy").values()
        if {"Ref": queue_id} in policy["Properties"]["Queues"]
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if statement["Effect"] == "Allow"
    ]
    assert [statement["Principal"] for statement in allows] == [{"Service": "s3.amazonaws.com"}]
    assert logical(allows[0]["Condition"]["ArnLike"]["aws:SourceArn"]) == f"{bucket_id}.Arn"
    # The queue the bucket feeds keeps its DLQ.
    assert "RedrivePolicy" in synth.props(queue_id)


@pytest.mark.parametrize("spec", [s for s in all_functions()], ids=lambda s: s.name)
def test_each_role_touches_exactly_the_objects_its_bucket_grants_name(synth, spec) -> None:
    bucket_id = _bucket_id(synth)
    expected: set[tuple[str, str]] = set()
    for grant in spec.grants:
        if grant.kind != "bucket":
            continue
        actions = {
            "read": ["s3:GetObject"],
            "write": ["s3:PutObject"],
            "readwrite": ["s3:GetObject", "s3:PutObject"],
        }[grant.access] + (["s3:DeleteObject"] if grant.delete else [])
        expected |= {
            (action, f"{bucket_id}.Arn/{prefix}*") for action in actions for prefix in grant.prefixes
        }

    assert _s3_permissions(synth, spec.name) == expected


def test_only_the_media_worker_reads_raw_uploads_and_nobody_lists_or_reaches_the_whole_bucket(synth) -> None:
    bucket_id = _bucket_id(synth)
    readers = {
        spec.name
        for spec in all_functions()
        if ("s3:GetObject", f"{bucket_id}.Arn/uploads/*") in _s3_permissions(synth, spec.name)
    }

    assert readers == {"media_process"}
    for spec in all_functions():
        for action, resource in _s3_permissions(synth, spec.name):
            assert action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), (spec.name, action)
            assert resource.startswith(f"{bucket_id}.Arn/") and resource.endswith("/*"), (spec.name, resource)


def test_functions_learn_the_bucket_name_from_their_environment(synth) -> None:
    variables = synth.props(synth.function("media_process"))["Environment"]["Variables"]
    names = json.dumps(synth.stack.resolve(variables["EARNLOOP_BUCKETS"]))

    assert {b.name for b in buckets()} == {"media"}
    assert _bucket_id(synth) in names


def _layers(synth, function: str) -> list[str]:
    return [logical(layer) for layer in as_list(synth.props(synth.function(function))["Layers"])]


def test_only_the_functions_that_declare_the_imaging_layer_carry_it(synth) -> None:
    (imaging,) = [
        key
        for key, value in synth.of_type("AWS::Lambda::LayerVersion").items()
        if "imaging" in value["Properties"].get("Description", "")
    ]
    declaring = {spec.name for spec in all_functions() if "imaging" in spec.layers}
    carrying = {spec.name for spec in all_functions() if imaging in _layers(synth, spec.name)}

    assert declaring == {"media_process"}
    assert carrying == declaring
    for spec in all_functions():
        if spec.name not in declaring:
            # The library and its dependencies, nothing else.
            assert len(_layers(synth, spec.name)) == 2, spec.name


def test_the_dev_stage_empties_and_deletes_its_buckets(dev_synth) -> None:
    bucket_id = _bucket_id(dev_synth)

    assert dev_synth.resources[bucket_id]["DeletionPolicy"] == "Delete"
    assert dev_synth.of_type("Custom::S3AutoDeleteObjects")
