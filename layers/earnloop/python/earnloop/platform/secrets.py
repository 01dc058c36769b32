"""Secrets from Secrets Manager, fetched once and cached (Powertools parameters)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities import parameters

from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.platform.snapshot import on_restore


@lru_cache(maxsize=1)
def _provider() -> parameters.SecretsProvider:
    return parameters.SecretsProvider(boto3_client=aws.client("secretsmanager"))


def secret_json(secret_id: str) -> dict[str, Any]:
    """The secret's JSON object, cached for `secret_max_age_s` so rotations reach warm containers."""
    value = _provider().get(secret_id, transform="json", max_age=get_settings().secret_max_age_s)
    if not isinstance(value, dict):
        raise TypeError(f"secret {secret_id} is not a JSON object")
    return value


@on_restore
def reset_cache() -> None:
    """Forgets the cached values (and the provider's client): a restored snapshot reads them again."""
    _provider.cache_clear()
