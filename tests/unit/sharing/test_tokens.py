"""Referral tokens: compact, URL-safe, and no alteration, foreign key or expiry gets through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest
from earnloop.sharing.rules import judge_token, referrals_per_day, share_path
from earnloop.sharing.tokens import ShareKeys, TokenError, authentic, sign, verify

KEYS = ShareKeys.from_secret({"current": "B", "A": "a" * 32, "B": "b" * 40})
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SHARE = "01JDQ40M2X7V6B5N4M3K2J1H0G"
SHARER = "01JDQ3Z8V7X6M5N4B3C2A1Z0YX"


def token(expires: datetime = NOW + timedelta(days=30), keys: ShareKeys = KEYS) -> str:
    return sign(keys, SHARE, SHARER, expires)


def test_a_token_is_compact_url_safe_and_names_its_share_and_sharer():
    text = token()
    assert len(text) <= 128 and quote(text, safe="") == text
    assert text.startswith("B" + SHARE)
    claims = verify(KEYS, text, NOW)
    assert (claims.share_id, claims.sharer_id) == (SHARE, SHARER)
    assert claims.expires_at == NOW + timedelta(days=30)


def test_a_token_signed_with_an_older_key_version_still_verifies():
    older = sign(
        ShareKeys.from_secret({"current": "A", "A": "a" * 32}), SHARE, SHARER, NOW + timedelta(days=1)
    )
    assert verify(KEYS, older, NOW).share_id == SHARE


def test_every_single_character_change_is_refused():
    text = token()
    for index, char in enumerate(text):
        for other in {"A", "7", "z", "-"} - {char}:
            altered = text[:index] + other + text[index + 1 :]
            with pytest.raises(TokenError) as refused:
                verify(KEYS, altered, NOW)
            assert refused.value.reason in ("forged", "malformed")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "malformed"),
        ("hello", "malformed"),
        (token() + ".x", "malformed"),
        (token(keys=ShareKeys.from_secret({"current": "B", "B": "c" * 32})), "forged"),
        (token(keys=ShareKeys.from_secret({"current": "C", "C": "b" * 40})), "forged"),
        (token(expires=NOW), "expired"),
    ],
)
def test_bad_tokens_are_refused_with_their_reason(text, reason):
    with pytest.raises(TokenError) as refused:
        verify(KEYS, text, NOW)
    assert refused.value.reason == reason


def test_an_expired_token_is_still_authentic_so_its_sharer_can_be_recorded():
    assert authentic(KEYS, token(expires=NOW - timedelta(days=1))).sharer_id == SHARER


def test_a_registration_is_judged_at_the_moment_of_the_login():
    late = token(expires=NOW + timedelta(minutes=1))
    assert judge_token(KEYS, late, "new-user", NOW).refusal is None
    assert judge_token(KEYS, late, "new-user", NOW + timedelta(minutes=1)).refusal == "expired"
    assert judge_token(KEYS, late, SHARER, NOW).refusal == "self"
    assert judge_token(KEYS, "x", "new-user", NOW) == judge_token(KEYS, "x", "new-user", NOW)
    assert judge_token(KEYS, "x", "new-user", NOW).claims is None


def test_keys_must_be_versioned_and_long_enough():
    for bad in (
        {"current": "A"},
        {"current": "A", "A": "short"},
        {"current": "a", "a": "x" * 32},
        {"A": "x" * 32},
    ):
        with pytest.raises(ValueError):
            ShareKeys.from_secret(bad)


def test_the_daily_referral_limit_is_the_rules_cap_in_whole_referrals():
    assert referrals_per_day(50, 500, True) == 10
    assert referrals_per_day(50, 120, True) == 2
    assert referrals_per_day(50, None, True) is None
    assert referrals_per_day(50, 500, False) is None


def test_paths_carry_the_target_and_the_token():
    assert share_path("post", "P1", "T") == "pages/post/index?id=P1&rt=T"
    assert share_path("product", "SKU-1", "T") == "pages/product/index?sku=SKU-1&rt=T"
