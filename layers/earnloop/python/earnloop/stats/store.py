"""The stats table: the only place that builds its keys and expressions.

Items:
- `STATS#<shard>` / `DAY#<yyyy-mm-dd>`: one shard's counters of a business day (`issued`, `spent`,
  ..., `rej#<reason>#<codes shard>`), and `STATS#<shard>` / `TOTAL`: the shard's running `net`
  since the start. One query per shard (`sk >= DAY#<from>`) reads a range and the total at once.
- `SEEN#<natural id>` / `SEEN`: the guard that an event was counted (TTL'd).
- `SCORE#<user>` / `PERIOD#<yyyy-mm>` and `PERIOD#all`: the user's leaderboard points, indexed by
  `by_score` (`lb_pk` = `BOARD#<period>#<board shard>`, `lb_sk` = points).
- `SCORE#<user>` / `PROFILE`: the nickname and the opt-out shown on boards (newest event wins).
- `BOARD#<period>` / `BOARD`: the materialized top of a period, rebuilt every minute.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.platform import aws
from earnloop.platform.dynamo import (
    TransactionConflictError,
    TxAction,
    is_condition_failure,
    marshal,
    transact,
    unmarshal,
)
from earnloop.platform.settings import get_settings
from earnloop.stats.rules import ALL_TIME, REJECTED_PREFIX, STATS_SHARDS, Standing, Tally, board_shard

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

TOTAL = "TOTAL"
DAY_PREFIX = "DAY#"
SCORE_INDEX = "by_score"


class AlreadyCountedError(Exception):
    """The event's guard exists: it was counted before."""


def counter_key(shard: int, day: date | None) -> dict[str, str]:
    return {"pk": f"STATS#{shard}", "sk": f"{DAY_PREFIX}{day.isoformat()}" if day else TOTAL}


def guard_key(natural_id: str) -> dict[str, str]:
    return {"pk": f"SEEN#{natural_id}", "sk": "SEEN"}


def score_key(user_id: str, period: str) -> dict[str, str]:
    return {"pk": f"SCORE#{user_id}", "sk": f"PERIOD#{period}"}


def profile_key(user_id: str) -> dict[str, str]:
    return {"pk": f"SCORE#{user_id}", "sk": "PROFILE"}


def board_key(period: str) -> dict[str, str]:
    return {"pk": f"BOARD#{period}", "sk": "BOARD"}


def board_partition(period: str, shard: int) -> str:
    return f"BOARD#{period}#{shard}"


