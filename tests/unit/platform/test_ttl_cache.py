"""The per-container cache of items read by id (code batches, flash-sale rewards)."""

from __future__ import annotations

from earnloop.platform.ttl_cache import TtlCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Source:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values
        self.reads: list[str] = []

    def __call__(self, key: str) -> str | None:
        self.reads.append(key)
        return self.values.get(key)


def test_a_value_is_read_once_per_ttl_then_again() -> None:
    clock, source = Clock(), Source({"a": "1"})
    cache: TtlCache[str] = TtlCache(5.0, clock=clock)
    assert [cache.get("a", source) for _ in range(3)] == ["1", "1", "1"]
    clock.now = 4.9
    source.values["a"] = "2"
    assert cache.get("a", source) == "1"
    clock.now = 5.0
    assert cache.get("a", source) == "2"
    assert source.reads == ["a", "a"]


def test_a_miss_is_not_kept() -> None:
    source = Source({})
    cache: TtlCache[str] = TtlCache(60.0, clock=Clock())
    assert cache.get("a", source) is None
    source.values["a"] = "1"
    assert cache.get("a", source) == "1"


def test_a_value_keep_refuses_is_returned_and_read_again_next_time() -> None:
    source = Source({"plain": "p", "flash": "f"})
    cache: TtlCache[str] = TtlCache(60.0, clock=Clock())
    for _ in range(3):
        assert cache.get("plain", source, keep=lambda v: v == "f") == "p"
        assert cache.get("flash", source, keep=lambda v: v == "f") == "f"
    assert source.reads.count("plain") == 3
    assert source.reads.count("flash") == 1


def test_the_least_recently_used_entry_goes_first_beyond_the_bound() -> None:
    source = Source({k: k.upper() for k in "abc"})
    cache: TtlCache[str] = TtlCache(60.0, max_entries=2, clock=Clock())
    cache.get("a", source)
    cache.get("b", source)
    cache.get("a", source)  # a is now the most recent
    cache.get("c", source)  # evicts b
    cache.get("a", source)
    cache.get("b", source)
    assert source.reads == ["a", "b", "c", "b"]
