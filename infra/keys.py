"""The signing keys the contexts declare (`earnloop.contexts.signing_keys()`): asymmetric KMS keys.

Each version of a key is its own KMS key (ECC_NIST_P256, SIGN_VERIFY), generated inside KMS, whose
private half never leaves it. The stage lists the versions (`session_keys` context, the signing one
first); a version dropped from the list is deleted by the next deploy after KMS's 7-day waiting
period, by which time every token it signed has long expired (2 hours, `Settings.token_ttl_s`).
Losing a version only logs users out, so keys are never retained, and a rolled-back first deploy
leaves nothing with a fixed name behind.

The key policy backs up the IAM grants: it denies `kms:Sign` to every principal but the roles of the
functions granted `sign`, and to everyone on a version that no longer signs, so neither a broad IAM
policy elsewhere in the account nor a mistaken grant can mint a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct
from earnloop.contexts import signing_keys

from infra.naming import construct_id

if TYPE_CHECKING:
    from collections.abc import Sequence

    from infra.config import StageConfig

# Long enough to undo a mistaken removal, longer than nothing: tokens live 2 hours anyway.
PENDING_WINDOW = Duration.days(7)


class SigningKeys(Construct):
    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        # logical name -> its versions, the signing one first.
        self.versions: dict[str, list[kms.Key]] = {}
        for definition in signing_keys():
            versions = []
            for version in self._version_names(definition.name, config):
                key = kms.Key(
                    self,
                    f"{construct_id(definition.name)}{version}",
                    description=f"earnloop {config.stage}: {definition.name} signing key, version {version}",
                    key_spec=kms.KeySpec(definition.spec),
                    key_usage=kms.KeyUsage.SIGN_VERIFY,
                    removal_policy=RemovalPolicy.DESTROY,
                    pending_window=PENDING_WINDOW,
                )
                versions.append(key)
            self.versions[definition.name] = versions

    @staticmethod
    def _version_names(name: str, config: StageConfig) -> Sequence[str]:
        if name == "session":
            return config.session_keys
        raise KeyError(f"say in infra/config.py which versions of signing key {name!r} a stage has")

    def current(self, name: str) -> kms.Key:
        return self.versions[name][0]

    def arns(self) -> dict[str, list[str]]:
        """What `Settings.keys` reads: logical name -> version ARNs, the signing one first."""
        return {name: [key.key_arn for key in versions] for name, versions in self.versions.items()}

    def sign_only_by(self, name: str, roles: Sequence[iam.IRole]) -> None:
        """Denies `kms:Sign` on the current version to every principal but `roles`, and on the older
        versions to everyone."""
        current, *older = self.versions[name]
        current.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OnlyTheLoginSigns",
                effect=iam.Effect.DENY,
                principals=[iam.AnyPrincipal()],
                actions=["kms:Sign"],
                resources=["*"],
                conditions={"ArnNotEquals": {"aws:PrincipalArn": [role.role_arn for role in roles]}},
            )
        )
        for key in older:
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid="RetiredVersionsVerifyOnly",
                    effect=iam.Effect.DENY,
                    principals=[iam.AnyPrincipal()],
                    actions=["kms:Sign"],
                    resources=["*"],
                )
            )
