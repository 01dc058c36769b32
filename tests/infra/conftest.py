"""The CDK app, synthesized once per session (about 10-30 s), and ways to read its template.

The synth uses the `prod` stage (the strictest: retained, deletion-protected data, domains and an
alarm destination required, SnapStart decided by the region), the context of `cdk.json` and the
metadata switches the CLI adds, and an empty dependency layer, so the suite never downloads anything.
A second synth, of a `dev` stage with SnapStart off and none of prod's requirements, is made only for
the tests that compare the two.

The app is a parent stack and one nested stack per context, each its own template in the cloud
assembly. `Synthesized.template` is a merged view of them all: every resource of every template
(logical ids are unique across them; a nested stack's `CDKMetadata` is left out), with each nested
template's references to its parameters replaced by the parent's values for them, so a test reads
`{"Ref": <table>}` in a nested function's environment as if the function were in the parent.
`parent` is the parent's own template, `templates` every template as written, `home` tells which
nested stack (its logical id in the parent) holds a resource.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
STAGE = "prod"
# What the cdk CLI adds to the context of every synth, so the template tested is the one deployed.
CLI_CONTEXT = {
    "aws:cdk:enable-path-metadata": True,
    "aws:cdk:enable-asset-metadata": True,
    "aws:cdk:version-reporting": True,
}

# What a production stage must be given (infra/config.py); the certificate covers both hosts.
PROD_CONTEXT = {
    "code_domain": "q.example.cn",
    "api_domain": "api.example.cn",
    "certificate_arn": "arn:aws:acm:ap-east-1:123456789012:certificate/0f0e0d0c-aaaa-bbbb-cccc-123456789012",
    "alarm_email": "ops@example.com",
}
DEV_CONTEXT = {
    "code_domain": "q-dev.example.cn",
    "snapstart": "false",
    "alarm_topic_arn": "arn:aws:sns:ap-east-1:123456789012:ops",
    # The other moderation provider than prod's default, so both stages' grants are checked.
    "moderation_provider": "aws",
    "rekognition_region": "ap-southeast-1",
    # Tiers of the brand's own (test_infra_tiers.py): every function gets the same list.
    "tiers": json.dumps(
        [
            {"name": "member", "threshold": 0, "multiplier": 1},
            {"name": "vip", "threshold": 800, "multiplier": 1.3},
        ]
    ),
}

_SYNTH_SECONDS = pytest.StashKey[float]()
_TEMPLATES = pytest.StashKey[dict[str, dict[str, Any]]]()


def logical(value: Any) -> str:
    """A template value as a readable reference: `X`, `X.Arn`, `X.Arn/index/by_time`, or a literal."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return str(value["Ref"])
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        resource, attribute = value["Fn::GetAtt"]
        return f"{resource}.{attribute}"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return separator.join(logical(part) for part in parts)
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _substitute(value: Any, parameters: dict[str, Any], outputs: dict[tuple[str, str], Any]) -> Any:
    """`value` with every `{"Ref": <parameter>}` replaced by the parameter's value, and every
    `{"Fn::GetAtt": [<nested stack>, "Outputs.<name>"]}` by the nested template's output value."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in parameters:
            return parameters[value["Ref"]]
        if set(value) == {"Fn::GetAtt"} and tuple(value["Fn::GetAtt"]) in outputs:
            return outputs[tuple(value["Fn::GetAtt"])]
        return {key: _substitute(item, parameters, outputs) for key, item in value.items()}
    if isinstance(value, list):
        return [_substitute(item, parameters, outputs) for item in value]
    return value


@dataclass
class Assembly:
    """The parent template, every template by file name, the merged view, and where each resource is."""

    parent: dict[str, Any]
    templates: dict[str, dict[str, Any]]
    merged: dict[str, Any]
    home: dict[str, str | None]


def read_assembly(outdir: Path, parent_file: str) -> Assembly:
    parent = json.loads((outdir / parent_file).read_text())
    templates = {parent_file: parent}
    resources: dict[str, Any] = {}
    conditions = dict(parent.get("Conditions", {}))
    home: dict[str, str | None] = dict.fromkeys(parent["Resources"])
    # (nested stack's logical id, "Outputs.<name>") -> the value, as the parent reads it.
    outputs: dict[tuple[str, str], Any] = {}
    for stack_id, stack in parent["Resources"].items():
        if stack["Type"] != "AWS::CloudFormation::Stack":
            continue
        file = stack["Metadata"]["aws:asset:path"]
        nested = json.loads((outdir / file).read_text())
        templates[file] = nested
        parameters = stack["Properties"].get("Parameters", {})
        assert set(parameters) == set(nested.get("Parameters", {})), file
        for key, resource in nested["Resources"].items():
            if resource["Type"] == "AWS::CDK::Metadata":
                continue
            assert key not in home, f"logical id {key} is in two templates (the merged view needs one)"
            resources[key] = _substitute(resource, parameters, {})
            home[key] = stack_id
        for name, output in nested.get("Outputs", {}).items():
            outputs[(stack_id, f"Outputs.{name}")] = _substitute(output["Value"], parameters, {})
        for name, condition in nested.get("Conditions", {}).items():
            assert conditions.setdefault(name, condition) == condition, f"condition {name} differs in {file}"
    resources = {**_substitute(parent["Resources"], {}, outputs), **resources}
    merged = {**parent, "Resources": resources, "Conditions": conditions}
    return Assembly(parent, templates, merged, home)


@dataclass
class Synthesized:
    """The synthesized app: the merged template as a dict, the cloud assembly folder, the app itself."""

    app: Any
    stack: Any
    outdir: Path
    assembly: Assembly
    seconds: float
    stage: str = STAGE

    @property
    def template(self) -> dict[str, Any]:
        return self.assembly.merged

    @property
    def parent(self) -> dict[str, Any]:
        return self.assembly.parent

    @property
    def templates(self) -> dict[str, dict[str, Any]]:
        return self.assembly.templates

    @property
    def home(self) -> dict[str, str | None]:
        return self.assembly.home

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return self.template["Resources"]  # type: ignore[no-any-return]

    def of_type(self, type_: str) -> dict[str, dict[str, Any]]:
        return {key: value for key, value in self.resources.items() if value["Type"] == type_}

    def named(self, type_: str, name_property: str, name: str) -> str:
        """Logical id of the resource of `type_` whose `name_property` is `earnloop-prod-<name>`."""
        wanted = f"earnloop-{self.stage}-{name}"
        found = [
            key
            for key, value in self.of_type(type_).items()
            if value["Properties"].get(name_property) == wanted
        ]
        assert len(found) == 1, f"{type_} {wanted}: found {found}"
        return found[0]

    def function(self, name: str) -> str:
        return self.named("AWS::Lambda::Function", "FunctionName", name)

    def table(self, name: str) -> str:
        """Tables have no fixed name (CloudFormation names them): found through the construct."""
        return str(self.stack.resolve(self.stack.data.tables[name].node.default_child.logical_id))

    def queue(self, name: str) -> str:
        return self.named("AWS::SQS::Queue", "QueueName", name)

    def props(self, logical_id: str) -> dict[str, Any]:
        return self.resources[logical_id]["Properties"]  # type: ignore[no-any-return]

    def role_of(self, function: str) -> str:
        return logical(self.props(self.function(function))["Role"]).removesuffix(".Arn")

    def statements(self, function: str) -> list[dict[str, Any]]:
        """Every IAM statement of the function's role (inline policies and attached AWS::IAM::Policy)."""
        role = self.role_of(function)
        documents = [policy["PolicyDocument"] for policy in self.props(role).get("Policies", [])]
        for policy in self.of_type("AWS::IAM::Policy").values():
            if role in {logical(ref) for ref in policy["Properties"].get("Roles", [])}:
                documents.append(policy["Properties"]["PolicyDocument"])
        return [statement for document in documents for statement in document["Statement"]]

    def statement_permissions(self, function: str) -> list[set[tuple[str, str]]]:
        """(action, resource) pairs of each statement of the function's role, statement by statement."""
        return [
            {
                (action, logical(resource))
                for action in as_list(statement["Action"])
                for resource in as_list(statement["Resource"])
            }
            for statement in self.statements(function)
        ]

    def permissions(self, function: str) -> set[tuple[str, str]]:
        """(action, resource) pairs the function's role allows."""
        pairs: set[tuple[str, str]] = set()
        for statement in self.statements(function):
            assert statement["Effect"] == "Allow"
            for action in as_list(statement["Action"]):
                for resource in as_list(statement["Resource"]):
                    pairs.add((action, logical(resource)))
        return pairs


