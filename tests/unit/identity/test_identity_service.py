"""Identity use cases against an in-memory store and a scripted WeChat: no sockets."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from earnloop.codes.events import ScanClaimed
from earnloop.identity import service
from earnloop.identity.models import IdentityKind, LoginRequest, ProfileUpdate, TagCount, User
from earnloop.identity.store import LinkTakenError
from earnloop.platform.dynamo import TransactionConflictError
from earnloop.platform.errors import (
    ConcurrencyError,
    NotFoundError,
    UnauthenticatedError,
    ValidationFailedError,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from earnloop.platform.auth import Principal

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


class MemoryStore:
    """The store's semantics: conditional link puts, an all-or-nothing user creation."""

    def __init__(self) -> None:
        self.users: dict[str, User] = {}
        self.links: dict[tuple[str, str], str] = {}
        self.tag_counts: dict[tuple[str, str], TagCount] = {}
        self.guards: set[tuple[str, str]] = set()
        self.before_create: Callable[[], None] | None = None

    def user_id_for(self, kind: IdentityKind, value: str) -> str | None:
        return self.links.get((kind, value))

    def get_user(self, user_id: str) -> User | None:
        return self.users.get(user_id)

    def create_user(self, user: User, links: Sequence[tuple[IdentityKind, str]]) -> None:
        if self.before_create:
            hook, self.before_create = self.before_create, None
            hook()
        if any(link in self.links for link in links):
            raise LinkTakenError()
        self.users[user.user_id] = user
        self.links.update({link: user.user_id for link in links})

    def link(self, kind: IdentityKind, value: str, user_id: str, created_at: str) -> str:
        return self.links.setdefault((kind, value), user_id)

    def update_profile(self, user_id: str, changes: Mapping[str, str | None], updated_at: str) -> User:
        if user_id not in self.users:
            raise NotFoundError("no such user")
        self.users[user_id] = self.users[user_id].model_copy(update=dict(changes))
        return self.users[user_id]

    def tags(self, user_id: str) -> list[TagCount]:
        return [count for (owner, _), count in self.tag_counts.items() if owner == user_id]

    def count_scan_tags(
        self, user_id: str, code: str, tags: Sequence[str], claimed_at: str, guard_expires_at: int
    ) -> bool:
        if (user_id, code) in self.guards:
            return False
        self.guards.add((user_id, code))
        for tag in tags:
            before = self.tag_counts.get((user_id, tag))
            count = (before.count if before else 0) + 1
            self.tag_counts[(user_id, tag)] = TagCount(tag=tag, count=count, last_seen=claimed_at)
        return True

    def count_order_tags(
        self, user_id: str, order_id: str, tags: Sequence[str], placed_at: str, guard_expires_at: int
    ) -> bool:
        return self.count_scan_tags(user_id, f"order#{order_id}", tags, placed_at, guard_expires_at)


@dataclass(frozen=True)
class Session:
    openid: str
    unionid: str | None = None


class ScriptedWeChat:
    def __init__(self, **sessions: Session) -> None:
        self.sessions = sessions
        self.calls: list[str] = []

    def code2session(self, code: str) -> Session:
        self.calls.append(code)
        if code not in self.sessions:
            raise UnauthenticatedError("the login code is invalid or was used before")
        return self.sessions[code]


def fake_issue(principal: Principal, now: datetime) -> tuple[str, int]:
    return f"token-for-{principal.user_id}-{','.join(sorted(principal.roles))}", 3600


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


def login(store: MemoryStore, wechat: ScriptedWeChat, code: str, *, is_local: bool = False, **body: str):
    ids = (f"U{n}" for n in itertools.count(len(store.users) + 1))
    return service.login(
        LoginRequest(code=code, **body),
        store=store,
        wechat=wechat,
        is_local=is_local,
        now=NOW,
        issue=fake_issue,
        make_id=lambda: next(ids),
    )


def test_a_first_login_registers_the_user_and_links_both_identities(store):
    wechat = ScriptedWeChat(c1=Session("o1", "u1"))
    response = login(store, wechat, "c1")
    assert response.user.is_new and response.user.tier == "bronze"
    assert response.token == "token-for-U1-" and response.expires_in == 3600
    assert store.links == {("wx_unionid", "u1"): "U1", ("wx_openid", "o1"): "U1"}


