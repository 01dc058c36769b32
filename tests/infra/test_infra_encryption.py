"""Data at rest is encrypted, found by walking every resource of the synthesized template (issue 10.7).

Each resource type either holds data and is checked here (buckets, queues, tables, topics), is
encrypted by its service with a key AWS keeps and documents (`SERVICE_ENCRYPTED`, with why that is
enough), or holds no data (`NO_DATA`). A type in none of them fails the walk: whoever adds a new kind
of resource decides which it is.
"""

from __future__ import annotations

import pytest

from tests.infra.conftest import logical

pytestmark = pytest.mark.infra

# Always encrypted at rest by the service, with no setting to turn it off; a key of our own would add
# cost and a key policy to get wrong, for data that is masked (logs) or not personal (events carry
# random ids). docs/decisions.md, "Encryption at rest".
SERVICE_ENCRYPTED = {
    # CloudWatch Logs encrypts every log group; the Logger masks personal data before it is written.
    "AWS::Logs::LogGroup": "CloudWatch Logs encrypts all log data at rest (AWS-owned key)",
    "AWS::Events::EventBus": "EventBridge encrypts events at rest with an AWS-owned key by default",
    "AWS::Events::Archive": "an archive is encrypted with its bus's key (AWS-owned by default)",
    "AWS::SecretsManager::Secret": "Secrets Manager always encrypts, with aws/secretsmanager by default",
    "AWS::Lambda::Function": "environment variables are encrypted with aws/lambda; they hold no secrets",
    "AWS::Lambda::LayerVersion": "layer code is stored encrypted by Lambda",
    "AWS::CloudWatch::Dashboard": "a dashboard's body is metric names, encrypted by CloudWatch",
}
# Configuration, permissions and wiring: nothing a user gave us is stored in them.
NO_DATA = {
    "AWS::ApiGatewayV2::Api",
    "AWS::ApiGatewayV2::ApiMapping",
    "AWS::ApiGatewayV2::DomainName",
    "AWS::ApiGatewayV2::Integration",
    "AWS::ApiGatewayV2::Route",
    "AWS::ApiGatewayV2::Stage",
    "AWS::CDK::Metadata",
    "AWS::CloudFormation::Stack",
    "AWS::CloudWatch::Alarm",
    "AWS::Events::Rule",
    "AWS::IAM::Policy",
    "AWS::IAM::Role",
    "AWS::KMS::Key",
    "AWS::Lambda::Alias",
    "AWS::Lambda::EventInvokeConfig",
    "AWS::Lambda::EventSourceMapping",
    "AWS::Lambda::Permission",
    "AWS::Lambda::Version",
    "AWS::Logs::MetricFilter",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
    "AWS::SQS::QueuePolicy",
    "AWS::Scheduler::Schedule",
    "Custom::S3BucketNotifications",
}
CHECKED = {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table", "AWS::SNS::Topic"}
TLS_ONLY = {"Bool": {"aws:SecureTransport": "false"}}


def test_every_resource_type_is_checked_documented_or_holds_no_data(synth) -> None:
    types = {resource["Type"] for resource in synth.resources.values()}

    assert types - CHECKED - set(SERVICE_ENCRYPTED) - NO_DATA == set()
    assert types >= CHECKED


def test_every_bucket_is_encrypted_private_and_tls_only(synth) -> None:
    policies = synth.of_type("AWS::S3::BucketPolicy").values()
    for bucket_id, bucket in synth.of_type("AWS::S3::Bucket").items():
        props = bucket["Properties"]
        (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}, bucket_id
        assert props["PublicAccessBlockConfiguration"] == dict.fromkeys(
            ("BlockPublicAcls", "BlockPublicPolicy", "IgnorePublicAcls", "RestrictPublicBuckets"), True
        ), bucket_id
        denies = [
            statement
            for policy in policies
            if logical(policy["Properties"]["Bucket"]) == bucket_id
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Deny"
        ]
        assert any(statement.get("Condition") == TLS_ONLY for statement in denies), bucket_id


def test_every_queue_is_encrypted(synth) -> None:
    for queue_id, queue in synth.of_type("AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, queue_id


def test_every_table_states_its_encryption_with_a_kms_key(synth) -> None:
    # Explicit, not the unstated AWS-owned default: the AWS-managed key (aws/dynamodb) is in the
    # account, so its use is in CloudTrail; no key of ours to rotate or lose.
    tables = synth.of_type("AWS::DynamoDB::Table")
    assert tables
    for table_id, table in tables.items():
        assert table["Properties"]["SSESpecification"] == {"SSEEnabled": True}, table_id


def test_every_topic_is_encrypted_with_a_kms_key(synth) -> None:
    for topic_id, topic in synth.of_type("AWS::SNS::Topic").items():
        assert "KmsMasterKeyId" in topic["Properties"], topic_id
