"""Pure sliding-window arithmetic of the risk limits (docs/decisions.md, 2026-12-02).

A window of `length_s` is cut into `buckets` fixed sub-windows. An attempt at `now` counts against
the current bucket plus the `buckets` closed buckets before it: a span between `length_s` and
`length_s + bucket_s` long. It therefore always covers the true sliding window ending at `now`, so
no subject ever gets more than `limit` attempts into any `length_s` interval; the error is one-sided:
it may refuse early by at most the attempts of one bucket older than the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

SubjectKind = Literal["user", "device", "ip"]


@dataclass(frozen=True)
class SlidingWindow:
    length_s: int = 3600
    buckets: int = 12

    @property
    def bucket_s(self) -> int:
        return self.length_s // self.buckets

    def bucket(self, now: datetime) -> int:
        """The index of the bucket `now` falls in (epoch seconds // bucket length)."""
        return int(now.timestamp()) // self.bucket_s

    def closed(self, current: int) -> range:
        """The closed buckets an attempt in bucket `current` counts besides its own."""
        return range(current - self.buckets, current)

    def stale(self, current: int) -> range:
        """Buckets just older than any window from `current` on: removed by the next write."""
        return range(current - 2 * self.buckets - 1, current - self.buckets)

    def expires_at(self, current: int) -> int:
        """When a counter last written in bucket `current` holds nothing any window counts."""
        return (current + self.buckets + 1) * self.bucket_s


@dataclass(frozen=True)
class Subject:
    """Who an attempt is counted against, and how many attempts per window it may make."""

    kind: SubjectKind
    value: str
    limit: int


@dataclass(frozen=True)
class Allowance:
    """What the write of one attempt against `subject` must check: the current bucket holds fewer
    than `allowed` attempts (the limit less the closed buckets' sum, which no longer change)."""

    subject: Subject
    bucket: int
    allowed: int
    retry_after_s: int
    expires_at: int


@dataclass(frozen=True)
class Gate:
    """One attempt of `action` at `now`: its allowance against each subject."""

    action: str
    window: SlidingWindow
    allowances: tuple[Allowance, ...]


def allowance(subject: Subject, window: SlidingWindow, counts: Mapping[int, int], now: datetime) -> Allowance:
    """The allowance of an attempt at `now` against `subject`, whose counter holds `counts`
    (bucket index -> attempts) as last read. `retry_after_s` is what a refused caller is told: the
    seconds until enough old buckets leave the window for one more attempt, assuming the current
    bucket full."""
    current = window.bucket(now)
    closed = sum(counts.get(index, 0) for index in window.closed(current))
    allowed = subject.limit - closed
    assumed = {**counts, current: max(counts.get(current, 0), allowed)}
    return Allowance(
        subject=subject,
        bucket=current,
        allowed=allowed,
        retry_after_s=retry_after(window, assumed, subject.limit, now),
        expires_at=window.expires_at(current),
    )


def used(counts: Mapping[int, int], window: SlidingWindow, now: datetime) -> int:
    """The attempts `counts` hold within the window of an attempt at `now` (current bucket included)."""
    current = window.bucket(now)
    return sum(counts.get(index, 0) for index in range(current - window.buckets, current + 1))


def retry_after(window: SlidingWindow, counts: Mapping[int, int], limit: int, now: datetime) -> int:
    """Seconds from `now` until an attempt would be within `limit` again (at least 1)."""
    current = window.bucket(now)
    for ahead in range(1, window.buckets + 2):
        later = current + ahead
        if sum(counts.get(index, 0) for index in range(later - window.buckets, later + 1)) < limit:
            return max(1, later * window.bucket_s - int(now.timestamp()))
    return window.length_s  # unreachable: every counted bucket has left the window by then