class StatsStore:
    def __init__(self, ddb: DynamoDBClient, table_name: str) -> None:
        self._ddb = ddb
        self._table = table_name

    @classmethod
    def default(cls) -> StatsStore:
        return cls(aws.dynamodb(), get_settings().table_name("stats"))

    # Counting

    def count(self, tally: Tally, shard: int, guard_expires_at: int, at: str) -> None:
        """Adds the tally's counters to its day's row of `shard` (and its net to the shard's
        total, its score to the earner's scores) in one transaction with the event's guard.

        Raises:
            AlreadyCountedError: the guard exists (a redelivery); nothing was written.
            TransactionConflictError: another transaction held one of the items (retry).
        """
        actions = [
            TxAction(
                {
                    "Put": {
                        "TableName": self._table,
                        "Item": marshal(
                            {**guard_key(tally.natural_id), "expires_at": guard_expires_at, "at": at}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                on_condition_failed=lambda _reason: AlreadyCountedError(),
            ),
            self._add(counter_key(shard, tally.day), tally.counters),
        ]
        if "net" in tally.counters:
            actions.append(self._add(counter_key(shard, None), {"net": tally.counters["net"]}))
        if tally.scorer is not None and tally.month is not None:
            actions += [self._score(tally.scorer, period, tally.score) for period in (tally.month, ALL_TIME)]
        transact(self._ddb, actions)

    def _add(self, key: Mapping[str, str], counters: Mapping[str, int]) -> TxAction:
        names = {f"#c{i}": name for i, name in enumerate(counters)}
        values = {f":c{i}": value for i, value in enumerate(counters.values())}
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(key),
                    "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counters))),
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": marshal(values),
                }
            }
        )

    def _score(self, user_id: str, period: str, points: int) -> TxAction:
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(score_key(user_id, period)),
                    "UpdateExpression": "ADD points :p, lb_sk :p SET lb_pk = :lb, user_id = :u",
                    "ExpressionAttributeValues": marshal(
                        {":p": points, ":lb": board_partition(period, board_shard(user_id)), ":u": user_id}
                    ),
                }
            }
        )

    def set_rejected(self, day: date, reason: str, codes_shard: int, count: int) -> bool:
        """Raises the day's count of `reason` rejections of one codes shard to `count` (the codes
        counter's own total, so a redelivered or late event changes nothing). False if stale."""
        attribute = f"{REJECTED_PREFIX}{reason}#{codes_shard}"
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=marshal(counter_key(codes_shard % STATS_SHARDS, day)),
                UpdateExpression="SET #a = :n",
                ConditionExpression="attribute_not_exists(#a) OR #a < :n",
                ExpressionAttributeNames={"#a": attribute},
                ExpressionAttributeValues=marshal({":n": count}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            if error.response.get("Error", {}).get("Code") == "TransactionConflictException":
                raise TransactionConflictError() from error
            raise
        return True

    def put_profile(self, user_id: str, nickname: str | None, visible: bool, updated_at: str) -> bool:
        """Keeps the newest profile seen for `user_id` (False when this one is older)."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=marshal(
                    {
                        **profile_key(user_id),
                        "user_id": user_id,
                        "nickname": nickname,
                        "visible": visible,
                        "updated_at": updated_at,
                    }
                ),
                ConditionExpression="attribute_not_exists(updated_at) OR updated_at <= :u",
                ExpressionAttributeValues=marshal({":u": updated_at}),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    # Reading statistics

    def shard_days(self, shard: int, first: date) -> list[dict[str, Any]]:
        """Every item of one shard from `first`'s row on: the days, then its total (one query)."""
        kwargs: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND sk >= :first",
            "ExpressionAttributeValues": marshal(
                {":pk": counter_key(shard, None)["pk"], ":first": counter_key(shard, first)["sk"]}
            ),
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self._ddb.query(**kwargs)
            items += [unmarshal(i) for i in response.get("Items", [])]
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # The leaderboard

    def top_of_shard(self, period: str, shard: int, limit: int) -> list[tuple[str, int]]:
        """The `limit` highest (user id, points) of one board shard, highest first."""
        response = self._ddb.query(
            TableName=self._table,
            IndexName=SCORE_INDEX,
            KeyConditionExpression="lb_pk = :pk",
            ExpressionAttributeValues=marshal({":pk": board_partition(period, shard)}),
            ScanIndexForward=False,
            Limit=limit,
        )
        found = [unmarshal(i) for i in response.get("Items", [])]
        return [(str(i["pk"]).removeprefix("SCORE#"), int(i["lb_sk"])) for i in found]

    def profiles(self, user_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The stored profiles of these users, by user id (users without one are absent)."""
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(user_ids))
        for start in range(0, len(unique), 100):
            for item in self._batch_get([profile_key(u) for u in unique[start : start + 100]]):
                found[str(item["user_id"])] = item
        return found

    def put_board(self, period: str, board: Sequence[Standing], built_at: str) -> None:
        entries = [
            {"rank": s.rank, "user_id": s.user_id, "nickname": s.nickname, "points": s.points} for s in board
        ]
        self._ddb.put_item(
            TableName=self._table,
            Item=marshal({**board_key(period), "entries": entries, "built_at": built_at}),
        )

    def board_and_score(
        self, period: str, user_id: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The period's board and the caller's score item, in one request (BatchGetItem)."""
        board, mine = board_key(period), score_key(user_id, period)
        found = {(i["pk"], i["sk"]): i for i in self._batch_get([board, mine])}
        return found.get((board["pk"], board["sk"])), found.get((mine["pk"], mine["sk"]))

    def _batch_get(self, keys: Sequence[Mapping[str, str]]) -> list[dict[str, Any]]:
        """The items at `keys` (at most 100) that exist, asking again for any left unprocessed."""
        items: list[dict[str, Any]] = []
        request: Any = {self._table: {"Keys": [marshal(k) for k in keys]}}
        while request:
            response = self._ddb.batch_get_item(RequestItems=request)
            items += [unmarshal(i) for i in response["Responses"].get(self._table, [])]
            request = response.get("UnprocessedKeys") or None
        return items
