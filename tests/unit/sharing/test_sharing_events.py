"""What a change of the sharing table means to the others."""

from __future__ import annotations

from earnloop.platform.events import Change
from earnloop.sharing.events import derive

SHARE = {
    "pk": "SHARE#S1",
    "sk": "SHARE",
    "entity": "Share",
    "share_id": "S1",
    "sharer_id": "li",
    "target_type": "post",
    "target_id": "P1",
    "created_at": "2026-12-02T01:00:00.000Z",
    "token_expires_at": "2027-01-01T01:00:00.000Z",
}
REWARDED = {**SHARE, "rewarded_at": "2026-12-02T02:00:00.000Z", "friend_id": "wang", "trigger": "like"}


def referral(**fields: object) -> dict[str, object]:
    return {
        "pk": "REFERRAL#wang",
        "sk": "REFERRAL",
        "entity": "Referral",
        "referee_id": "wang",
        "decided_at": "2026-12-02T03:00:00.000Z",
        **fields,
    }


def kinds(change: Change) -> list[tuple[str, dict[str, object]]]:
    return [(e.detail_type, e.model_dump()) for e in derive(change)]


def test_a_share_is_created_once_and_rewarded_once():
    [(kind, _)] = kinds(Change("sharing", "INSERT", None, SHARE))
    assert kind == "ShareCreated"
    [(kind, detail)] = kinds(Change("sharing", "MODIFY", SHARE, REWARDED))
    assert kind == "ShareRewarded"
    assert detail == {
        "share_id": "S1",
        "sharer_id": "li",
        "friend_id": "wang",
        "trigger": "like",
        "rewarded_at": "2026-12-02T02:00:00.000Z",
    }
    # A later touch of a rewarded share (a replay, a TTL removal) means nothing new.
    assert kinds(Change("sharing", "MODIFY", REWARDED, REWARDED)) == []
    assert kinds(Change("sharing", "REMOVE", REWARDED, None)) == []


def test_referral_decisions_become_accepted_or_refused_events():
    accepted = referral(status="accepted", referrer_id="li", share_id="S1")
    assert kinds(Change("sharing", "INSERT", None, accepted)) == [
        (
            "ReferralAccepted",
            {
                "referrer_id": "li",
                "referee_id": "wang",
                "share_id": "S1",
                "accepted_at": "2026-12-02T03:00:00.000Z",
            },
        )
    ]
    refused = referral(status="refused", reason="forged")
    [(kind, detail)] = kinds(Change("sharing", "INSERT", None, refused))
    assert kind == "ReferralRefused" and detail["reason"] == "forged" and detail["referrer_id"] is None
    # A registration replacing an open's existing_user refusal: accepted, or refused anew.
    existing = referral(status="refused", reason="existing_user", referrer_id="li", share_id="S1")
    assert [k for k, _ in kinds(Change("sharing", "MODIFY", existing, accepted))] == ["ReferralAccepted"]
    over = referral(status="refused", reason="over_cap", referrer_id="li", share_id="S1")
    assert [k for k, _ in kinds(Change("sharing", "MODIFY", existing, over))] == ["ReferralRefused"]
    assert kinds(Change("sharing", "MODIFY", over, over)) == []


def test_counters_mean_nothing_to_others():
    counter = {"pk": "REFCOUNT#li#2026-12-02", "sk": "COUNT", "entity": "ReferralCount", "referrals": 1}
    assert kinds(Change("sharing", "INSERT", None, counter)) == []
