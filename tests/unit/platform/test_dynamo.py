"""Transaction error translation and page cursors."""

from __future__ import annotations

import base64
import json
import re

import pytest
from botocore.exceptions import ClientError
from earnloop.platform.dynamo import (
    TransactionConflictError,
    TxAction,
    decode_cursor,
    encode_cursor,
    marshal,
    translate_cancellation,
    unmarshal,
)
from earnloop.platform.errors import CodeAlreadyClaimedError, RateLimitedError, ValidationFailedError


def cancelled(reasons: list[str], with_list: bool = True) -> ClientError:
    response: dict = {
        "Error": {
            "Code": "TransactionCanceledException",
            "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{', '.join(reasons)}]",
        }
    }
    if with_list:
        response["CancellationReasons"] = [{"Code": r} for r in reasons]
    return ClientError(response, "TransactWriteItems")


ACTIONS = [
    TxAction({"Put": {}}, on_condition_failed=lambda _: CodeAlreadyClaimedError()),
    TxAction({"Update": {}}, on_condition_failed=lambda _: RateLimitedError(60)),
]


@pytest.mark.parametrize("with_list", [True, False], ids=["reasons-list", "reasons-in-message-only"])
def test_the_first_failed_condition_decides_the_error(with_list):
    error = translate_cancellation(cancelled(["None", "ConditionalCheckFailed"], with_list), ACTIONS)
    assert isinstance(error, RateLimitedError)
    error = translate_cancellation(
        cancelled(["ConditionalCheckFailed", "ConditionalCheckFailed"], with_list), ACTIONS
    )
    assert isinstance(error, CodeAlreadyClaimedError)


def test_a_conflict_with_another_transaction_is_retryable():
    assert isinstance(
        translate_cancellation(cancelled(["TransactionConflict", "None"]), ACTIONS), TransactionConflictError
    )


def test_an_action_that_may_fail_silently_lets_the_next_reason_decide():
    actions = [TxAction({"Put": {}}, on_condition_failed=lambda _: None), ACTIONS[1]]
    error = translate_cancellation(cancelled(["ConditionalCheckFailed", "ConditionalCheckFailed"]), actions)
    assert isinstance(error, RateLimitedError)


def test_other_client_errors_pass_through_unchanged():
    original = ClientError(
        {"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems"
    )
    assert translate_cancellation(original, ACTIONS) is original


SHAPE = {"sk": re.compile(r"TXN#.+"), "lsi1sk": re.compile(r"\d{4}.+")}


def _cursor(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def test_a_cursor_round_trips_without_the_partition_key():
    last = {"pk": {"S": "ACCT#alice"}, "sk": {"S": "TXN#1"}, "lsi1sk": {"S": "2026-11-23T09:00:00.000Z#1"}}
    cursor = encode_cursor(last, drop=("pk",))
    assert cursor is not None and "alice" not in cursor
    assert decode_cursor(cursor, SHAPE, fixed={"pk": {"S": "ACCT#bob"}}) == {**last, "pk": {"S": "ACCT#bob"}}


GOOD = {"sk": {"S": "TXN#1"}, "lsi1sk": {"S": "2026#1"}}


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "bm90IGpzb24",
        "W10",
        "eyJwayI6IDF9",
        "eyJwayI6eyJCT09MIjp0cnVlfX0",
        "a",
        "!!!!",
        base64.b64encode(b"\xff\xfe").decode(),
        _cursor("[" * 300 + "]" * 300),
        _cursor({**GOOD, "sk": {"S": ""}}),
        _cursor({**GOOD, "sk": {"S": 5}}),
        _cursor({**GOOD, "sk": {"S": None}}),
        _cursor({**GOOD, "sk": {"S": ["TXN#1"]}}),
        _cursor({**GOOD, "sk": {"N": "1"}}),
        _cursor({**GOOD, "sk": {"S": "TXN#1", "N": "1"}}),
        _cursor({**GOOD, "sk": {}}),
        _cursor({**GOOD, "sk": "TXN#1"}),
        _cursor({**GOOD, "sk": {"S": "ACCOUNT"}}),
        _cursor({**GOOD, "sk": {"S": "TXN#" + "x" * 1100}}),
        _cursor({**GOOD, "pk": {"S": "ACCT#victim"}}),
        _cursor({"sk": GOOD["sk"]}),
        _cursor({}),
    ],
)
def test_a_cursor_that_is_not_ours_is_a_validation_error(cursor):
    with pytest.raises(ValidationFailedError):
        decode_cursor(cursor, SHAPE)


def test_a_well_formed_cursor_is_accepted():
    assert decode_cursor(_cursor(GOOD), SHAPE) == GOOD


def test_marshalling_drops_none_and_returns_ints():
    item = marshal({"a": 1, "b": None, "c": ["x"], "d": {"e": 2}})
    assert "b" not in item
    assert unmarshal(item) == {"a": 1, "c": ["x"], "d": {"e": 2}}
