"""Session tokens: ES256, signed in KMS by the session key's current version, verified with its public
halves, the version picked by `kid`; anything else is 401."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from earnloop.platform import aws, signing
from earnloop.platform.auth import Principal, issue_token, verify_token
from earnloop.platform.errors import UnauthenticatedError
from earnloop.platform.settings import get_settings
from jwt.utils import der_to_raw_signature

from tests.support.lambdas import assert_problem, call_http

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CLAIMS = {"sub": "u1", "sid": "s1", "roles": ["admin"], "iss": "earnloop", "iat": int(NOW.timestamp())}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}".encode()
    return f"{signing_input.decode()}.{_b64(sign(signing_input))}"


def _kms_signer(key_id: str) -> Callable[[bytes], bytes]:
    def sign(message: bytes) -> bytes:
        der = aws.client("kms").sign(
            KeyId=key_id, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
        )["Signature"]
        return der_to_raw_signature(der, ec.SECP256R1())

    return sign


def _current_kid() -> str:
    return signing.session_key().signing_kid


def _new_kms_key() -> dict[str, str]:
    metadata = aws.client("kms").create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    return {"id": metadata["KeyId"], "arn": metadata["Arn"]}


@pytest.fixture
def trust(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Sets the session key versions this stage trusts (`EARNLOOP_KEYS`), the signing one first."""

    def trust_versions(*arns: str) -> None:
        monkeypatch.setenv("EARNLOOP_KEYS", json.dumps({"session": list(arns)}))
        get_settings.cache_clear()

    yield trust_versions
    get_settings.cache_clear()


def test_a_token_login_signs_names_its_user_and_roles_until_it_expires(moto_cloud):
    token, ttl = issue_token(Principal(user_id="u1", roles=frozenset({"admin"})), NOW)

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "ES256", "typ": "JWT", "kid": _current_kid()}
    principal = verify_token(token, NOW + timedelta(seconds=ttl - 1))
    assert principal.user_id == "u1" and principal.is_admin
    with pytest.raises(UnauthenticatedError, match="expired"):
        verify_token(token, NOW + timedelta(seconds=ttl))


def test_anyone_can_verify_a_token_with_the_published_public_key(moto_cloud):
    token, _ = issue_token(Principal(user_id="u1"), NOW)
    jwks = call_http("jwks")

    assert jwks.status == 200 and jwks.headers["cache-control"] == "public, max-age=300"
    (jwk,) = jwks.json["keys"]
    assert jwk["kid"] == _current_kid() and (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "P-256", "ES256")
    assert "d" not in jwk  # never the private half
    public = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, public, algorithms=["ES256"], issuer="earnloop", options={"verify_exp": False})
    assert claims["sub"] == "u1"


def test_a_token_signed_by_another_key_under_the_trusted_kid_is_refused(moto_cloud):
    impostor = ec.generate_private_key(ec.SECP256R1())
    header = {"alg": "ES256", "typ": "JWT", "kid": _current_kid()}
    forged = jwt.encode({**CLAIMS, "exp": CLAIMS["iat"] + 60}, impostor, algorithm="ES256", headers=header)

    with pytest.raises(UnauthenticatedError, match="invalid"):
        verify_token(forged, NOW)


