"""The secrets the contexts declare (`earnloop.contexts.secrets()`), named `earnloop/<stage>/<name>`."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_cdk import SecretValue
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct
from earnloop.contexts import secrets
from earnloop.platform.resources import Secret

from infra import nag
from infra.naming import construct_id, secret_name

if TYPE_CHECKING:
    from infra.config import StageConfig

# Why no automatic rotation, per secret. A rotation Lambda would replace the value in place, which
# is wrong for every one of them (docs/deploy.md: rotating keys).
_NO_ROTATION = {
    "session": (
        "the session key signs HS256 tokens; replacing it in place logs every user out, so it is "
        "rotated by an operator in a quiet hour (docs/deploy.md)"
    ),
    "qr_keys": (
        "QR keys sign codes already printed on packs; rotation adds a new key version and moves "
        "`current`, old versions must stay to verify printed codes, so no in-place rotation"
    ),
    "wechat": (
        "the WeChat app secret is issued by the WeChat platform and is reset there by an "
        "operator, then stored here; AWS cannot rotate it"
    ),
}


def _value(definition: Secret) -> dict[str, Any]:
    """The template with its `generate` key random; a template alone holds only placeholders."""
    if definition.generate:
        generator = secretsmanager.SecretStringGenerator(
            secret_string_template=json.dumps(definition.template),
            generate_string_key=definition.generate,
            password_length=64,
            exclude_punctuation=True,
        )
        return {"generate_secret_string": generator}
    return {"secret_string_value": SecretValue.unsafe_plain_text(json.dumps(definition.template))}


class Secrets(Construct):
    """Each secret is a JSON object: its template, with the `generate` key filled at deploy time."""

    def __init__(self, scope: Construct, id: str, *, config: StageConfig) -> None:
        super().__init__(scope, id)
        self.secrets: dict[str, secretsmanager.Secret] = {}
        for definition in secrets():
            if definition.name not in _NO_ROTATION:
                raise KeyError(f"say in infra/secrets.py how secret {definition.name!r} is rotated")
            secret = secretsmanager.Secret(
                self,
                construct_id(definition.name),
                secret_name=secret_name(config.stage, definition.name),
                description=f"earnloop {config.stage}: {definition.name}",
                removal_policy=config.removal_policy,
                **_value(definition),
            )
            nag.acknowledge(secret, "SMG4", _NO_ROTATION[definition.name])
            self.secrets[definition.name] = secret
