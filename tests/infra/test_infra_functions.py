"""Functions: one per catalog entry, the same defaults for all, each with only its own grants."""

from __future__ import annotations

import ast
import json
from typing import TYPE_CHECKING

import pytest
from earnloop.contexts import all_functions, secrets, table, tables
from earnloop.platform.settings import Settings

from infra.functions import TABLE_READ, TABLE_WRITE
from infra.layer_build import PYTHON_VERSION

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.infra

SPECS = all_functions()
XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
# Actions an event source mapping or on-failure destination adds for the function that consumes it.
CONSUMER_ACTIONS = {
    "sqs:ReceiveMessage",
    "sqs:ChangeMessageVisibility",
    "sqs:GetQueueUrl",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:SendMessage",
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}


def _table_access(synth, function: str) -> dict[str, set[str]]:
    """Table name -> DynamoDB data actions the function may call on it (table or index)."""
    ids = {synth.table(definition.name): definition.name for definition in tables()}
    access: dict[str, set[str]] = {}
    for action, resource in synth.permissions(function):
        if action in TABLE_READ or action in TABLE_WRITE:
            logical_id = resource.split(".", 1)[0]
            access.setdefault(ids[logical_id], set()).add(action)
    return access


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_catalog_function_runs_on_arm64_with_a_current_python_and_both_layers(synth, spec) -> None:
    props = synth.props(synth.function(spec.name))

    assert props["Architectures"] == ["arm64"]
    major, minor = (int(part) for part in props["Runtime"].removeprefix("python").split("."))
    assert props["Runtime"] == f"python{PYTHON_VERSION}"
    assert (major, minor) >= (3, 12)
    assert props["Handler"] == "handler.lambda_handler"
    layers = {ref["Ref"] for ref in props["Layers"]}
    # The library and its dependencies, plus the optional layers (imaging) the spec declares.
    optional = {
        name: synth.stack.resolve(layer.node.default_child.logical_id)
        for name, layer in synth.stack.layers.optional.items()
    }
    shared = set(synth.of_type("AWS::Lambda::LayerVersion")) - set(optional.values())
    assert layers == shared | {optional[name] for name in spec.layers}


def test_functions_are_exactly_the_catalog(synth) -> None:
    deployed = {
        props["Properties"].get("FunctionName", key)
        for key, props in synth.of_type("AWS::Lambda::Function").items()
    }
    # CDK's handler that applies the media bucket's notifications at deploy time has no name.
    handlers = {key for key in deployed if key.startswith("BucketNotificationsHandler")}

    assert len(handlers) == 1
    assert deployed - handlers == {f"earnloop-prod-{spec.name}" for spec in SPECS}


def test_every_function_has_a_role_of_its_own(synth) -> None:
    roles = [synth.role_of(spec.name) for spec in SPECS]

    assert len(set(roles)) == len(SPECS)
    for role in roles:
        assert "ManagedPolicyArns" not in synth.props(role)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_function_gets_the_shared_defaults_and_its_spec_size(synth, spec) -> None:
    props = synth.props(synth.function(spec.name))
    log_group = props["LoggingConfig"]["LogGroup"]["Ref"]

    # Active wherever Lambda integrates X-Ray: not in the China partition, where it passes through.
    condition, offered, elsewhere = props["TracingConfig"]["Fn::If"]
    assert (offered, elsewhere) == ({"Mode": "Active"}, {"Mode": "PassThrough"})
    assert synth.template["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AWS::Partition"}, "aws-cn"]}]
    }
    assert props["LoggingConfig"]["LogFormat"] == "JSON"
    assert synth.props(log_group)["RetentionInDays"] > 0
    assert synth.props(log_group)["LogGroupName"] == f"/aws/lambda/earnloop-prod-{spec.name}"
    assert props["MemorySize"] == spec.memory_mb
    assert props["Timeout"] == spec.timeout_s


def test_every_function_is_told_where_every_resource_is(synth) -> None:
    expected = {
        "EARNLOOP_STAGE",
        "EARNLOOP_EVENT_BUS",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "EARNLOOP_TABLES",
        "EARNLOOP_SECRETS",
        "EARNLOOP_QR_URL_BASE",
        "EARNLOOP_KEYS",
        "EARNLOOP_BUCKETS",
        # The stage's moderation provider (test_infra_moderation checks its value and its grants).
        "EARNLOOP_MODERATION_PROVIDER",
        # A deployed stage holds a new account's earns (test_infra_stages checks the value).
        "EARNLOOP_PENDING_DELAY_HOURS",
    }
    for spec in SPECS:
        variables = synth.props(synth.function(spec.name))["Environment"]["Variables"]
        # The `$default` function alone gets the route table (405 with `Allow`).
        assert set(variables) == expected | ({"EARNLOOP_ROUTES"} if spec.default_route else set())
        assert variables["EARNLOOP_STAGE"] == "prod"
        # Printed codes name the stage's code domain, never the library's local default.
        assert variables["EARNLOOP_QR_URL_BASE"] == "https://q.example.cn/q/"
        # JSON objects joined from the resources' references: every table and secret is named.
        tables_json = json.dumps(variables["EARNLOOP_TABLES"])
        for definition in tables():
            assert f'\\"{definition.name}\\":\\"' in tables_json
            assert json.dumps({"Ref": synth.table(definition.name)}) in tables_json
        secrets_json = json.dumps(variables["EARNLOOP_SECRETS"])
        for secret in secrets():
            assert f'\\"{secret.name}\\":\\"' in secrets_json
        earnloop = {
            name.removeprefix("EARNLOOP_").lower() for name in variables if name.startswith("EARNLOOP_")
        }
        assert earnloop <= set(Settings.model_fields)


