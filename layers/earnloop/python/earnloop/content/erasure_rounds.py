"""A deleted account's erasure in rounds (issue 10.6): one invocation of the posts worker erases a
bounded amount (`ERASE_BUDGET` writes), so a user with thousands of likes or comments never runs a
worker into its timeout. When work is left, it puts the next round's item `ERASURE#<user>` /
`ROUND#<n>` (conditioned on its absence, TTL two days); the stream derives `UserErasureContinued`,
which the rule `erasure-rounds-to-posts` brings back to the posts queue, and the next round queries
what is left (erased items are out of the indexes it reads), so no cursor is kept. A redelivered
round finds its successor already put and starts none: the chain stays one."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from earnloop.platform.clock import parse_iso
from earnloop.platform.dynamo import is_condition_failure, marshal
from earnloop.platform.events import DomainEvent

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.platform.events import Change

ROUND_ENTITY = "ErasureRound"
ROUND_TTL = timedelta(days=2)
# Writes one round may make (a like's erasure is two, a comment's one): about 5-10 s of DynamoDB
# calls, a third of the posts worker's 30 s timeout.
ERASE_BUDGET = 400


class UserErasureContinued(DomainEvent):
    """The content context's erasure of a deleted account goes on (round 1, 2, ...)."""

    source = "earnloop.content"
    detail_type = "UserErasureContinued"

    user_id: str
    deleted_at: str
    round: int


def round_key(user_id: str, number: int) -> dict[str, str]:
    return {"pk": f"ERASURE#{user_id}", "sk": f"ROUND#{number:06d}"}


def continue_erasure(ddb: DynamoDBClient, table: str, user_id: str, deleted_at: str, number: int) -> bool:
    """Puts round `number`'s item; False when it was put before (a redelivered round)."""
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


def derive_erasure_rounds(change: Change) -> list[DomainEvent]:
    if change.entity != ROUND_ENTITY or change.kind != "INSERT" or change.new is None:
        return []
    return [UserErasureContinued.model_validate(change.new)]
