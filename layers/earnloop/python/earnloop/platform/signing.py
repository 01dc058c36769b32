"""Signatures whose private half never leaves KMS: the session key.

Only the function that issues sessions may call `kms:Sign`, and only with the current version; every
other function verifies with the public halves (`kms:GetPublicKey`), fetched lazily and kept for the
container's life: an asymmetric KMS key's public half never changes, so there is nothing to refresh.
Nothing is fetched at import, so a SnapStart snapshot holds no key material and a function that
checks no token never pays for one.

A version's `kid` is its KMS key id (the UUID at the end of its ARN). Deployed functions get ARNs, so
the kid of a version is known without a call and a token naming any other kid is refused without
one: an attacker cannot make a function call KMS by inventing kids.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from jwt.algorithms import ECAlgorithm
from jwt.utils import der_to_raw_signature

from earnloop.platform import aws
from earnloop.platform.resources import SESSION_KEY, SigningKey
from earnloop.platform.settings import get_settings


class UnknownKeyError(LookupError):
    """A kid that is no version of the key this stage trusts."""


@dataclass(frozen=True)
class PublicKey:
    kid: str
    key: ec.EllipticCurvePublicKey
    algorithm: str

    def jwk(self) -> dict[str, str]:
        """RFC 7517 JWK of the public half, as a JWKS lists it."""
        jwk: dict[str, str] = ECAlgorithm.to_jwk(self.key, as_dict=True)
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


def kid_of(reference: str) -> str | None:
    """The key id a KMS key ARN names, or None for an alias or bare id (known only to KMS)."""
    if reference.startswith("arn:") and ":key/" in reference:
        return reference.rsplit("/", 1)[1]
    return None


@cache
def _public_key(reference: str, algorithm: str, kms_algorithm: str) -> PublicKey:
    response = aws.client("kms").get_public_key(KeyId=reference)
    if response.get("KeyUsage") != "SIGN_VERIFY" or kms_algorithm not in response.get(
        "SigningAlgorithms", []
    ):
        raise RuntimeError(f"KMS key {reference} cannot sign with {kms_algorithm}")
    key = load_der_public_key(response["PublicKey"])
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise RuntimeError(f"KMS key {reference} is not a P-256 key")
    # AWS answers the key's ARN, moto its bare id: the kid is the id either way.
    key_id = str(response["KeyId"])
    return PublicKey(kid_of(key_id) or key_id, key, algorithm)


@cache
def _signing_kid(reference: str) -> str:
    kid = kid_of(reference)
    if kid is not None:
        return kid
    # Locally the version is named by alias: ask KMS which key it points at (no IAM there).
    return str(aws.client("kms").describe_key(KeyId=reference)["KeyMetadata"]["KeyId"])


class KeyVersions:
    """The versions of a signing key this stage trusts (`Settings.key_ids`), the signing one first."""

    def __init__(self, definition: SigningKey, references: list[str]) -> None:
        if not references:
            raise ValueError(f"signing key {definition.name} has no version")
        self.definition = definition
        self.references = tuple(references)

    def _load(self, reference: str) -> PublicKey:
        return _public_key(reference, self.definition.jws_algorithm, self.definition.kms_algorithm)

    def public_key(self, kid: str) -> PublicKey:
        """The public half of version `kid`.

        Raises:
            UnknownKeyError: no trusted version has that kid (retired, another stage's, invented).
        """
        for reference in self.references:
            # An ARN names its kid; an alias (the local cloud) must be asked once.
            if (kid_of(reference) or self._load(reference).kid) == kid:
                return self._load(reference)
        raise UnknownKeyError(kid)

    def public_keys(self) -> list[PublicKey]:
        """Every trusted version's public half, the signing one first (what the JWKS serves)."""
        return [self._load(reference) for reference in self.references]

    @property
    def signing_kid(self) -> str:
        return _signing_kid(self.references[0])

    def sign(self, message: bytes) -> bytes:
        """The JWS signature of `message` by the current version (raw `r || s`, RFC 7518 3.4)."""
        response: dict[str, Any] = aws.client("kms").sign(
            KeyId=self.references[0],
            Message=message,
            MessageType="RAW",
            SigningAlgorithm=self.definition.kms_algorithm,
        )
        # KMS answers an ASN.1 DER ECDSA signature; a JWS carries the two integers side by side.
        return der_to_raw_signature(response["Signature"], ec.SECP256R1())


def session_key() -> KeyVersions:
    return KeyVersions(SESSION_KEY, get_settings().key_ids(SESSION_KEY.name))


def forget_keys() -> None:
    """Forgets cached public halves (tests switch between clouds whose keys differ)."""
    _public_key.cache_clear()
    _signing_kid.cache_clear()