def _expected_table_permissions(synth, spec) -> set[tuple[str, str]]:
    """Read on the table and on exactly the indexes the grant names; write on the table;
    DeleteItem only with `delete=True`."""
    expected: set[tuple[str, str]] = set()
    read_tables = {grant.name for grant in spec.grants if grant.kind == "table" and not grant.prefixes}
    for grant in spec.grants:
        if (grant.kind, grant.access) == ("key", "verify") and "identity" not in read_tables:
            # A token checker queries the revoked sessions (platform/sessions.py; test_infra_keys).
            expected.add(("dynamodb:Query", f"{synth.table('identity')}.Arn"))
        if grant.kind != "table":
            continue
        arn = f"{synth.table(grant.name)}.Arn"
        if grant.prefixes:  # a Query of those partitions only (test_audit_reads_are_partitions_only)
            expected.add(("dynamodb:Query", arn))
            continue
        for resource in (arn, *(f"{arn}/index/{index}" for index in grant.indexes)):
            expected |= {(action, resource) for action in TABLE_READ}
        if grant.access != "read":
            expected |= {(action, arn) for action in TABLE_WRITE}
            if grant.delete:
                expected.add(("dynamodb:DeleteItem", arn))
    return expected


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_table_permissions_are_exactly_the_catalog_grants(synth, spec) -> None:
    granted = {
        (action, resource)
        for action, resource in synth.permissions(spec.name)
        if action.startswith("dynamodb:") and action not in CONSUMER_ACTIONS
    }

    assert granted == _expected_table_permissions(synth, spec)


def test_audit_reads_are_partitions_only(synth) -> None:
    """`GET /v1/admin/audit` may Query each context's `AUDIT#<day>` partitions (and, on identity,
    the revoked sessions every token checker reads), and nothing else of those tables."""
    from tests.infra.conftest import as_list, logical

    names = ("points", "identity", "codes", "mall", "content")
    audited = {f"{synth.table(name)}.Arn": name for name in names}
    seen = {}
    for statement in synth.statements("admin_audit_list"):
        resources = {logical(resource) for resource in as_list(statement["Resource"])}
        if not resources & set(audited):
            continue
        assert as_list(statement["Action"]) == ["dynamodb:Query"], statement
        [resource] = resources
        seen[audited[resource]] = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert seen == {
        "points": ["AUDIT#*"],
        "identity": ["AUDIT#*", "REVOKED#*"],
        "codes": ["AUDIT#*"],
        "mall": ["AUDIT#*"],
        "content": ["AUDIT#*"],
    }


def test_only_functions_that_delete_may_delete_and_only_queried_indexes_are_readable(synth) -> None:
    deleters = {spec.name for spec in SPECS if any(g.kind == "table" and g.delete for g in spec.grants)}
    index_readers = {spec.name for spec in SPECS if any(g.kind == "table" and g.indexes for g in spec.grants)}

    assert deleters == {
        spec.name
        for spec in SPECS
        if any(action == "dynamodb:DeleteItem" for action, _ in synth.permissions(spec.name))
    }
    assert index_readers == {
        spec.name
        for spec in SPECS
        if any("/index/" in resource for _, resource in synth.permissions(spec.name))
    }
    # The catalog today: the points worker deletes holds; history and the sweep query an index each.
    assert "points_earn" in deleters
    assert {"points_history", "claims_sweep"} <= index_readers
    assert "me_get" not in index_readers


def test_no_statement_grants_nothing(synth) -> None:
    for spec in SPECS:
        pairs = synth.statement_permissions(spec.name)
        for index, statement_pairs in enumerate(pairs):
            # Not empty, and not already allowed by the role's other statements.
            others = set().union(*(p for i, p in enumerate(pairs) if i != index))
            assert statement_pairs, (spec.name, index)
            assert not statement_pairs <= others, (spec.name, sorted(statement_pairs))


def test_scans_create_writes_the_codes_table_but_only_reads_and_condition_checks_points_and_identity(
    synth,
) -> None:
    access = _table_access(synth, "scans_create")

    assert {"dynamodb:PutItem", "dynamodb:UpdateItem"} <= access["codes"]
    # ConditionChecks: the points account is not frozen, the scanner's user exists.
    for other in ("points", "identity"):
        assert access[other] == set(TABLE_READ)
        assert "dynamodb:ConditionCheckItem" in access[other]
    assert set(access) == {"codes", "points", "identity"}


