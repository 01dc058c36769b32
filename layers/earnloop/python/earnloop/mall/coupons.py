"""Coupon pools: codes uploaded for a coupon reward, each drawn by exactly one order.

Items (mall table): `pk = COUPON#<reward_id>#<code>`, `sk = COUPON` (entity Coupon) with `status`
available | assigned | void and, once drawn, `order_id`. While available a code also carries the
sparse index attributes `cpn_pk = FREE#<reward_id>#<slot>` (slot: one of `FREE_SLOTS`, random)
and `cpn_sk` (a random token): index `coupons_free` (KEYS_ONLY) holds exactly the available codes.

Drawing needs no scan and no hot key: a draw queries one random slot from a random point of its
token range (a page of a few keys), picks one at random, and its transaction item updates the code
on condition that it is still available (`attribute_exists(cpn_pk)`), removing the index
attributes. The index is eventually consistent, so a candidate may be gone already: the condition
fails, `CouponTakenError` says which, and the draw is made again without it. With 16 slots a
5,000/s sale removes ~313 entries a second from each index partition.

A coupon reward's stock shards count its available codes: adding codes adds the same number of
units in the same transaction, and a redemption takes a unit and a code together, so "out of
stock" and `stock_left` work for coupons as for every reward. The core must refuse an admin
`stock` on a coupon reward (the pool is the stock).

How the mall core calls this module:

    pool = CouponPool(aws.dynamodb(), settings.table_name("mall"), stock)
    # PUT /v1/admin/rewards/{id} {coupon_codes: [...]} (at most MAX_CODES_PER_CALL, on a coupon reward)
    added = pool.add_codes(reward_id, codes, shards)   # -> AddedCodes(added, duplicates)
    # redeeming: pass `pool` to `allocation.allocate_and_commit`; store `allocation.codes`
    # refunding: in the refund transaction, instead of `stock.return_actions`
    actions += pool.refund_actions(reward_id, order_id, codes, parts, shards, revealed=...)

Refunds (docs/decisions.md, 2026-12-02, "Coupon pools"): a code the buyer has seen
(`revealed`: the order has shown it) is voided, never drawn again (it may have been used at the
partner already) and its unit is not returned; a code never shown (an order rejected while
pending review) goes back to the pool with its unit.
"""

from __future__ import annotations

import random
import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from earnloop.mall.stock_rules import spread
from earnloop.platform.dynamo import (
    TransactionConflictError,
    TxAction,
    cancellation_reasons,
    marshal,
    translate_cancellation,
)
from earnloop.platform.errors import ConcurrencyError, OutOfStockError, ValidationFailedError

if TYPE_CHECKING:
    from collections.abc import Collection, Mapping, Sequence

    from mypy_boto3_dynamodb import DynamoDBClient

    from earnloop.mall.stock import StockStore

COUPON_SK = "COUPON"
FREE_INDEX = "coupons_free"
FREE_SLOTS = 16
# Candidates a draw reads from one slot: enough to pick among, small enough to stay one cheap page.
CANDIDATES = 8
# Slots a draw reads before it asks the stock whether the pool is empty at all.
PROBE_SLOTS = 2
MAX_CODES_PER_CALL = 1_000
AVAILABLE, ASSIGNED, VOID = "available", "assigned", "void"
# Printable ASCII without spaces, as partners print them; bounded so the key stays small.
CODE_PATTERN = re.compile(r"[\x21-\x7e]{1,64}")
# Per transaction: codes plus at most 16 stock shard updates stay under DynamoDB's 100 items.
_CODES_PER_TRANSACTION = 80
_ADD_ATTEMPTS = 5


def coupon_key(reward_id: str, code: str) -> dict[str, str]:
    return {"pk": f"COUPON#{reward_id}#{code}", "sk": COUPON_SK}


def _free_attributes(reward_id: str, rng: random.Random | None = None) -> dict[str, str]:
    slot = (rng or random).randrange(FREE_SLOTS)
    return {"cpn_pk": f"FREE#{reward_id}#{slot}", "cpn_sk": secrets.token_hex(8)}


class CouponTakenError(Exception):
    """The code a draw picked was drawn by another order first; draw again without it."""

    def __init__(self, code: str) -> None:
        super().__init__("coupon code already drawn")
        self.code = code


class _CodeExistsError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__("coupon code exists")
        self.code = code


@dataclass(frozen=True)
class AddedCodes:
    added: int
    duplicates: int


@dataclass(frozen=True)
class Draw:
    """The codes a redemption draws and the transaction items that assign them to its order."""

    codes: tuple[str, ...]
    actions: tuple[TxAction, ...]


