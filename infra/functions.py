"""Every function of `earnloop.contexts`, from one factory, each with its own role.

The factory gives all of them the same defaults (runtime, arm64, JSON logs, active tracing, a log
group with retention, the library and dependency layers, the environment `Settings` reads);
memory and timeout come from the spec, permissions only from the spec's grants. It is built once per
context, inside that context's nested stack (infra/context_stack.py), from the shared resources of
the parent stack; CloudFormation conditions do not cross stacks, so each build makes its own.

HTTP functions are invoked through a published version and the alias `live` (what SnapStart
snapshots); the pipeline that credits scans (stream publisher, queue workers) has reserved
concurrency, so a spike of HTTP requests cannot take every execution environment of the account.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Aws, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct
from earnloop.contexts import queue, secrets, signing_keys, table, tables
from earnloop.platform.not_found import served_methods
from earnloop.platform.observability import SERVICE, metrics
from earnloop.platform.sessions import PREFIX as REVOKED_PREFIX
from earnloop.platform.settings import Settings

from infra import nag
from infra.conditions import snapstart_offered, xray_offered
from infra.layers import ARCHITECTURE, RUNTIME
from infra.naming import construct_id, physical

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from earnloop.platform.catalog import FunctionSpec, Grant
    from fastapi.routing import APIRoute

    from infra.config import StageConfig
    from infra.data import Data
    from infra.events import Events
    from infra.keys import SigningKeys
    from infra.layers import Layers
    from infra.secrets import Secrets
    from infra.storage import Storage

__all__ = ["ARCHITECTURE", "RUNTIME", "Functions", "settings_variable", "signer_role_arn", "signer_role_name"]

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS_DIR = ROOT / "functions"
HANDLER = "handler.lambda_handler"

CODE_EXCLUDE = ["**/__pycache__", "**/*.pyc"]

# BatchGetItem reads nothing GetItem could not: feed pages and posts read a page's per-reader items
# (likes, authors) in one call instead of one per post.
TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
TABLE_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem"]

# HTTP API gives up on an integration after 30 s.
HTTP_MAX_TIMEOUT_S = 29

# The `$default` function's route table shares Lambda's 4 KB of environment with the ARNs of the rest.
ROUTES_MAX_CHARS = 2048

ALIAS = "live"
# One copy per stream shard (parallelization factor 1); on-demand tables under a promotion's load
# split into a handful of shards each. Too few shows as the publisher's IteratorAge alarm.
STREAM_RESERVED_CONCURRENCY = 20

# IAM's limit on a role name, and the longest region name (ap-southeast-7, cn-northwest-1).
ROLE_NAME_MAX = 64
LONGEST_REGION = 14


def signer_role_name(stage: str, function: str) -> str:
    """The fixed name of the role of a function granted `sign` on a key.

    The key's policy (parent stack) names the roles that may sign; a role made in a context's
    nested stack has a name CloudFormation picks, known to the parent only as a nested stack output,
    and the function's stack already needs the key's ARN: a cycle. A name both sides can spell
    breaks it. IAM names are global to the account, so the region is part of it.
    """
    name = f"{physical(stage, function)}-{Aws.REGION}"
    if len(physical(stage, function)) + 1 + LONGEST_REGION > ROLE_NAME_MAX:
        raise ValueError(f"the signing role of {function!r} in stage {stage!r} would exceed 64 characters")
    return name


def signer_role_arn(scope: Construct, stage: str, function: str) -> str:
    """The ARN of `signer_role_name`, spelled in `scope`'s stack (no cross-stack reference)."""
    return Stack.of(scope).format_arn(
        service="iam",
        region="",
        resource="role",
        resource_name=signer_role_name(stage, function),
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def settings_variable(field: str) -> str:
    """`event_bus` -> `EARNLOOP_EVENT_BUS`, refusing a name `Settings` would not read."""
    if field not in Settings.model_fields:
        raise KeyError(f"Settings has no field {field!r}")
    return f"EARNLOOP_{field.upper()}"


class Functions(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        config: StageConfig,
        specs: Iterable[FunctionSpec],
        data: Data,
        secrets: Secrets,
        keys: SigningKeys,
        events: Events,
        storage: Storage,
        layers: Layers,
        routes: Sequence[APIRoute] = (),
    ) -> None:
        super().__init__(scope, id)
        self._config = config
        self._storage = storage
        self._data = data
        self._secrets = secrets
        self._keys = keys
        self._events = events
        self._layers = layers
        self._routes = routes
        # Signing key name -> the functions granted `sign`, whose roles have fixed names: the parent
        # stack's key policy lets no other role sign (`signer_role_arn`).
        self.signers: dict[str, list[str]] = {name: [] for name in keys.versions}
        self.environment = self._environment()
        # With no `snapstart` context, SnapStart follows the region the stack is deployed to.
        self.snapstart = snapstart_offered(self) if config.snapstart is None else None
        # Without X-Ray (the China partition) the functions pass tracing through instead of failing
        # to deploy.
        self.xray = xray_offered(self)
        self.functions: dict[str, lambda_.Function] = {}
        # What invokes each function: the `live` alias of an HTTP function, the function otherwise.
        self.entry_points: dict[str, lambda_.IFunction] = {}
        self.aliases: dict[str, lambda_.Alias] = {}
        self.log_groups: dict[str, logs.LogGroup] = {}
        for spec in specs:
            function = self._function(spec)
            self.functions[spec.name] = function
            self.entry_points[spec.name] = function
            if spec.kind == "http":
                alias = self._alias(spec, function)
                self.aliases[spec.name] = alias
                self.entry_points[spec.name] = alias

    def _alias(self, spec: FunctionSpec, function: lambda_.Function) -> lambda_.Alias:
        cid = construct_id(spec.name)
        if self.snapstart is not None:
            cfn = function.node.default_child
            assert isinstance(cfn, lambda_.CfnFunction)
            cfn.add_property_override(
                "SnapStart",
                Fn.condition_if(self.snapstart.logical_id, {"ApplyOn": "PublishedVersions"}, Aws.NO_VALUE),
            )
        # A version per deployed change of code or configuration; the superseded one is deleted
        # once the alias has moved (a version left behind would keep its snapshot).
        return lambda_.Alias(self, f"{cid}Live", alias_name=ALIAS, version=function.current_version)

    def _environment(self) -> dict[str, str]:
        environment = {
            settings_variable("stage"): self._config.stage,
            settings_variable("event_bus"): self._events.bus.event_bus_name,
            "POWERTOOLS_SERVICE_NAME": SERVICE,
            "POWERTOOLS_METRICS_NAMESPACE": str(metrics.namespace),
        }
        # Logical name -> physical name (tables) or ARN (secrets), as JSON objects `Settings` reads.
        stack = Stack.of(self)
        environment[settings_variable("tables")] = stack.to_json_string(
            {definition.name: self._data.tables[definition.name].table_name for definition in tables()}
        )
        environment[settings_variable("secrets")] = stack.to_json_string(
            {secret.name: self._secrets.secrets[secret.name].secret_arn for secret in secrets()}
        )
        environment[settings_variable("buckets")] = stack.to_json_string(
            {name: bucket.bucket_name for name, bucket in self._storage.buckets.items()}
        )
        # Signing key name -> KMS key ARNs of its versions, the signing one first.
        environment[settings_variable("keys")] = stack.to_json_string(self._keys.arns())
        # Printed codes and their CSV export name the stage's code domain, never a default.
        environment[settings_variable("qr_url_base")] = self._config.qr_url_base
        environment[settings_variable("moderation_provider")] = self._config.moderation_provider
        if self._config.rekognition_region is not None:
            environment[settings_variable("rekognition_region")] = self._config.rekognition_region
        if self._config.wechat_verify_file and self._config.wechat_verify_content:
            environment[settings_variable("wechat_verify_file")] = self._config.wechat_verify_file
            environment[settings_variable("wechat_verify_content")] = self._config.wechat_verify_content
        # One tier list for every function: the points worker, the stream publisher and the
        # routes must agree on who is in which tier.
        if self._config.tiers is not None:
            environment[settings_variable("tiers")] = self._config.tiers
        # Segment thresholds and the wake-up gift: the same for the workers, the job and the routes.
        environment.update(self._config.segment_environment())
        # Pending points: the points worker and the routes that show them must agree.
        environment.update(self._config.pending_environment())
        return environment

    def _function(self, spec: FunctionSpec) -> lambda_.Function:
        code = FUNCTIONS_DIR / spec.name
        if not (code / "handler.py").is_file():
            raise FileNotFoundError(f"catalog function {spec.name!r} has no {code}/handler.py")
        if spec.kind == "http" and spec.timeout_s > HTTP_MAX_TIMEOUT_S:
            raise ValueError(f"{spec.name}: HTTP functions must finish within {HTTP_MAX_TIMEOUT_S} s")
        cid = construct_id(spec.name)
        name = physical(self._config.stage, spec.name)
        log_group = logs.LogGroup(
            self,
            f"{cid}Logs",
            log_group_name=f"/aws/lambda/{name}",
            retention=self._config.log_retention,
            removal_policy=self._config.named_removal_policy,
        )
        self.log_groups[spec.name] = log_group
        signs = [grant.name for grant in spec.grants if grant.kind == "key" and grant.access == "sign"]
        role = iam.Role(
            self,
            f"{cid}Role",
            role_name=signer_role_name(self._config.stage, spec.name) if signs else None,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"earnloop {self._config.stage} {spec.name}: only its catalog grants",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        )
        for key_name in signs:
            self.signers[key_name].append(spec.name)
        for statement in self._statements(spec.grants, role):
            role.add_to_policy(statement)
        function = lambda_.Function(
            self,
            cid,
            function_name=name,
            description=spec.description or spec.name,
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=HANDLER,
            code=lambda_.Code.from_asset(str(code), exclude=CODE_EXCLUDE),
            layers=self._layers.of(spec),
            memory_size=spec.memory_mb,
            timeout=Duration.seconds(spec.timeout_s),
            role=role,
            log_group=log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            environment=self._environment_of(spec),
            reserved_concurrent_executions=self._reserved(spec),
            snap_start=(
                lambda_.SnapStartConf.ON_PUBLISHED_VERSIONS
                if spec.kind == "http" and self._config.snapstart
                else None
            ),
            current_version_options=lambda_.VersionOptions(removal_policy=RemovalPolicy.DESTROY),
        )
        cfn = function.node.default_child
        assert isinstance(cfn, lambda_.CfnFunction)
        cfn.add_property_override(
            "TracingConfig",
            Fn.condition_if(self.xray.logical_id, {"Mode": "Active"}, {"Mode": "PassThrough"}),
        )
        nag.acknowledge(
            role,
            "IAM5[Resource::*]",
            "X-Ray PutTraceSegments/PutTelemetryRecords (added by active tracing) support no "
            "resource-level permissions; every other statement names its resources",
        )
        return function

    def _environment_of(self, spec: FunctionSpec) -> dict[str, str]:
        if not spec.default_route:
            return self.environment
        # The `$default` route's function tells a served path (405 with `Allow`) from an unknown one.
        routes = json.dumps(served_methods(self._routes), separators=(",", ":"))
        if len(routes) > ROUTES_MAX_CHARS:
            raise ValueError(
                f"the route table ({len(routes)} characters) no longer fits {spec.name}'s environment "
                "(Lambda allows 4 KB in all): ship it in the function's code instead"
            )
        return {**self.environment, settings_variable("routes"): routes}

    def _reserved(self, spec: FunctionSpec) -> int | None:
        """The stream publisher and queue workers keep their capacity; others share the account's."""
        if not self._config.reserve_concurrency:
            return None
        if spec.kind == "stream":
            return STREAM_RESERVED_CONCURRENCY
        if spec.kind == "queue" and spec.queue is not None:
            # As many as the event source may run at once: more would never be used, fewer would
            # throttle the batches it hands over.
            return queue(spec.queue).max_concurrency
        return None

    def _statements(self, grants: Iterable[Grant], role: iam.IRole) -> list[iam.PolicyStatement]:
        grants = tuple(grants)
        statements: list[iam.PolicyStatement] = []
        for grant in grants:
            if grant.kind == "table" and grant.prefixes:
                # Those partitions only: Query conditioned on the partition key. Nothing else: a
                # Scan has no leading key, so `ForAllValues` would let it through.
                statements.append(
                    iam.PolicyStatement(
                        actions=["dynamodb:Query"],
                        resources=[self._data.tables[grant.name].table_arn],
                        conditions={
                            "ForAllValues:StringLike": {
                                "dynamodb:LeadingKeys": [f"{prefix}*" for prefix in grant.prefixes]
                            }
                        },
                    )
                )
            elif grant.kind == "table":
                target = self._data.tables[grant.name]
                # Only the indexes the function queries, each by name (never `index/*`).
                indexes = [f"{target.table_arn}/index/{name}" for name in _indexes(grant.name, grant.indexes)]
                statements.append(
                    iam.PolicyStatement(actions=TABLE_READ, resources=[target.table_arn, *indexes])
                )
                if grant.access in ("write", "readwrite"):
                    actions = [*TABLE_WRITE, *(["dynamodb:DeleteItem"] if grant.delete else [])]
                    statements.append(iam.PolicyStatement(actions=actions, resources=[target.table_arn]))
            elif grant.kind == "secret":
                secret = self._secrets.secrets[grant.name]
                statements.append(
                    iam.PolicyStatement(
                        actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]
                    )
                )
            elif grant.kind == "bus":
                statements.append(
                    iam.PolicyStatement(
                        actions=["events:PutEvents"], resources=[self._events.bus.event_bus_arn]
                    )
                )
            elif grant.kind == "key" and grant.access == "sign":
                # The current version only: an older one verifies what it signed, it signs no more.
                statements.append(
                    iam.PolicyStatement(
                        actions=["kms:Sign"], resources=[self._keys.current(grant.name).key_arn]
                    )
                )
            elif grant.kind == "key":
                # Public halves only, of every version a token may still carry.
                versions = [key.key_arn for key in self._keys.versions[grant.name]]
                statements.append(iam.PolicyStatement(actions=["kms:GetPublicKey"], resources=versions))
                statements.extend(self._revocation_reads(grant.name, grants))
            elif grant.kind == "bucket":
                # Objects under the granted prefixes only, never the bucket (no ListBucket: keys are
                # known). A presigned URL carries these rights: a GET needs read, a POST write.
                objects = self._storage.prefix_arns(grant.name, grant.prefixes)
                actions = []
                if grant.access in ("read", "readwrite"):
                    actions.append("s3:GetObject")
                if grant.access in ("write", "readwrite"):
                    actions.append("s3:PutObject")
                if grant.delete:
                    actions.append("s3:DeleteObject")
                statements.append(iam.PolicyStatement(actions=actions, resources=objects))
                for prefix in grant.prefixes:
                    nag.acknowledge(
                        role,
                        self._storage.object_arn_finding(grant.name, prefix, role),
                        f"objects of the {grant.name} bucket under {prefix} only: keys carry ids made at "
                        "upload time, so no narrower resource can be named in advance",
                    )
            elif grant.kind == "moderation":
                if self._config.moderation_provider == "aws":
                    statements.append(
                        iam.PolicyStatement(actions=["rekognition:DetectModerationLabels"], resources=["*"])
                    )
                    nag.acknowledge(
                        role,
                        "IAM5[Resource::*]",
                        "rekognition:DetectModerationLabels has no resource-level permissions: AWS "
                        "documents it for resource * only, and it reads only the bytes it is sent",
                    )
            elif grant.kind == "queue":
                queue = self._events.queues[grant.name]
                statements.append(
                    # GetQueueUrl: the sender finds the URL by the queue's name (platform.queues).
                    iam.PolicyStatement(
                        actions=["sqs:SendMessage", "sqs:GetQueueUrl"], resources=[queue.queue_arn]
                    )
                )
            else:
                raise ValueError(f"unknown grant kind {grant.kind!r}")
        return statements

    def _revocation_reads(self, key_name: str, grants: Iterable[Grant]) -> list[iam.PolicyStatement]:
        """A token checker reads the revoked sessions (platform/sessions.py): Query on the key's
        revocations table, its `REVOKED#` partitions only. A role that reads the table already
        (whole, or those partitions among others) needs no second statement."""
        [definition] = [key for key in signing_keys() if key.name == key_name]
        holder = definition.revocations
        if holder is None or any(
            g.kind == "table" and g.name == holder and (not g.prefixes or REVOKED_PREFIX in g.prefixes)
            for g in grants
        ):
            return []
        return [
            iam.PolicyStatement(
                actions=["dynamodb:Query"],
                resources=[self._data.tables[holder].table_arn],
                conditions={"ForAllValues:StringLike": {"dynamodb:LeadingKeys": [f"{REVOKED_PREFIX}*"]}},
            )
        ]


def _indexes(table_name: str, wanted: Iterable[str]) -> list[str]:
    """`wanted`, each checked to be an index of the table (a typo must not synthesize a dead grant)."""
    definition = table(table_name)
    known = {index.name for index in (*definition.gsis, *definition.lsis)}
    unknown = set(wanted) - known
    if unknown:
        raise KeyError(f"table {table_name!r} has no index {sorted(unknown)}")
    return list(wanted)
