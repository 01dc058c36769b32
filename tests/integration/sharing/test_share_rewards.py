"""A share pays its sharer (`share#<share>`) once, on the first real interaction it leads to: a friend
who opened it (`POST /v1/shares/opens`) likes or comments on the shared post. Opening alone, the
sharer's own acts, and anyone who did not open it pay nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from earnloop.sharing import erasure
from earnloop.sharing.store import opening_key, sharer_share_key

from tests.integration.sharing.sharing_harness import (
    Sharing,
    bus_event,
    commented,
    iso_now,
    liked,
)
from tests.support.lambdas import all_items, assert_problem, call_http, stored


def test_the_first_like_or_comment_of_a_friend_who_opened_the_share_pays_once(sharing):
    on_p1 = sharing.token("li", target_id="P1")
    on_p2 = sharing.token("li", target_id="P2")
    # Li opens his own link; Zhang opens both; Zhao opens none.
    for user, token in (("li", on_p1), ("zhang", on_p1), ("zhang", on_p1), ("zhang", on_p2)):
        assert sharing.open(user, token).status == 204
    sharing.settle_own_events()

    sharing.pay()
    assert sharing.balance("li") == 0  # shared and opened: nothing yet

    sharing.settle(liked("li", "P1"), liked("zhao", "P1"), commented("zhao", "P2"), liked("zhang", "P3"))
    sharing.pay()
    assert sharing.balance("li") == 0  # the sharer himself, strangers, another post: nothing

    sharing.settle(liked("zhang", "P1"), commented("zhang", "P1"), liked("zhang", "P1"))
    sharing.settle(commented("zhang", "P2", "C9"))
    sharing.pay(twice=True)

    p1 = sharing.share_item(Sharing.share_item_id(on_p1))
    p2 = sharing.share_item(Sharing.share_item_id(on_p2))
    assert (p1["friend_id"], p1["trigger"]) == ("zhang", "like")
    assert (p2["friend_id"], p2["trigger"]) == ("zhang", "comment")
    entries = sharing.entries("li")
    assert set(entries) == {f"share#{p1['share_id']}", f"share#{p2['share_id']}"}
    assert all(e.delta == 5 and e.reason == "share" for e in entries.values())
    assert sharing.balance("li") == 10
    assert sharing.balance("zhang") == 0


def test_an_open_needs_a_session_and_a_live_genuine_link(sharing, moto_cloud):
    token = sharing.token("li-2")
    share_id = Sharing.share_item_id(token)
    before = all_items(sharing.table)
    answer = call_http("shares_open", body={"referral_token": token})
    assert_problem(answer, 401, "unauthenticated")
    session = moto_cloud.token("zhang-2")
    now = datetime.now(UTC)
    bad = {
        "malformed": "not-a-token",
        "forged": sharing.forge(share_id, "li-2", now + timedelta(days=1), key="k" * 40),
        # A genuine signature naming another sharer than the share's.
        "forged-sharer": sharing.forge(share_id, "zhao-2", now + timedelta(days=1)),
        "expired": sharing.forge(share_id, "li-2", now - timedelta(seconds=1)),
    }
    for case, text in bad.items():
        answer = call_http("shares_open", token=session, body={"referral_token": text})
        problem = assert_problem(answer, 422, "validation_error")
        assert problem["reason"] == case.split("-")[0], case
    assert_problem(call_http("shares_open", token=session, body={}), 422, "validation_error")
    assert all_items(sharing.table) == before


def test_a_deleted_sharers_shares_and_openings_are_erased_in_rounds(sharing, monkeypatch):
    # Two shares a round: three shares take two rounds, as thousands would take several.
    monkeypatch.setattr(erasure, "SHARES_PER_ROUND", 2)
    tokens = [sharing.token("li-9", target_id=f"P{n}") for n in range(3)]
    theirs = sharing.token("zhang-9", target_id="P7")
    for user, token in (("zhang-9", tokens[0]), ("li-9", theirs)):
        assert sharing.open(user, token).status == 204
    sharing.settle(liked("zhang-9", "P0"))
    assert sharing.share_item(Sharing.share_item_id(tokens[0]))["friend_id"] == "zhang-9"
    deleted = bus_event("UserDeleted", "earnloop.identity", {"user_id": "li-9", "deleted_at": iso_now()})

    sharing.settle(deleted)  # two shares erased, one left: round 1 is put
    (continued,) = [b for b in sharing.settle_own_events() if b["detail-type"] == "SharesErasureContinued"]
    assert continued["detail"]["round"] == 1
    sharing.settle(deleted, continued)  # redeliveries find nothing left and start no round 2
    assert [b["detail"]["round"] for b in sharing.settle_own_events() if "round" in b["detail"]] == [1]

    ids = [Sharing.share_item_id(token) for token in tokens]
    assert [sharing.share_item(share_id) for share_id in ids] == [None] * 3
    assert [stored(sharing.table, sharer_share_key("li-9", s)) for s in ids] == [None] * 3
    assert stored(sharing.table, opening_key("li-9", "post", "P7")) is None
    # Zhang's own records stay: his opening of Li's link, and his share, still live.
    assert stored(sharing.table, opening_key("zhang-9", "post", "P0"))["sharer_id"] == "li-9"
    assert sharing.share_item(Sharing.share_item_id(theirs))["sharer_id"] == "zhang-9"
    problem = assert_problem(sharing.open("zhao-9", tokens[1]), 422, "validation_error")
    assert problem["reason"] == "forged"
