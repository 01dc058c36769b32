"""The session key: a KMS key pair per version whose private half only `auth_login` can use; every
other function may read the public halves; unknown paths reach the `$default` function."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest
from earnloop.contexts import all_functions, routers
from earnloop.platform.app import api_routes
from earnloop.platform.not_found import served_methods

from tests.infra.conftest import PROD_CONTEXT, _synthesize, logical

if TYPE_CHECKING:
    from tests.infra.conftest import Synthesized

pytestmark = pytest.mark.infra

SPECS = all_functions()
VERIFIERS = sorted(s.name for s in SPECS for g in s.grants if (g.kind, g.access) == ("key", "verify"))


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> Synthesized:
    """A stage in a rotation's grace period: version 2 signs, version 1 still verifies."""
    return _synthesize(tmp_path_factory, "prod", {**PROD_CONTEXT, "session_keys": "2,1"})


def _keys(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """The session key's versions (the stack has other KMS keys: the event archive's, ...)."""
    return {k: v for k, v in synth.of_type("AWS::KMS::Key").items() if k.startswith("KeysSession")}


def _version(synth: Synthesized, version: str) -> str:
    (found,) = [key for key in _keys(synth) if key.startswith(f"KeysSession{version}")]
    return found


def _environment(synth: Synthesized, function: str) -> dict[str, Any]:
    return synth.props(synth.function(function))["Environment"]["Variables"]  # type: ignore[no-any-return]


def _session_versions(synth: Synthesized, function: str) -> list[str]:
    """The key logical ids a function's `EARNLOOP_KEYS` names for `session`, in order."""
    text = json.dumps(_environment(synth, function)["EARNLOOP_KEYS"])
    keys = [key for key in _keys(synth) if key in text]
    return sorted(keys, key=text.index)


def test_each_version_is_an_ecc_sign_verify_key_deleted_a_week_after_it_leaves(synth) -> None:
    (key,) = _keys(synth).values()

    assert key["Properties"]["KeySpec"] == "ECC_NIST_P256"
    assert key["Properties"]["KeyUsage"] == "SIGN_VERIFY"
    assert key["Properties"]["PendingWindowInDays"] == 7
    # Never retained: losing it logs users out, and a rolled-back first deploy must leave nothing.
    assert key["DeletionPolicy"] == "Delete"


def test_only_the_login_role_can_sign_and_only_with_the_current_version(synth, rotated) -> None:
    for synthesized, current in ((synth, _version(synth, "1")), (rotated, _version(rotated, "2"))):
        signers = {
            spec.name: {
                resource for action, resource in synthesized.permissions(spec.name) if action == "kms:Sign"
            }
            for spec in SPECS
        }
        assert {name: found for name, found in signers.items() if found} == {"auth_login": {f"{current}.Arn"}}
        for spec in SPECS:
            actions = {action for action, _ in synthesized.permissions(spec.name)}
            assert not any(
                a.startswith("kms:") and a not in ("kms:Sign", "kms:GetPublicKey") for a in actions
            )


def test_every_token_checker_reads_the_public_half_of_every_version(synth, rotated) -> None:
    assert "me_get" in VERIFIERS and "admin_users_freeze" in VERIFIERS and "auth_login" not in VERIFIERS
    for synthesized in (synth, rotated):
        versions = {f"{key}.Arn" for key in _keys(synthesized)}
        for spec in SPECS:
            readers = {r for a, r in synthesized.permissions(spec.name) if a == "kms:GetPublicKey"}
            assert readers == (versions if spec.name in VERIFIERS else set()), spec.name


def test_every_token_checker_may_query_the_revoked_sessions_and_no_other_identity_item(synth) -> None:
    """Logouts, bans and deletions (platform/sessions.py): a checker that has no grant on the
    identity table may Query it only in the `REVOKED#` partitions, and do nothing else there."""
    identity = f"{synth.table('identity')}.Arn"
    checked = 0
    for name in VERIFIERS:
        if any(
            g.kind == "table" and g.name == "identity"
            for g in next(s for s in SPECS if s.name == name).grants
        ):
            continue
        on_identity = [
            statement
            for statement in synth.statements(name)
            if any(logical(resource) == identity for resource in _as_list(statement["Resource"]))
        ]
        assert [(s["Action"], s.get("Condition")) for s in on_identity] == [
            ("dynamodb:Query", {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["REVOKED#*"]}})
        ], name
        checked += 1
    assert checked > 10  # points, codes, content and mall routes check tokens without reading identity


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_every_function_learns_the_versions_signing_one_first(synth, rotated) -> None:
    assert _session_versions(synth, "me_get") == [_version(synth, "1")]
    for spec in SPECS:
        assert _session_versions(rotated, spec.name) == [_version(rotated, "2"), _version(rotated, "1")]


def test_the_key_policy_lets_no_principal_but_the_login_role_sign(synth, rotated) -> None:
    login_role = synth.role_of("auth_login")
    current = synth.props(_version(synth, "1"))["KeyPolicy"]["Statement"]
    (deny,) = [s for s in current if s["Effect"] == "Deny"]
    assert (deny["Action"], deny["Principal"]) == ("kms:Sign", {"AWS": "*"})
    (allowed,) = deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
    # The login role lives in the identity context's stack; the key policy (parent) spells its ARN
    # from the role's fixed name, which carries the region (IAM names are account-wide).
    role_name = logical(synth.props(login_role)["RoleName"])
    assert role_name == "earnloop-prod-auth_login-AWS::Region"
    assert logical(allowed) == f"arn:AWS::Partition:iam::AWS::AccountId:role/{role_name}"
    # No other role has a fixed name: CloudFormation names them, so nothing collides.
    named = [key for key, role in synth.of_type("AWS::IAM::Role").items() if "RoleName" in role["Properties"]]
    assert named == [login_role]
    # A retired version signs for nobody.
    retired = rotated.props(_version(rotated, "1"))["KeyPolicy"]["Statement"]
    (deny,) = [s for s in retired if s["Effect"] == "Deny"]
    assert (deny["Action"], deny["Principal"], deny.get("Condition")) == ("kms:Sign", {"AWS": "*"}, None)


def test_no_session_secret_is_deployed(synth) -> None:
    names = {props["Properties"]["Name"] for props in synth.of_type("AWS::SecretsManager::Secret").values()}
    assert not any(name.endswith("/session") for name in names)


def test_unknown_paths_go_to_the_not_found_function_which_knows_every_route(synth) -> None:
    routes = synth.of_type("AWS::ApiGatewayV2::Route")
    (default,) = [r["Properties"] for r in routes.values() if r["Properties"]["RouteKey"] == "$default"]
    integration_id = default["Target"]["Fn::Join"][1][1]["Ref"]
    target = synth.props(integration_id)["IntegrationUri"]["Ref"]
    version = synth.props(target)["FunctionVersion"]["Fn::GetAtt"][0]
    assert synth.props(version)["FunctionName"]["Ref"] == synth.function("not_found")

    table = json.loads(_environment(synth, "not_found")["EARNLOOP_ROUTES"])
    assert table == served_methods(api_routes(routers()))
    assert "EARNLOOP_ROUTES" not in _environment(synth, "me_get")
