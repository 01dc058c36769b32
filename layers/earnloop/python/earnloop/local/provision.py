"""Creates every resource the contexts declare (`earnloop.contexts`) on an AWS-compatible endpoint
(moto, DynamoDB Local).

The same definitions drive the CDK app, so what runs locally has the tables, indexes, streams,
queues, DLQs, bus and rules that deploy.
"""

from __future__ import annotations

import json
import secrets as random
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from earnloop.contexts import all_functions, buckets, queues, rules, secrets, signing_keys, tables
from earnloop.local.replay import failure_queue
from earnloop.platform import aws
from earnloop.platform.resources import Index, Table

if TYPE_CHECKING:
    from earnloop.platform.settings import Settings


def _key_schema(pk: str, sk: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": pk, "KeyType": "HASH"}]
    if sk:
        schema.append({"AttributeName": sk, "KeyType": "RANGE"})
    return schema


def _index(index: Index) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": _key_schema(index.pk.name, index.sk.name if index.sk else None),
        "Projection": {"ProjectionType": index.projection},
    }


def table_request(table: Table, physical_name: str) -> dict[str, Any]:
    """The CreateTable request for a definition (on-demand, streams with both images)."""
    attributes = {table.pk.name: table.pk.type, table.sk.name: table.sk.type}
    for index in (*table.gsis, *table.lsis):
        attributes[index.pk.name] = index.pk.type
        if index.sk:
            attributes[index.sk.name] = index.sk.type
    request: dict[str, Any] = {
        "TableName": physical_name,
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": _key_schema(table.pk.name, table.sk.name),
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "StreamSpecification": {"StreamEnabled": True, "StreamViewType": table.stream},
    }
    if table.gsis:
        request["GlobalSecondaryIndexes"] = [_index(i) for i in table.gsis]
    if table.lsis:
        request["LocalSecondaryIndexes"] = [_index(i) for i in table.lsis]
    return request


class TableMismatchError(RuntimeError):
    """A kept table no longer matches its definition (an index was added or removed since)."""


def create_tables(settings: Settings) -> dict[str, str]:
    """Creates the tables; returns logical name -> stream ARN."""
    streams, _ = ensure_tables(settings)
    return streams


def _indexes(description: dict[str, Any], kind: str) -> set[str]:
    return {i["IndexName"] for i in description.get(kind, [])}