def test_a_later_login_is_the_same_user_and_not_new(store):
    wechat = ScriptedWeChat(c1=Session("o1", "u1"), c2=Session("o1", "u1"))
    first = login(store, wechat, "c1")
    second = login(store, wechat, "c2")
    assert second.user.id == first.user.id and not second.user.is_new
    assert len(store.users) == 1


def test_the_same_unionid_from_another_openid_is_the_same_person(store):
    wechat = ScriptedWeChat(c1=Session("o1", "u1"), c2=Session("o-other-app", "u1"))
    assert login(store, wechat, "c2").user.id == login(store, wechat, "c1").user.id


def test_a_unionid_that_appears_later_is_linked_to_the_openid_user(store):
    wechat = ScriptedWeChat(c1=Session("o1"), c2=Session("o1", "u1"))
    first = login(store, wechat, "c1")
    assert ("wx_unionid", "u1") not in store.links
    second = login(store, wechat, "c2")
    assert second.user.id == first.user.id and not second.user.is_new
    assert store.links[("wx_unionid", "u1")] == first.user.id


def test_a_unionid_already_linked_elsewhere_names_the_person(store):
    store.users["UX"] = User(user_id="UX", created_at="2026-01-01T00:00:00.000Z")
    wechat = ScriptedWeChat(c1=Session("o1"), c2=Session("o1", "u1"))
    login(store, wechat, "c1")
    # Between the openid lookup and the link, the unionid reached another user (another app).
    original = store.link

    def link_raced(kind: IdentityKind, value: str, user_id: str, created_at: str) -> str:
        store.links[(kind, value)] = "UX"
        return original(kind, value, user_id, created_at)

    store.link = link_raced  # type: ignore[method-assign]
    assert login(store, wechat, "c2").user.id == "UX"


def test_a_first_login_that_loses_the_race_returns_the_winners_user(store):
    wechat = ScriptedWeChat(c1=Session("o1", "u1"))
    winner = User(user_id="WINNER", created_at="2026-11-23T09:00:00.000Z", wx_openid="o1")

    def other_login_commits_first() -> None:
        store.users["WINNER"] = winner
        store.links[("wx_unionid", "u1")] = "WINNER"
        store.links[("wx_openid", "o1")] = "WINNER"

    store.before_create = other_login_commits_first
    response = login(store, wechat, "c1")
    assert response.user.id == "WINNER" and not response.user.is_new
    assert list(store.users) == ["WINNER"]


def test_a_first_login_cancelled_by_a_conflicting_transaction_looks_again(store):
    wechat = ScriptedWeChat(c1=Session("o1", "u1"))

    def conflict() -> None:
        # DynamoDB cancelled both simultaneous transactions: nothing was written by either.
        raise TransactionConflictError()

    store.before_create = conflict
    response = login(store, wechat, "c1")
    assert response.user.is_new and list(store.users) == [response.user.id]


def test_first_logins_that_keep_colliding_ask_the_client_to_retry(store):
    class AlwaysConflicting(MemoryStore):
        def create_user(self, user: User, links: Sequence[tuple[IdentityKind, str]]) -> None:
            raise TransactionConflictError()

    with pytest.raises(ConcurrencyError):
        login(AlwaysConflicting(), ScriptedWeChat(c1=Session("o1")), "c1")


def test_dev_codes_never_reach_wechat_and_are_refused_outside_local(store):
    wechat = ScriptedWeChat()
    with pytest.raises(UnauthenticatedError):
        login(store, wechat, "dev:alice", is_local=False)
    assert store.users == {}
    response = login(store, wechat, "dev:admin", is_local=True)
    assert response.token.endswith("-admin") and response.user.nickname == "admin"
    assert store.users[response.user.id].roles == ["admin"]
    assert wechat.calls == []


def test_an_invalid_code_registers_nobody(store):
    with pytest.raises(UnauthenticatedError):
        login(store, ScriptedWeChat(), "bogus")
    assert store.users == {} and store.links == {}


def test_a_referral_token_is_kept_on_a_new_user_only(store):
    wechat = ScriptedWeChat(c1=Session("o1"), c2=Session("o1"))
    first = login(store, wechat, "c1", referral_token="ref-a")
    login(store, wechat, "c2", referral_token="ref-b")
    assert store.users[first.user.id].referral_token == "ref-a"