def _cdk_json_context() -> dict[str, Any]:
    return dict(json.loads((ROOT / "cdk.json").read_text()).get("context", {}))


def _synthesize(tmp_path_factory: pytest.TempPathFactory, stage: str, extra: dict[str, Any]) -> Synthesized:
    from infra.app import create_app

    outdir = tmp_path_factory.mktemp(f"cdk.out-{stage}")
    deps_layer = tmp_path_factory.mktemp("deps-layer")
    imaging_layer = tmp_path_factory.mktemp("imaging-layer")
    context = {
        **CLI_CONTEXT,
        **_cdk_json_context(),
        **extra,
        "stage": stage,
        "deps_layer": str(deps_layer),
        "imaging_layer": str(imaging_layer),
    }
    started = time.perf_counter()
    app, stack = create_app(context, outdir=str(outdir))
    app.synth()
    seconds = time.perf_counter() - started
    assembly = read_assembly(outdir, stack.template_file)
    return Synthesized(app, stack, outdir, assembly, seconds, stage)


@pytest.fixture(scope="session")
def synth(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synthesized]:
    synthesized = _synthesize(tmp_path_factory, STAGE, PROD_CONTEXT)
    request.config.stash[_SYNTH_SECONDS] = synthesized.seconds
    request.config.stash[_TEMPLATES] = synthesized.templates
    yield synthesized


@pytest.fixture(scope="session")
def dev_synth(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    return _synthesize(tmp_path_factory, "dev", DEV_CONTEXT)


def _summary(config: pytest.Config) -> list[str]:
    lines = []
    seconds = config.stash.get(_SYNTH_SECONDS, None)
    if seconds is not None:
        lines.append(f"infra: CDK app synthesized (with cdk-nag) in {seconds:.1f} s")
    templates = config.stash.get(_TEMPLATES, None)
    if templates is not None:
        from tests.infra.test_infra_limits import LIMITS, counts

        lines.append(f"infra: per template, {' / '.join(LIMITS)} (of {list(LIMITS.values())}):")
        for file, template in templates.items():
            found = counts(template)
            lines.append(f"  {file}: {' / '.join(str(found[kind]) for kind in LIMITS)}")
    return lines


def pytest_sessionfinish(session: pytest.Session) -> None:
    # On a pytest-xdist worker: the controller prints them (tests/support/worker_groups.py).
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["summary_lines"] = _summary(session.config)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for line in _summary(config):
        terminalreporter.write_line(line)