def clean_codes(codes: Sequence[str]) -> list[str]:
    """The codes to add: validated, whitespace stripped, deduplicated in order.

    Raises:
        ValidationFailedError: more than `MAX_CODES_PER_CALL`, or a code that is not 1-64
            printable characters.
    """
    if len(codes) > MAX_CODES_PER_CALL:
        raise ValidationFailedError(f"at most {MAX_CODES_PER_CALL} coupon codes per call")
    cleaned: dict[str, None] = {}
    for raw in codes:
        code = raw.strip() if isinstance(raw, str) else ""
        if CODE_PATTERN.fullmatch(code) is None:
            raise ValidationFailedError("a coupon code is 1 to 64 printable characters without spaces")
        cleaned[code] = None
    return list(cleaned)


class CouponPool:
    """Builds and runs the coupon codes' keys and expressions (the only place that does)."""

    def __init__(self, ddb: DynamoDBClient, table_name: str, stock: StockStore) -> None:
        self._ddb = ddb
        self._table = table_name
        self._stock = stock

    def add_codes(self, reward_id: str, codes: Sequence[str], shards: int) -> AddedCodes:
        """Adds the codes not in the pool yet (ever: a drawn or voided code is not added again),
        each with one stock unit, in transactions of up to 80 codes.

        Raises:
            ValidationFailedError: see `clean_codes`.
            ConcurrencyError: a transaction kept conflicting with another upload.
        """
        cleaned = clean_codes(codes)
        added = 0
        for start in range(0, len(cleaned), _CODES_PER_TRANSACTION):
            added += self._add_chunk(reward_id, cleaned[start : start + _CODES_PER_TRANSACTION], shards)
        return AddedCodes(added=added, duplicates=len(codes) - added)

    def _add_chunk(self, reward_id: str, chunk: list[str], shards: int) -> int:
        remaining = list(chunk)
        for _ in range(_ADD_ATTEMPTS):
            if not remaining:
                return 0
            actions = [self._put_code(reward_id, code) for code in remaining]
            actions += self._stock_units(reward_id, len(remaining), shards)
            try:
                request: dict[str, Any] = {"TransactItems": [a.action for a in actions]}
                self._ddb.transact_write_items(**request)
                return len(remaining)
            except ClientError as error:
                # DynamoDB gives a reason per item: drop every code that exists already (a re-upload
                # of a whole file costs one failed transaction per chunk, not one per code).
                reasons = cancellation_reasons(error)[: len(remaining)]
                existing = {
                    remaining[i] for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"
                }
                if existing:
                    remaining = [code for code in remaining if code not in existing]
                    continue
                translated = translate_cancellation(error, actions)
                if isinstance(translated, _CodeExistsError):
                    remaining.remove(translated.code)  # reasons not itemised: the first one named
                    continue
                if isinstance(translated, TransactionConflictError):
                    continue
                raise translated from error
        raise ConcurrencyError("coupon codes could not be added, please retry")

    def _stock_units(self, reward_id: str, units: int, shards: int) -> list[TxAction]:
        parts = {s: u for s, u in enumerate(spread(units, shards)) if u}
        return list(self._stock.return_actions(reward_id, parts, shards))

    def _put_code(self, reward_id: str, code: str) -> TxAction:
        item = {
            **coupon_key(reward_id, code),
            "entity": "Coupon",
            "reward_id": reward_id,
            "code": code,
            "status": AVAILABLE,
            **_free_attributes(reward_id),
        }
        return TxAction(
            {
                "Put": {
                    "TableName": self._table,
                    "Item": marshal(item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            on_condition_failed=lambda _reason: _CodeExistsError(code),
        )

    # -- drawing ---------------------------------------------------------------------------------

    def candidates(
        self,
        reward_id: str,
        wanted: int,
        exclude: Collection[str] = (),
        rng: random.Random | None = None,
        slots: Sequence[int] | None = None,
    ) -> list[str]:
        """Up to a page of available codes per slot, `slots` in the order given (all of them, in
        random order, by default), until `wanted` distinct ones are found (fewer only when those
        slots hold fewer), each slot read from a random point of its token range."""
        chooser = rng or random
        if slots is None:
            slots = chooser.sample(range(FREE_SLOTS), FREE_SLOTS)
        found: dict[str, None] = {}
        for slot in slots:
            start = f"{chooser.getrandbits(64):016x}"
            # From the random point up, then wrapping round to the slot's start.
            for condition in ("cpn_sk >= :start", "cpn_sk < :start"):
                for code in self._query_slot(reward_id, slot, condition, start):
                    if code not in exclude:
                        found[code] = None
                if len(found) >= wanted:
                    return list(found)
        return list(found)

    def _query_slot(self, reward_id: str, slot: int, condition: str, start: str) -> list[str]:
        prefix = f"COUPON#{reward_id}#"
        answer = self._ddb.query(
            TableName=self._table,
            IndexName=FREE_INDEX,
            KeyConditionExpression=f"cpn_pk = :slot AND {condition}",
            ExpressionAttributeValues=marshal({":slot": f"FREE#{reward_id}#{slot}", ":start": start}),
            Limit=CANDIDATES,
        )
        return [item["pk"]["S"].removeprefix(prefix) for item in answer.get("Items", [])]

    def plan_draw(
        self,
        reward_id: str,
        quantity: int,
        order_id: str,
        exclude: Collection[str] = (),
        rng: random.Random | None = None,
        *,
        shards: int | None = None,
    ) -> Draw:
        """`quantity` codes picked at random among available candidates, and the Updates that
        assign them to `order_id` if each is still available (a lost race raises
        `CouponTakenError` through `transact`).

        With `shards` (the reward's stock shard count), a draw that finds too few codes in its
        first `PROBE_SLOTS` slots asks the stock shards (one BatchGetItem) whether any are left
        before sweeping the other slots: after a sell-out each buyer costs a few reads, not 32
        queries on the index.

        Raises:
            OutOfStockError: the pool holds fewer available codes than `quantity`.
        """
        chooser = rng or random.Random()
        order = chooser.sample(range(FREE_SLOTS), FREE_SLOTS)
        # Twice what is needed, for a choice that spreads concurrent buyers over different codes.
        found = self.candidates(reward_id, quantity * 2, exclude, chooser, order[:PROBE_SLOTS])
        if len(found) < quantity:
            if shards is not None and self._stock.stock_left({reward_id: shards})[reward_id] < quantity:
                raise OutOfStockError()
            # Codes are left but not near: the few last ones are found in whichever slots hold them.
            found += self.candidates(
                reward_id, quantity - len(found), {*exclude, *found}, chooser, order[PROBE_SLOTS:]
            )
        if len(found) < quantity:
            raise OutOfStockError()
        codes = tuple(chooser.sample(found, quantity))
        return Draw(codes, self.assign_actions(reward_id, codes, order_id))

    def assign_actions(self, reward_id: str, codes: Sequence[str], order_id: str) -> tuple[TxAction, ...]:
        """The Updates that give `codes` to `order_id` if each is still available; a code drawn
        first by another order raises `CouponTakenError` (through `transact`)."""
        return tuple(self._assign(reward_id, code, order_id) for code in codes)

    def _assign(self, reward_id: str, code: str, order_id: str) -> TxAction:
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(coupon_key(reward_id, code)),
                    "UpdateExpression": "SET #status = :assigned, order_id = :order REMOVE cpn_pk, cpn_sk",
                    "ConditionExpression": "attribute_exists(cpn_pk)",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": marshal({":assigned": ASSIGNED, ":order": order_id}),
                }
            },
            on_condition_failed=lambda _reason: CouponTakenError(code),
        )

    # -- refunds ---------------------------------------------------------------------------------

    def refund_actions(
        self,
        reward_id: str,
        order_id: str,
        codes: Sequence[str],
        taken: Mapping[int, int] | Sequence[Sequence[int]],
        shards: int,
        *,
        revealed: bool,
    ) -> tuple[TxAction, ...]:
        """The refund's items for a coupon order: revealed codes are voided (no unit returned);
        codes never shown go back to the pool with their units. Each is conditioned on still
        belonging to `order_id`, so a refund cannot touch a code another order holds."""
        if revealed:
            return tuple(self._void(reward_id, code, order_id) for code in codes)
        released = tuple(self._release(reward_id, code, order_id) for code in codes)
        return released + self._stock.return_actions(reward_id, taken, shards)

    def _void(self, reward_id: str, code: str, order_id: str) -> TxAction:
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(coupon_key(reward_id, code)),
                    "UpdateExpression": "SET #status = :void",
                    "ConditionExpression": "order_id = :order AND #status = :assigned",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": marshal(
                        {":void": VOID, ":order": order_id, ":assigned": ASSIGNED}
                    ),
                }
            },
            on_condition_failed=lambda _reason: ConcurrencyError("the coupon code is not this order's"),
        )

    def _release(self, reward_id: str, code: str, order_id: str) -> TxAction:
        values: dict[str, Any] = {
            ":available": AVAILABLE,
            ":order": order_id,
            ":assigned": ASSIGNED,
            **{f":{k}": v for k, v in _free_attributes(reward_id).items()},
        }
        return TxAction(
            {
                "Update": {
                    "TableName": self._table,
                    "Key": marshal(coupon_key(reward_id, code)),
                    "UpdateExpression": "SET #status = :available, cpn_pk = :cpn_pk, cpn_sk = :cpn_sk "
                    "REMOVE order_id",
                    "ConditionExpression": "order_id = :order AND #status = :assigned",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": marshal(values),
                }
            },
            on_condition_failed=lambda _reason: ConcurrencyError("the coupon code is not this order's"),
        )
