"""The one source of truth for every stateful resource: tables and their indexes, the event bus and
its rules, queues and their dead-letter queues, secrets.

The CDK app deploys from these definitions, the local cloud creates its emulated resources from them,
and tests build their moto tables from them. Change an index here and all three change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

KeyType = Literal["S", "N"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    name: str
    pk: Key
    sk: Key | None = None
    # KEYS_ONLY keeps sparse scheduling indexes cheap; ALL where the reader needs the item.
    projection: Literal["ALL", "KEYS_ONLY"] = "ALL"


@dataclass(frozen=True)
class Table:
    """A context's table: generic `pk`/`sk`, streams on, point-in-time recovery on (in AWS)."""

    name: str
    gsis: tuple[Index, ...] = ()
    lsis: tuple[Index, ...] = ()
    ttl_attribute: str | None = "expires_at"
    stream: Literal["NEW_AND_OLD_IMAGES"] = "NEW_AND_OLD_IMAGES"
    pk: Key = Key("pk")
    sk: Key = Key("sk")

    @property
    def settings_field(self) -> str:
        """The Settings field (and `EARNLOOP_<NAME>_TABLE` variable) holding the physical name."""
        return f"{self.name}_table"

    def index(self, name: str) -> Index:
        for index in (*self.gsis, *self.lsis):
            if index.name == name:
                return index
        raise KeyError(name)


@dataclass(frozen=True)
class Queue:
    """An SQS queue feeding one worker function, with its dead-letter queue."""

    name: str
    consumer: str
    max_receive_count: int = 5
    batch_size: int = 10
    # Caps how many worker copies write to the tables at once during a promotional spike.
    max_concurrency: int = 20
    dlq_retention_days: int = 14
    retention_days: int = 4


@dataclass(frozen=True)
class Rule:
    """An EventBridge rule routing events from the bus to a queue."""

    name: str
    source: str
    detail_types: tuple[str, ...]
    queue: str
    # EventBridge content filters on `detail`, e.g. {"reference": [{"prefix": "scan#"}]}.
    detail: dict[str, list[object]] = field(default_factory=dict)

    def pattern(self) -> dict[str, object]:
        pattern: dict[str, object] = {"source": [self.source], "detail-type": list(self.detail_types)}
        if self.detail:
            pattern["detail"] = self.detail
        return pattern


@dataclass(frozen=True)
class Secret:
    """A Secrets Manager secret holding a JSON object.

    `generate` names the key that the deployment fills with a random value; `template` holds the
    other keys, which an operator replaces where they are placeholders (README: deploying).
    """

    name: str
    template: dict[str, str]
    generate: str | None = None

    @property
    def settings_field(self) -> str:
        return f"{self.name}_secret_id"


IDENTITY = Table(name="identity")

POINTS = Table(
    name="points",
    # History newest first on the owner's partition, strongly consistent (an LSI, not a GSI).
    lsis=(Index("by_time", Key("pk"), Key("lsi1sk")),),
    # Accounts by next expiry date, sharded: the expiry and reminder jobs query only what is due.
    gsis=(Index("by_expiry", Key("exp_pk"), Key("exp_sk"), projection="KEYS_ONLY"),),
)

CODES = Table(
    name="codes",
    # Claims accepted but not yet credited: the sweep finds stragglers without scanning.
    gsis=(Index("pending_claims", Key("pending_pk"), Key("pending_sk"), projection="KEYS_ONLY"),),
)

TABLES: tuple[Table, ...] = (IDENTITY, POINTS, CODES)

BUS = "bus"

QUEUES: tuple[Queue, ...] = (
    Queue(name="points", consumer="points_earn"),
    Queue(name="tags", consumer="profile_tags"),
    Queue(name="claims", consumer="scans_mark_credited"),
)

RULES: tuple[Rule, ...] = (
    Rule("scan-claimed-to-points", "earnloop.codes", ("ScanClaimed",), queue="points"),
    Rule("scan-claimed-to-tags", "earnloop.codes", ("ScanClaimed",), queue="tags"),
    Rule(
        "scan-credited-to-claims",
        "earnloop.points",
        ("PointsChanged",),
        queue="claims",
        detail={"txn_id": [{"prefix": "scan#"}]},
    ),
    # An unfreeze entry tells the points worker to release the earns held while frozen.
    Rule(
        "points-unfrozen-to-points",
        "earnloop.points",
        ("PointsChanged",),
        queue="points",
        detail={"entry_type": ["unfreeze"]},
    ),
)

SECRETS: tuple[Secret, ...] = (
    Secret("session", template={}, generate="key"),
    # Codes carry the key version that signed them; add a version, point `current` at it, and
    # codes already printed keep verifying with theirs.
    Secret("qr_keys", template={"current": "A"}, generate="A"),
    Secret("wechat", template={"app_id": "set-me"}, generate="app_secret"),
)


def table(name: str) -> Table:
    for candidate in TABLES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def queue(name: str) -> Queue:
    for candidate in QUEUES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
