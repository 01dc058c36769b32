"""The buckets, from `earnloop.contexts.buckets()`: private, TLS only, encrypted, logged.

Every bucket blocks public access, denies requests without TLS (bucket policy), encrypts at rest
with S3-managed keys (presigned URLs work without a KMS grant per reader), enforces bucket-owner
object ownership (no ACLs), and writes server access logs to one log bucket. Its lifecycle expires
what the definition says (abandoned raw uploads after a day) and incomplete multipart uploads.
`ObjectCreated` notifications go straight to the context's SQS queue (docs/decisions.md: S3
notifications to the media queue); the queue keeps its DLQ and alarms.

Objects are not versioned: a rendition is written once under its media id and deleted on purpose
(its post deleted, moderation refused it), and a deleted picture must stop existing, not linger as a
noncurrent version.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from aws_cdk import CfnElement, Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct
from earnloop.contexts import buckets
from earnloop.platform.resources import Bucket

from infra import nag
from infra.naming import construct_id

if TYPE_CHECKING:
    from constructs import IConstruct

    from infra.config import StageConfig
    from infra.events import Events

ACCESS_LOG_RETENTION = Duration.days(90)
ABORT_INCOMPLETE_UPLOADS = Duration.days(1)


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig, events: Events) -> None:
        super().__init__(scope, id)
        self._config = config
        self._events = events
        definitions = buckets()
        self.access_logs: s3.Bucket | None = self._access_logs() if definitions else None
        self.buckets: dict[str, s3.Bucket] = {
            definition.name: self._bucket(definition) for definition in definitions
        }

    def _removal(self) -> dict[str, object]:
        # Dev is disposable: its buckets are emptied and deleted with the stack. Elsewhere they are
        # kept (named by CloudFormation, so a retried first deploy names its own).
        if self._config.protect_data:
            return {"removal_policy": RemovalPolicy.RETAIN}
        return {"removal_policy": RemovalPolicy.DESTROY, "auto_delete_objects": True}

    def _access_logs(self) -> s3.Bucket:
        logs = s3.Bucket(
            self,
            "AccessLogs",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # S3 server access logging delivers only to SSE-S3 buckets.
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=ACCESS_LOG_RETENTION)],
            **self._removal(),  # type: ignore[arg-type]
        )
        # No S1 finding to acknowledge: cdk-nag knows a bucket receiving access logs need not log.
        return logs

    def _bucket(self, definition: Bucket) -> s3.Bucket:
        cid = construct_id(definition.name)
        rules = [
            s3.LifecycleRule(
                id=f"expire-{expiry.prefix.strip('/')}",
                prefix=expiry.prefix,
                expiration=Duration.days(expiry.days),
            )
            for expiry in definition.expiries
        ]
        rules.append(
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=ABORT_INCOMPLETE_UPLOADS,
            )
        )
        bucket = s3.Bucket(
            self,
            cid,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            versioned=False,
            lifecycle_rules=rules,
            server_access_logs_bucket=self.access_logs,
            server_access_logs_prefix=f"{definition.name}/",
            **self._removal(),  # type: ignore[arg-type]
        )
        for notification in definition.notifications:
            queue = self._events.queues.get(notification.queue)
            if queue is None:
                raise LookupError(f"bucket {definition.name!r} notifies unknown queue {notification.queue!r}")
            bucket.add_event_notification(
                s3.EventType.OBJECT_CREATED,
                s3n.SqsDestination(queue),
                s3.NotificationKeyFilter(prefix=notification.prefix),
            )
        if definition.notifications:
            self._acknowledge_notifications_handler()
        return bucket

    def _acknowledge_notifications_handler(self) -> None:
        # CDK's one handler per stack that applies bucket notifications at deploy time.
        stack = Stack.of(self)
        for child in stack.node.children:
            if child.node.id.startswith("BucketNotificationsHandler"):
                nag.acknowledge(
                    child.node.find_child("Role"),
                    "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                    "CDK's bucket-notifications handler runs once per deploy; the managed policy only lets "
                    "it write its own logs, and its other statement is s3:PutBucketNotification",
                )

    def object_arn_finding(self, name: str, prefix: str, grantee: IConstruct) -> str:
        """cdk-nag's IAM5 finding id for `grantee`'s grant on the objects under `prefix` of bucket
        `name`. In the bucket's own stack the ARN is the bucket's `GetAtt`; in a context's nested
        stack it is the parameter CDK makes for the reference, `referenceto<unique id of the
        bucket>Arn` (aws-cdk-lib's nested stack references), which is what cdk-nag then reads."""
        bucket = self.buckets[name].node.default_child
        assert isinstance(bucket, CfnElement)
        if Stack.of(grantee) is Stack.of(bucket):
            stack = Stack.of(bucket)
            reference = f"{stack.resolve(stack.get_logical_id(bucket))}.Arn"
        else:
            reference = re.sub(r"[^A-Za-z0-9]", "", f"reference-to-{Names.node_unique_id(bucket.node)}Arn")
        return f"IAM5[Resource::<{reference}>/{prefix}*]"

    def prefix_arns(self, name: str, prefixes: tuple[str, ...]) -> list[str]:
        """ARNs of the objects under `prefixes` of bucket `name`, each checked against its definition."""
        definition = next((b for b in buckets() if b.name == name), None)
        if definition is None or name not in self.buckets:
            raise KeyError(f"no bucket {name!r}")
        unknown = [p for p in prefixes if not any(p.startswith(served) for served in definition.prefixes)]
        if unknown:
            raise KeyError(f"bucket {name!r} serves no prefix {unknown}")
        return [self.buckets[name].arn_for_objects(f"{prefix}*") for prefix in prefixes]