@dataclass(frozen=True)
class Summary:
    balance: int
    expiring_soon: int


def test_me_shows_the_profile_top_tags_and_points(store):
    store.users["U1"] = User(user_id="U1", nickname="Li", created_at="2026-11-23T09:00:00.000Z")
    store.tag_counts[("U1", "a")] = TagCount(tag="a", count=1, last_seen="2026-11-23T09:00:00.000Z")
    store.tag_counts[("U1", "b")] = TagCount(tag="b", count=3, last_seen="2026-11-23T09:00:00.000Z")
    me = service.me(store, lambda user_id, now: Summary(120, 20), "U1", NOW, unread={"U1": 4}.__getitem__)
    assert me.model_dump() == {
        "id": "U1",
        "nickname": "Li",
        "avatar_url": None,
        "tier": "bronze",
        "tags": ["b", "a"],
        "points": {"balance": 120, "expiring_soon": 20},
        "unread_notifications": 4,
        "followers": 0,
        "following": 0,
    }


def test_me_of_an_unknown_user_is_not_found(store):
    with pytest.raises(NotFoundError):
        service.me(store, lambda user_id, now: Summary(0, 0), "nobody", NOW, unread=lambda user_id: 0)
    with pytest.raises(NotFoundError):
        service.update_me(store, "nobody", ProfileUpdate(), NOW)
    with pytest.raises(NotFoundError):
        service.update_me(store, "nobody", ProfileUpdate(nickname="x"), NOW)


AVATAR_1 = "https://thirdwx.qlogo.cn/mmopen/vi_32/1/132"
AVATAR_2 = "https://wx.qlogo.cn/mmopen/vi_32/2/132"


def test_a_profile_update_changes_only_the_fields_sent(store):
    store.users["U1"] = User(user_id="U1", nickname="Li", avatar_url=AVATAR_1, created_at="x")
    profile = service.update_me(store, "U1", ProfileUpdate(avatar_url=AVATAR_2), NOW)
    assert (profile.nickname, profile.avatar_url) == ("Li", AVATAR_2)
    assert service.update_me(store, "U1", ProfileUpdate(), NOW) == profile


def test_a_field_sent_as_null_is_cleared(store):
    store.users["U1"] = User(user_id="U1", nickname="Li", avatar_url=AVATAR_1, created_at="x")
    profile = service.update_me(store, "U1", ProfileUpdate.model_validate({"avatar_url": None}), NOW)
    assert (profile.nickname, profile.avatar_url) == ("Li", None)


def test_an_avatar_off_the_allowed_hosts_is_refused_and_nothing_changes(store):
    store.users["U1"] = User(user_id="U1", nickname="Li", avatar_url=AVATAR_1, created_at="x")
    update = ProfileUpdate(nickname="Wang", avatar_url="https://evil.example/a.png")
    with pytest.raises(ValidationFailedError):
        service.update_me(store, "U1", update, NOW)
    assert store.users["U1"].nickname == "Li"
    media = "https://media.example.cn/a.png"
    profile = service.update_me(store, "U1", ProfileUpdate(avatar_url=media), NOW, {"media.example.cn"})
    assert profile.avatar_url == media


def scan(code: str = "C1", tags: list[str] | None = None) -> ScanClaimed:
    return ScanClaimed(
        scan_id=f"S-{code}",
        code=code,
        batch_id="B",
        serial=1,
        user_id="U1",
        points=10,
        sku="SKU",
        product_name="Yogurt",
        tags=["yogurt", "fan"] if tags is None else tags,
        claimed_at="2026-11-23T09:00:00.000Z",
    )


def test_a_scans_tags_are_counted_once_however_often_it_arrives(store):
    assert service.record_scan_tags(store, scan())
    assert not service.record_scan_tags(store, scan())
    assert service.record_scan_tags(store, scan("C2", ["yogurt"]))
    assert {t.tag: t.count for t in store.tags("U1")} == {"yogurt": 2, "fan": 1}


def test_a_scan_without_tags_counts_nothing(store):
    assert not service.record_scan_tags(store, scan(tags=[" "]))
    assert store.guards == set()
