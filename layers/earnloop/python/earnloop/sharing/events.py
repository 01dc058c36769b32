"""Events of the sharing context, derived from its table's committed writes.

- `ShareCreated` when a share is made (nothing is paid for it: WeChat forbids rewarding the act);
- `ShareOpened` when a logged-in user reports opening a share (this context judges it as a referral
  attempt by an existing user);
- `ShareRewarded` the one time a share leads to real interaction: the points worker pays the
  sharer the `share` rule (`share#<share>`);
- `ReferralAccepted` when a new user becomes the sharer's referral: the points worker pays the
  `referral` rule (`referral#<referee>`), the notify worker tells the referrer;
- `ReferralRefused` with the reason, whenever a referral attempt earns nothing;
- `RiskFlagged` (source `earnloop.sharing`) for a referrer whose accepted referrals burst
  (sharing/referral_risk.py): the points worker freezes the account.
"""

from __future__ import annotations

from earnloop.platform.events import Change, DomainEvent
from earnloop.risk.bursts import BURST_ENTITY, burst_flag
from earnloop.risk.events import SharingRiskFlagged
from earnloop.sharing.erasure import derive_erasure_rounds
from earnloop.sharing.store import OPENING_ENTITY, REFERRAL_ENTITY, SHARE_ENTITY

SOURCE = "earnloop.sharing"


class ShareCreated(DomainEvent):
    source = SOURCE
    detail_type = "ShareCreated"

    share_id: str
    sharer_id: str
    target_type: str
    target_id: str
    created_at: str


class ShareOpened(DomainEvent):
    source = SOURCE
    detail_type = "ShareOpened"

    share_id: str
    sharer_id: str
    user_id: str
    target_type: str
    target_id: str
    opened_at: str


class ShareRewarded(DomainEvent):
    source = SOURCE
    detail_type = "ShareRewarded"

    share_id: str
    sharer_id: str
    friend_id: str
    # login (a new user's first login through it), like or comment (on the shared post).
    trigger: str
    rewarded_at: str


class ReferralAccepted(DomainEvent):
    source = SOURCE
    detail_type = "ReferralAccepted"

    referrer_id: str
    referee_id: str
    share_id: str
    accepted_at: str


class ReferralRefused(DomainEvent):
    source = SOURCE
    detail_type = "ReferralRefused"

    referee_id: str
    # malformed, forged, expired, self, existing_user, over_cap, rate_limited
    reason: str
    # Known unless the token could not be read (malformed, forged).
    referrer_id: str | None = None
    share_id: str | None = None
    refused_at: str


def derive(change: Change) -> list[DomainEvent]:
    # A deleted account's erasure goes on in rounds (sharing/erasure.py).
    rounds = derive_erasure_rounds(change)
    if rounds:
        return rounds
    new = change.new
    if new is None:
        return []
    if change.entity == SHARE_ENTITY:
        if change.kind == "INSERT":
            return [ShareCreated.model_validate(new)]
        if "rewarded_at" in new and "rewarded_at" not in (change.old or {}):
            return [ShareRewarded.model_validate(new)]
        return []
    if change.entity == OPENING_ENTITY and change.kind == "INSERT":
        return [ShareOpened.model_validate(new)]
    if change.entity == REFERRAL_ENTITY:
        return _referral_events(change)
    if change.entity == BURST_ENTITY and change.kind != "REMOVE":
        # The referral burst (sharing/referral_risk.py): the points worker freezes the referrer.
        flag = burst_flag(new, change.old)
        return [SharingRiskFlagged(**vars(flag))] if flag is not None else []
    return []


def _referral_events(change: Change) -> list[DomainEvent]:
    new, old = change.new or {}, change.old or {}
    if change.became("status", "accepted"):
        return [ReferralAccepted.model_validate({**new, "accepted_at": new["decided_at"]})]
    # A registration replaces an `existing_user` refusal by its own judgement: a new reason.
    if new.get("status") == "refused" and (old.get("status"), old.get("reason")) != (
        "refused",
        new.get("reason"),
    ):
        return [ReferralRefused.model_validate({**new, "refused_at": new["decided_at"]})]
    return []
