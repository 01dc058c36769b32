"""A flash sale's crowd reads its reward from the container's cache; other rewards are read on every
redemption, so an admin's edit applies to the next one."""

from __future__ import annotations

from typing import Any

from earnloop.mall.models import Reward
from earnloop.mall.service import Mall
from earnloop.platform.ttl_cache import TtlCache


class CountingStore:
    def __init__(self, *rewards: Reward) -> None:
        self.rewards = {r.reward_id: r for r in rewards}
        self.reads: list[str] = []

    def reward(self, reward_id: str, *, consistent: bool = False) -> Reward | None:
        self.reads.append(reward_id)
        return self.rewards.get(reward_id)


def _reward(reward_id: str, **fields: Any) -> Reward:
    base = {"name": "n", "kind": "virtual", "points": 10, "created_at": "x", "updated_at": "x"}
    return Reward.model_validate({"reward_id": reward_id, **base, **fields})


def _mall(store: CountingStore, cache: TtlCache[Reward] | None) -> Mall:
    return Mall(store, None, None, None, rewards=cache)  # type: ignore[arg-type]


def test_a_flash_reward_is_read_once_per_container_within_the_ttl() -> None:
    store = CountingStore(_reward("FLASH", flash=True))
    mall = _mall(store, TtlCache(5.0))
    assert all(mall.reward_to_redeem("FLASH") is not None for _ in range(100))
    assert store.reads == ["FLASH"]


def test_an_ordinary_reward_is_read_on_every_redemption() -> None:
    store = CountingStore(_reward("PLAIN"))
    mall = _mall(store, TtlCache(5.0))
    for _ in range(3):
        mall.reward_to_redeem("PLAIN")
    store.rewards["PLAIN"] = _reward("PLAIN", points=25)
    assert mall.reward_to_redeem("PLAIN").points == 25  # type: ignore[union-attr]
    assert len(store.reads) == 4


def test_without_a_cache_every_redemption_reads() -> None:
    store = CountingStore(_reward("FLASH", flash=True))
    mall = _mall(store, None)
    mall.reward_to_redeem("FLASH")
    mall.reward_to_redeem("FLASH")
    assert store.reads == ["FLASH", "FLASH"]