def ensure_tables(settings: Settings) -> tuple[dict[str, str], set[str]]:
    """Creates the tables that do not exist yet (a kept DynamoDB Local database has the others);
    returns logical name -> stream ARN, and the logical names of the tables that already existed.

    Raises:
        TableMismatchError: a kept table's indexes differ from its definition.
    """
    ddb = aws.client("dynamodb")
    streams: dict[str, str] = {}
    existed: set[str] = set()
    for table in tables():
        name = settings.table_name(table.name)
        try:
            description = ddb.describe_table(TableName=name)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            response = ddb.create_table(**table_request(table, name))
            streams[table.name] = response["TableDescription"]["LatestStreamArn"]
            if table.ttl_attribute:
                ddb.update_time_to_live(
                    TableName=name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
            continue
        wanted = ({i.name for i in table.gsis}, {i.name for i in table.lsis})
        found = (
            _indexes(description, "GlobalSecondaryIndexes"),
            _indexes(description, "LocalSecondaryIndexes"),
        )
        if wanted != found:
            raise TableMismatchError(
                f"the kept table {name} has indexes {sorted(found[0] | found[1])}, its definition "
                f"{sorted(wanted[0] | wanted[1])}: start clean (`earnloop dev --clean`)"
            )
        streams[table.name] = description["LatestStreamArn"]
        existed.add(table.name)
    return streams, existed


def local_secret_values() -> dict[str, dict[str, str]]:
    """Secret values for a local stage: the templates with fresh random values filled in, and each
    signing key's private half (`{"pem": ...}`), which only the local cloud ever holds."""
    values: dict[str, dict[str, str]] = {}
    for secret in secrets():
        value = dict(secret.template)
        if secret.generate:
            value[secret.generate] = random.token_urlsafe(48)
        values[secret.name] = value
    for key in signing_keys():
        if key.name in values:
            raise ValueError(f"signing key {key.name!r} and a secret share a name")
        # The key id is the tokens' `kid`: kept with the private half, so a restarted local cloud
        # (`make dev` on its data directory) still accepts the tokens it issued.
        values[key.name] = {"pem": _new_private_key_pem(), "key_id": str(uuid.uuid4())}
    return values


def _new_private_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return (
        ec.generate_private_key(ec.SECP256R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        .decode()
    )


def create_keys(settings: Settings, values: dict[str, dict[str, str]]) -> dict[str, str]:
    """Creates each signing key in KMS (moto) under the alias `Settings.key_ids` names by default, with
    the private half from `values`; returns logical name -> key ARN.

    AWS KMS generates the key (and never lets it out). moto cannot import asymmetric key material, so
    the key moto generated is replaced in its in-process backend by the kept one: a local cloud
    restarted on its data directory still verifies the tokens it issued before.
    """
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from moto.kms.models import kms_backends

    kms = aws.client("kms")
    arns: dict[str, str] = {}
    for key in signing_keys():
        metadata = kms.create_key(
            KeySpec=key.spec, KeyUsage="SIGN_VERIFY", Description=f"earnloop {settings.stage} {key.name}"
        )["KeyMetadata"]
        _, _, _, region, account, _ = str(metadata["Arn"]).split(":", 5)
        backend = kms_backends[account][region]
        emulated = backend.keys.get(metadata["KeyId"])
        if emulated is None:
            raise RuntimeError("the local signing keys need moto's KMS in this process")
        # moto's key wraps a `cryptography` key in `.private_key`; its abstract type does not say so.
        emulated.private_key.private_key = load_pem_private_key(  # type: ignore[attr-defined]
            values[key.name]["pem"].encode(), None
        )
        kept_id = values[key.name].get("key_id")
        if kept_id and kept_id != emulated.id:
            # moto cannot be told a key id either: the kept one replaces the one it drew.
            backend.keys[kept_id] = backend.keys.pop(emulated.id)
            emulated.arn = emulated.arn.replace(emulated.id, kept_id)
            emulated.id = metadata["KeyId"] = kept_id
            metadata["Arn"] = emulated.arn
        alias = settings.key_ids(key.name)[0]
        if alias.startswith("alias/"):
            kms.create_alias(AliasName=alias, TargetKeyId=metadata["KeyId"])
        arns[key.name] = str(metadata["Arn"])
    return arns


def create_secrets(settings: Settings, values: dict[str, dict[str, str]] | None = None) -> None:
    sm = aws.client("secretsmanager")
    values = values or local_secret_values()
    for secret in secrets():
        sm.create_secret(Name=settings.secret_id(secret.name), SecretString=json.dumps(values[secret.name]))


def create_buckets(settings: Settings) -> None:
    """Creates each bucket (kept across a `make dev` restart: moto's state is not, so never)."""
    s3 = aws.client("s3")
    for bucket in buckets():
        s3.create_bucket(
            Bucket=settings.bucket_name(bucket.name),
            CreateBucketConfiguration={"LocationConstraint": settings.region},  # type: ignore[typeddict-item]
        )


@dataclass(frozen=True)
class QueueUrls:
    main: str
    dlq: str


def queue_name(settings: Settings, name: str) -> str:
    return f"earnloop-{settings.stage}-{name}"


def create_messaging(settings: Settings, visibility_timeout_s: int = 30) -> dict[str, QueueUrls]:
    """Creates the bus, each queue with its DLQ and redrive policy, and the rules; returns the queue URLs."""
    sqs = aws.client("sqs")
    events = aws.client("events")
    events.create_event_bus(Name=settings.event_bus)
    urls: dict[str, QueueUrls] = {}
    arns: dict[str, str] = {}
    for queue in queues():
        base = queue_name(settings, queue.name)
        dlq_url = sqs.create_queue(QueueName=f"{base}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(queue.max_receive_count)}
        url = sqs.create_queue(
            QueueName=base,
            Attributes={"VisibilityTimeout": str(visibility_timeout_s), "RedrivePolicy": json.dumps(redrive)},
        )["QueueUrl"]
        arns[queue.name] = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        urls[queue.name] = QueueUrls(url, dlq_url)
    for rule in rules():
        events.put_rule(
            Name=rule.name, EventBusName=settings.event_bus, EventPattern=json.dumps(rule.pattern())
        )
        events.put_targets(
            Rule=rule.name,
            EventBusName=settings.event_bus,
            Targets=[{"Id": rule.queue, "Arn": arns[rule.queue]}],
        )
    return urls


def stream_failure_queue_name(settings: Settings, function: str) -> str:
    """The on-failure destination of a stream consumer's event source mappings: what infra names it
    (`earnloop-<stage>-stream-publisher-dlq`), where `earnloop replay-stream` reads."""
    return failure_queue(settings.stage, function)


def create_stream_failure_queues(settings: Settings) -> dict[str, str]:
    """Creates the on-failure destination of every stream consumer; returns function name -> URL."""
    sqs = aws.client("sqs")
    return {
        spec.name: sqs.create_queue(QueueName=stream_failure_queue_name(settings, spec.name))["QueueUrl"]
        for spec in all_functions()
        if spec.kind == "stream"
    }