def test_an_hs256_token_keyed_with_the_public_key_is_refused(moto_cloud):
    # Algorithm confusion: a verifier that let the token choose HS256 would check this HMAC with the
    # (public, published) key bytes as the secret, and accept it.
    (jwk,) = call_http("jwks").json["keys"]
    public_pem = jwt.PyJWK(jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": _current_kid()}
    claims = {**CLAIMS, "exp": CLAIMS["iat"] + 60}
    for secret in (public_pem, json.dumps(jwk).encode()):
        confused = _token(header, claims, lambda m, s=secret: hmac.new(s, m, hashlib.sha256).digest())
        with pytest.raises(UnauthenticatedError, match="invalid"):
            verify_token(confused, NOW)


def test_an_unsigned_token_is_refused(moto_cloud):
    for alg in ("none", "None", "NONE"):
        header = {"alg": alg, "typ": "JWT", "kid": _current_kid()}
        unsigned = _token(header, {**CLAIMS, "exp": CLAIMS["iat"] + 60}, lambda _m: b"")
        with pytest.raises(UnauthenticatedError):
            verify_token(unsigned, NOW)
    with pytest.raises(UnauthenticatedError):
        verify_token(jwt.encode({**CLAIMS, "exp": CLAIMS["iat"] + 60}, None, algorithm="none"), NOW)


def test_a_token_of_an_unknown_or_missing_kid_is_refused(moto_cloud):
    # A real KMS key of the same account, signing correctly, that this stage does not trust.
    stranger = _new_kms_key()
    claims = {**CLAIMS, "exp": CLAIMS["iat"] + 60}
    unknown = _token(
        {"alg": "ES256", "typ": "JWT", "kid": stranger["id"]}, claims, _kms_signer(stranger["arn"])
    )
    no_kid = _token({"alg": "ES256", "typ": "JWT"}, claims, _kms_signer(_current_kid()))

    with pytest.raises(UnauthenticatedError, match="unknown key"):
        verify_token(unknown, NOW)
    with pytest.raises(UnauthenticatedError, match="no key"):
        verify_token(no_kid, NOW)
    with pytest.raises(UnauthenticatedError):
        verify_token("not-a-token", NOW)


def test_a_token_from_another_issuer_or_without_expiry_is_refused(moto_cloud):
    header = {"alg": "ES256", "typ": "JWT", "kid": _current_kid()}
    sign = _kms_signer(_current_kid())
    # The same key and signature path as a real token: only the claims differ.
    assert verify_token(_token(header, {**CLAIMS, "exp": CLAIMS["iat"] + 60}, sign), NOW).user_id == "u1"
    with pytest.raises(UnauthenticatedError):
        verify_token(_token(header, {**CLAIMS, "iss": "someone-else", "exp": CLAIMS["iat"] + 60}, sign), NOW)
    with pytest.raises(UnauthenticatedError):
        verify_token(_token(header, CLAIMS, sign), NOW)


def test_rotation_new_tokens_use_the_new_version_old_ones_verify_until_it_is_retired(moto_cloud, trust):
    old, new = _new_kms_key(), _new_kms_key()
    trust(old["arn"])
    old_token, _ = issue_token(Principal(user_id="u1"), NOW)
    assert jwt.get_unverified_header(old_token)["kid"] == old["id"]

    # The new version signs; the old one still verifies during the grace period.
    trust(new["arn"], old["arn"])
    new_token, _ = issue_token(Principal(user_id="u2"), NOW)
    assert jwt.get_unverified_header(new_token)["kid"] == new["id"]
    assert verify_token(old_token, NOW).user_id == "u1"
    assert verify_token(new_token, NOW).user_id == "u2"
    assert [key["kid"] for key in call_http("jwks").json["keys"]] == [new["id"], old["id"]]

    # Retired: tokens it signed are refused, the new ones still pass.
    trust(new["arn"])
    with pytest.raises(UnauthenticatedError, match="unknown key"):
        verify_token(old_token, NOW)
    assert verify_token(new_token, NOW).user_id == "u2"


def test_a_function_answers_a_forged_token_with_a_401_problem_and_a_bearer_challenge(moto_cloud):
    impostor = ec.generate_private_key(ec.SECP256R1())
    header = {"alg": "ES256", "typ": "JWT", "kid": _current_kid()}
    forged = jwt.encode({**CLAIMS, "exp": 2**40}, impostor, algorithm="ES256", headers=header)

    answer = call_http("points_get", token=forged)

    assert_problem(answer, 401, "unauthenticated")
    assert answer.headers["www-authenticate"].startswith("Bearer")
