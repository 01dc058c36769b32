"""A deleted account's erasure in rounds, for any context (issue 10.6).

One consumer invocation erases a bounded amount, so a person with thousands of likes, comments or
shares never runs a worker into its timeout, and "more is left" is no failure (a failed message would
count as a Lambda error, raise its alarm and, after five receives, land in the DLQ). When work is
left, the consumer puts the next round's item `ERASURE#<user>`/`ROUND#<n>` in its own table
(conditioned on its absence, TTL two days); its context's deriver turns the insert into its own
"continued" event (`derive_round`), a rule brings that back to the same queue, and the next round
queries what is left (erased items are out of what it reads), so no cursor is kept. A redelivered
round finds its successor already put and starts none: the chain stays one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from botocore.exceptions import ClientError

from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import is_condition_failure, marshal
from earnloop.platform.events import DomainEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.platform.events import Change

ROUND_ENTITY = "ErasureRound"
ROUND_TTL = timedelta(days=2)
# Rounds before a chain is given up (and logged as an error): a chain that long means something is
# never erased, not that a person did that much.
MAX_ROUNDS = 1000

Continued = TypeVar("Continued", bound=DomainEvent)


def round_key(user_id: str, number: int) -> dict[str, str]:
    return {"pk": f"ERASURE#{user_id}", "sk": f"ROUND#{number:06d}"}


def continue_erasure(ddb: DynamoDBClient, table: str, user_id: str, deleted_at: str, number: int) -> bool:
    """Puts round `number`'s item in `table`; False when it was put before (a redelivered round) or
    the chain is over `MAX_ROUNDS`."""
    if number > MAX_ROUNDS:
        return False
    expires = int((parse_iso(deleted_at) + ROUND_TTL).timestamp())
    item = {
        **round_key(user_id, number),
        "entity": ROUND_ENTITY,
        "user_id": user_id,
        "deleted_at": deleted_at,
        "round": number,
        "expires_at": expires,
    }
    try:
        ddb.put_item(TableName=table, Item=marshal(item), ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def derive_round(change: Change, event: type[Continued]) -> list[Continued]:
    """`event` (the context's own "erasure continued", with `user_id`, `deleted_at`, `round`) when a
    round item was inserted."""
    if change.entity != ROUND_ENTITY or change.kind != "INSERT" or change.new is None:
        return []
    return [event.model_validate(change.new)]
