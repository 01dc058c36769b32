"""What the identity table's changes mean to other contexts."""

from __future__ import annotations

from datetime import UTC, datetime

from earnloop.identity.events import ProfileChanged, UserRegistered, derive
from earnloop.identity.models import WeChatIdentity
from earnloop.identity.rules import new_user
from earnloop.platform.events import Change


def user_image(**extra: object) -> dict[str, object]:
    user = new_user(
        "U1", WeChatIdentity(openid="o1"), datetime(2026, 11, 23, tzinfo=UTC), referral_token="ref-1"
    )
    return {"pk": "USER#U1", "sk": "PROFILE", "entity": "User", **user.model_dump(), **extra}


def test_a_new_user_is_registered_with_the_referral_token_it_arrived_with():
    [event] = derive(Change("identity", "INSERT", None, user_image()))
    assert event == UserRegistered(
        user_id="U1", created_at="2026-11-23T00:00:00.000Z", referral_token="ref-1"
    )
    assert "wx_openid" not in event.model_dump()


def test_a_changed_nickname_or_avatar_is_a_profile_change_other_edits_mean_nothing():
    edited = user_image(nickname="Li", updated_at="2026-11-24T08:00:00.123Z")
    assert derive(Change("identity", "MODIFY", user_image(), edited)) == [
        ProfileChanged(user_id="U1", nickname="Li", updated_at="2026-11-24T08:00:00.123Z")
    ]
    [registered, named] = derive(Change("identity", "INSERT", None, user_image(nickname="Li")))
    assert isinstance(registered, UserRegistered)
    assert named == ProfileChanged(user_id="U1", nickname="Li", updated_at="2026-11-23T00:00:00.000Z")
    assert derive(Change("identity", "MODIFY", edited, user_image(nickname="Li", tier="gold"))) == []
    link = {"pk": "IDENT#wx_openid#o1", "sk": "IDENT", "entity": "Identity", "user_id": "U1"}
    assert derive(Change("identity", "INSERT", None, link)) == []
    tag = {"pk": "USER#U1", "sk": "TAG#yogurt", "entity": "Tag", "count": 1}
    assert derive(Change("identity", "INSERT", None, tag)) == []
