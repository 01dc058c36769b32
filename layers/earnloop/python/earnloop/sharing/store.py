"""The only place that builds keys and expressions for the sharing table.

Items:
- a share `SHARE#<share>`/`SHARE`, which gains `rewarded_at`, `friend_id` and `trigger` the one time
  it pays its sharer, and its sharer's listing `SHARER#<user>`/`SHARE#<share>`, put in the same
  transaction, so a deleted account's shares are found by a key the person owns;
- an opening `OPENER#<user>`/`TARGET#<type>#<id>`: the share a logged-in user opened a target through
  (the first one wins), so their like or comment on it is found with one GetItem;
- a referral decision `REFERRAL#<referee>`/`REFERRAL`: accepted, or refused with the reason;
- a referrer's accepted referrals of one business day `REFCOUNT#<referrer>#<day>`/`COUNT`, charged in
  the acceptance's own transaction (never read first), removed by TTL a few days later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import ClientError

from earnloop.platform import aws
from earnloop.platform.dynamo import TxAction, is_condition_failure, marshal, transact, unmarshal
from earnloop.platform.erasure_rounds import continue_erasure
from earnloop.platform.errors import RateLimitedError
from earnloop.platform.settings import get_settings
from earnloop.sharing.models import Opening, Referral, Share

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from datetime import date

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.sharing.models import TargetType, Trigger

SHARE_ENTITY = "Share"
SHARER_ENTITY = "SharerShare"
OPENING_ENTITY = "ShareOpening"
REFERRAL_ENTITY = "Referral"
COUNTER_ENTITY = "ReferralCount"

Acceptance = Literal["accepted", "decided_before", "over_cap", "rate_limited"]
EXISTING_USER = "existing_user"


def share_key(share_id: str) -> dict[str, str]:
    return {"pk": f"SHARE#{share_id}", "sk": "SHARE"}


def sharer_share_key(sharer_id: str, share_id: str) -> dict[str, str]:
    return {"pk": f"SHARER#{sharer_id}", "sk": f"SHARE#{share_id}"}


def opening_key(user_id: str, target_type: str, target_id: str) -> dict[str, str]:
    return {"pk": f"OPENER#{user_id}", "sk": f"TARGET#{target_type}#{target_id}"}


def referral_key(referee_id: str) -> dict[str, str]:
    return {"pk": f"REFERRAL#{referee_id}", "sk": "REFERRAL"}


def counter_key(referrer_id: str, day: date) -> dict[str, str]:
    return {"pk": f"REFCOUNT#{referrer_id}#{day.isoformat()}", "sk": "COUNT"}


class _DecidedBefore(Exception):
    pass


class _OverCap(Exception):
    pass


def _decided_before(_: Mapping[str, Any]) -> Exception:
    return _DecidedBefore()


def _over_cap(_: Mapping[str, Any]) -> Exception:
    return _OverCap()


class SharingStore:
    def __init__(self, ddb: DynamoDBClient, table: str) -> None:
        self._ddb = ddb
        self._table = table

    def _put_new(
        self, key: dict[str, str], entity: str, values: dict[str, Any], *, unless: str | None = None
    ) -> bool:
        """Puts the item unless one is at `key` (other than one whose reason is `unless`); False
        when one was."""
        condition = "attribute_not_exists(pk)"
        extra: dict[str, Any] = {}
        if unless is not None:
            condition += " OR reason = :unless"
            extra["ExpressionAttributeValues"] = marshal({":unless": unless})
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=marshal({**key, "entity": entity, **values}),
                ConditionExpression=condition,
                **extra,
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def _get(self, key: dict[str, str]) -> dict[str, Any] | None:
        found = self._ddb.get_item(TableName=self._table, Key=marshal(key))
        return unmarshal(found["Item"]) if "Item" in found else None

    # Shares

    def put_share(self, share: Share, counting: Sequence[TxAction] = ()) -> None:
        """The share, with `counting` (its attempt's risk counters) in the same transaction. A taken
        id (a ULID: never in practice) fails the transaction as the ClientError it is."""
        item = {**share_key(share.share_id), "entity": SHARE_ENTITY, **share.model_dump()}
        put = {
            "TableName": self._table,
            "Item": marshal(item),
            "ConditionExpression": "attribute_not_exists(pk)",
        }
        listed = {
            **sharer_share_key(share.sharer_id, share.share_id),
            "entity": SHARER_ENTITY,
            "share_id": share.share_id,
            "created_at": share.created_at,
        }
        listing = {"TableName": self._table, "Item": marshal(listed)}
        transact(self._ddb, [*counting, TxAction({"Put": put}), TxAction({"Put": listing})])

    def get_share(self, share_id: str) -> Share | None:
        item = self._get(share_key(share_id))
        return Share.model_validate(item) if item else None

    def reward_share(self, share_id: str, friend_id: str, trigger: Trigger, at: str) -> bool:
        """Marks the share as having paid off, once: False when it already had, does not exist, or
        the friend is its own sharer. The stream turns the mark into `ShareRewarded`."""
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(share_key(share_id)),
                UpdateExpression="SET rewarded_at = :at, friend_id = :friend, #trigger = :trigger",
                ConditionExpression=(
                    "attribute_exists(pk) AND attribute_not_exists(rewarded_at) AND sharer_id <> :friend"
                ),
                ExpressionAttributeNames={"#trigger": "trigger"},
                ExpressionAttributeValues=marshal({":at": at, ":friend": friend_id, ":trigger": trigger}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    # Openings

    def put_opening(self, opening: Opening) -> bool:
        """Records who opened which target through which share; False when that user had opened
        the target through a share before (the first one keeps the credit)."""
        key = opening_key(opening.user_id, opening.target_type, opening.target_id)
        return self._put_new(key, OPENING_ENTITY, opening.model_dump())

    def get_opening(self, user_id: str, target_type: TargetType, target_id: str) -> Opening | None:
        item = self._get(opening_key(user_id, target_type, target_id))
        return Opening.model_validate(item) if item else None

    def openings(self, user_id: str) -> list[Opening]:
        """Every share the user opened a target through (their `OPENER#` partition, every page)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"OPENER#{user_id}"}},
        }
        found: list[Opening] = []
        while True:
            page = self._ddb.query(**kwargs)
            found += [Opening.model_validate(unmarshal(item)) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # A deleted account (sharing/erasure.py)

    def shares_of(self, sharer_id: str, limit: int) -> list[str]:
        """Up to `limit` ids of the shares the user made and that are not erased (their listing)."""
        return [key["sk"].removeprefix("SHARE#") for key in self._keys(f"SHARER#{sharer_id}", limit)]

    def listed_shares(self, sharer_id: str, limit: int) -> list[dict[str, str]]:
        """Up to `limit` of the user's shares, newest first (share ids are ULIDs): `share_id`,
        `created_at`, from their listing alone."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": f"SHARER#{sharer_id}"}},
            "ProjectionExpression": "share_id, created_at",
            "ScanIndexForward": False,
        }
        found: list[dict[str, str]] = []
        while len(found) < limit:
            page = self._ddb.query(**kwargs, Limit=limit - len(found))
            found += [{k: str(v) for k, v in unmarshal(i).items()} for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def erase_shares(self, sharer_id: str, share_ids: Sequence[str]) -> None:
        """Deletes the shares and their listing items (BatchWriteItem; deleting a missing item is
        no error, so a repeat changes nothing)."""
        keys = [k for s in share_ids for k in (share_key(s), sharer_share_key(sharer_id, s))]
        self._delete(keys)

    def erase_openings(self, user_id: str) -> int:
        """Deletes the user's own `OPENER#` partition (the shares they opened); how many."""
        keys = self._keys(f"OPENER#{user_id}", None)
        self._delete(keys)
        return len(keys)

    def continue_erasure(self, user_id: str, deleted_at: str, number: int) -> bool:
        """Puts the erasure's next round (platform/erasure_rounds.py); False when put before."""
        return continue_erasure(self._ddb, self._table, user_id, deleted_at, number)

    def _keys(self, partition: str, limit: int | None) -> list[dict[str, str]]:
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": partition}},
            "ProjectionExpression": "pk, sk",
        }
        found: list[dict[str, str]] = []
        while limit is None or len(found) < limit:
            if limit is not None:
                kwargs["Limit"] = limit - len(found)
            page = self._ddb.query(**kwargs)
            found += [{"pk": i["pk"]["S"], "sk": i["sk"]["S"]} for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return found

    def _delete(self, keys: Sequence[Mapping[str, str]]) -> None:
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": marshal(dict(k))}} for k in keys[start : start + 25]]
            pending: Any = {self._table: requests}
            while pending:
                pending = self._ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or None

    # Referrals

    def get_referral(self, referee_id: str) -> Referral | None:
        item = self._get(referral_key(referee_id))
        return Referral.model_validate(item) if item else None

    def refuse(self, referral: Referral, *, registered: bool) -> bool:
        """Records a refusal unless the referee's referral was decided before (False then).

        `registered`: judged from the referee's registration, which proves the user new, so it
        replaces an `existing_user` refusal (see `accept`)."""
        unless = EXISTING_USER if registered else None
        key = referral_key(referral.referee_id)
        return self._put_new(key, REFERRAL_ENTITY, referral.model_dump(), unless=unless)

    def accept(
        self,
        referral: Referral,
        day: date,
        limit: int | None,
        counter_expires_at: int,
        counting: Sequence[TxAction] = (),
    ) -> Acceptance:
        """Records an accepted referral and charges the referrer's count of `day`, in one
        transaction, while the count stays within `limit` (None: no limit), with the risk rules'
        `counting` (sharing/referral_risk.py: its limit's failure is `rate_limited`).

        The referral may replace only an `existing_user` refusal: that one came from an open the
        new user's client reported before its registration was judged, and the registration
        proves the user new. Any other decision stands (a redelivery finds its own acceptance).
        """
        assert referral.referrer_id is not None
        put = TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(
                        {
                            **referral_key(referral.referee_id),
                            "entity": REFERRAL_ENTITY,
                            **referral.model_dump(),
                        }
                    ),
                    "ConditionExpression": "attribute_not_exists(pk) OR reason = :existing",
                    "ExpressionAttributeValues": marshal({":existing": EXISTING_USER}),
                }
            },
            _decided_before,
        )
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": marshal(counter_key(referral.referrer_id, day)),
            "UpdateExpression": "ADD referrals :one SET expires_at = :expires, entity = :entity",
        }
        values: dict[str, Any] = {":one": 1, ":expires": counter_expires_at, ":entity": COUNTER_ENTITY}
        if limit is not None:
            update["ConditionExpression"] = "attribute_not_exists(referrals) OR referrals < :limit"
            values[":limit"] = limit
        update["ExpressionAttributeValues"] = marshal(values)
        charge = TxAction({"Update": update}, _over_cap)
        try:
            transact(self._ddb, [put, charge, *counting])
        except _DecidedBefore:
            return "decided_before"
        except _OverCap:
            return "over_cap"
        except RateLimitedError:
            return "rate_limited"
        return "accepted"


def sharing_store() -> SharingStore:
    """The store on this stage's table (cheap: the client is created once per container)."""
    return SharingStore(aws.dynamodb(), get_settings().table_name("sharing"))
