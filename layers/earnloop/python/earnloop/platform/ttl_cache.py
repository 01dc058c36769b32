"""A small per-container cache of items read by id, each kept for a bounded time.

A crowd asking for the same item (a code batch during a promotion, a reward in a flash sale) reads
it from DynamoDB once per `ttl_s` per container instead of once per request, so no item takes more
reads than one partition serves. Only for items whose staleness the command that uses them makes
safe: its transaction re-checks what matters.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

V = TypeVar("V")


class TtlCache(Generic[V]):
    def __init__(
        self, ttl_s: float, max_entries: int = 1024, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl_s = ttl_s
        self._max = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(
        self, key: str, load: Callable[[str], V | None], keep: Callable[[V], bool] | None = None
    ) -> V | None:
        """The cached value, or `load(key)` when absent or older than `ttl_s`; a miss is not kept,
        nor a value `keep` refuses (it is read again next time)."""
        now = self._clock()
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and now - cached[0] < self._ttl_s:
                self._entries.move_to_end(key)
                return cached[1]
        value = load(key)
        with self._lock:
            if value is None or (keep is not None and not keep(value)):
                self._entries.pop(key, None)
                return value
            self._entries[key] = (now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value