def test_points_get_cannot_write_anything(synth) -> None:
    actions = {action for action, _ in synth.permissions("points_get")}

    assert not actions & set(TABLE_WRITE)
    assert not {action for action in actions if action.startswith(("sqs:", "events:"))}


def test_index_queries_reach_only_the_indexes_a_table_defines(synth) -> None:
    for spec in SPECS:
        for action, resource in synth.permissions(spec.name):
            if "/index/" in resource:
                logical_id, index = resource.split(".Arn/index/")
                name = next(d.name for d in tables() if synth.table(d.name) == logical_id)
                table(name).index(index)
                assert action in TABLE_READ


def test_no_wildcard_action_or_resource_except_x_ray(synth) -> None:
    for spec in SPECS:
        for action, resource in synth.permissions(spec.name):
            assert "*" not in action, (spec.name, action)
            if "*" in resource and action.startswith("s3:"):
                # Objects under one prefix of a bucket (keys carry ids made at upload time).
                bucket, _, prefix = resource.partition(".Arn/")
                assert bucket in synth.resources and prefix.count("*") == 1, (spec.name, resource)
                assert prefix.endswith("/*") and len(prefix) > 2, (spec.name, resource)
            elif "*" in resource:
                assert action in XRAY, (spec.name, action, resource)


def test_secrets_are_readable_only_by_the_functions_granted_them(synth) -> None:
    ids = {
        logical_id: props["Properties"]["Name"].rsplit("/", 1)[-1].replace("-", "_")
        for logical_id, props in synth.of_type("AWS::SecretsManager::Secret").items()
    }
    for spec in SPECS:
        granted = {grant.name for grant in spec.grants if grant.kind == "secret"}
        readable = {
            ids[resource]
            for action, resource in synth.permissions(spec.name)
            if action == "secretsmanager:GetSecretValue"
        }
        actions = {
            action for action, _ in synth.permissions(spec.name) if action.startswith("secretsmanager:")
        }
        assert readable == granted, spec.name
        assert actions <= {"secretsmanager:GetSecretValue"}


def test_only_functions_granted_the_bus_may_put_events(synth) -> None:
    bus = next(iter(synth.of_type("AWS::Events::EventBus")))
    for spec in SPECS:
        puts = {resource for action, resource in synth.permissions(spec.name) if action == "events:PutEvents"}
        assert puts == ({f"{bus}.Arn"} if any(g.kind == "bus" for g in spec.grants) else set()), spec.name


def test_each_role_writes_logs_only_to_its_own_log_group(synth) -> None:
    for spec in SPECS:
        log_group = synth.props(synth.function(spec.name))["LoggingConfig"]["LogGroup"]["Ref"]
        logs = {(a, r) for a, r in synth.permissions(spec.name) if a.startswith("logs:")}
        assert logs == {
            ("logs:CreateLogStream", f"{log_group}.Arn"),
            ("logs:PutLogEvents", f"{log_group}.Arn"),
        }


def test_no_role_holds_an_action_outside_its_grants_and_its_event_sources(synth) -> None:
    granted_kinds = {
        "dynamodb:",
        "secretsmanager:GetSecretValue",
        "events:PutEvents",
        "logs:",
        "xray:",
        "kms:Sign",
        "kms:GetPublicKey",
        "s3:GetObject",
        "s3:PutObject",
        "s3:DeleteObject",
    }
    for spec in SPECS:
        for action, _ in synth.permissions(spec.name):
            if action in CONSUMER_ACTIONS:
                assert spec.kind in ("queue", "stream", "schedule"), (spec.name, action)
                continue
            assert action.startswith(tuple(granted_kinds)), (spec.name, action)


def _library_asset(synth) -> Path:
    library = next(key for key in synth.of_type("AWS::Lambda::LayerVersion") if "Library" in key)
    key = synth.props(library)["Content"]["S3Key"]
    return synth.outdir / f"asset.{key.removesuffix('.zip')}"


def test_the_library_layer_ships_nothing_local(synth) -> None:
    asset = _library_asset(synth)
    shipped = [path.relative_to(asset).as_posix() for path in asset.rglob("*")]

    assert "python/earnloop/platform/settings.py" in shipped
    assert not [path for path in shipped if path.startswith("python/earnloop/local")]
    assert not [path for path in shipped if "__pycache__" in path or path.endswith((".pyc", ".egg-info"))]


def test_no_shipped_module_imports_the_local_cloud(synth) -> None:
    for module in (_library_asset(synth) / "python").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text(), filename=str(module))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            assert not [name for name in names if name.startswith("earnloop.local")], module


def test_both_layers_target_the_functions_runtime_and_architecture(synth) -> None:
    for props in synth.of_type("AWS::Lambda::LayerVersion").values():
        assert props["Properties"]["CompatibleRuntimes"] == [f"python{PYTHON_VERSION}"]
        assert props["Properties"]["CompatibleArchitectures"] == ["arm64"]
