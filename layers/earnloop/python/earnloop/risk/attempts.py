"""One limited attempt of a command (a like, a comment, a share, a redemption): refused from its
counters' read when a subject is over its limit, counted inside the command's own transaction when
that commits, and by its own write otherwise (a refusal for a business reason, a repeat that
changed nothing), so every attempt costs a unit of each subject's sliding-window allowance.

The command's shape:

    with limiter.attempt("like", user_id, caller, limits, now) as attempt:
        transact(ddb, [*attempt.actions(), *the_command_items])
        attempt.counted()
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends

from earnloop.platform.errors import EarnloopError, RateLimitedError
from earnloop.risk import client
from earnloop.risk.counters import RiskCounters, count_actions

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.platform.dynamo import TxAction
    from earnloop.risk.windows import Gate, SlidingWindow


@dataclass(frozen=True)
class Caller:
    """Where a request comes from, beyond its user: the device id it sent, the IP API Gateway saw."""

    device_id: str | None = None
    ip: str | None = None


def caller(ip: client.SourceIp, device_id: client.DeviceId = None) -> Caller:
    return Caller(device_id=device_id, ip=ip)


CallerDep = Annotated[Caller, Depends(caller)]


@dataclass(frozen=True)
class Limits:
    """Attempts one action allows per sliding window, per user, device id and client IP."""

    per_user: int
    per_device: int
    per_ip: int


class Attempt:
    """An attempt let through its gate; `counted()` once the transaction holding `actions()` commits."""

    def __init__(self, table: str, gate: Gate) -> None:
        self.gate = gate
        self._table = table
        self._counted = False

    def actions(self) -> list[TxAction]:
        """The attempt's counting as items of the command's transaction. Put them first: when the
        transaction fails several ways, a subject over its limit is the answer (429)."""
        return count_actions(self._table, self.gate)

    def counted(self) -> None:
        self._counted = True

    @property
    def is_counted(self) -> bool:
        return self._counted


class Limiter:
    """The limits of the actions whose counters live in one table (the command's own)."""

    def __init__(self, ddb: DynamoDBClient, table: str, window: SlidingWindow | None = None) -> None:
        self._counters = RiskCounters(ddb, table, window)
        self._table = table

    @contextmanager
    def attempt(
        self, action: str, user_id: str, who: Caller, limits: Limits, now: datetime
    ) -> Iterator[Attempt]:
        """The attempt of `action` by `user_id` from `who`, counted whatever the command does.

        Raises:
            RateLimitedError: a subject is over its limit: refused from the read alone (nothing
                written), by a counter's condition in the command's transaction, or by the
                counting of a refused attempt (which then answers 429, not its business error).
        """
        subjects = client.subjects(
            user_id,
            who.device_id,
            who.ip,
            per_user=limits.per_user,
            per_device=limits.per_device,
            per_ip=limits.per_ip,
        )
        attempt = Attempt(self._table, self._counters.open(action, subjects, now))
        try:
            yield attempt
        except RateLimitedError:
            raise  # a counter's condition refused it: an attempt over the limit costs nothing more
        except EarnloopError:
            # Refused for a business reason (a missing post, too few points, out of stock): the
            # command's transaction did not commit its counting, so the attempt pays by its own.
            if not attempt.is_counted:
                self._counters.count(attempt.gate)
            raise
        if not attempt.is_counted:
            self._counters.count(attempt.gate)  # it changed nothing (a repeated like): still an attempt
