"""Membership tiers: pure rules, no I/O.

A tier is reached by lifetime points earned (spending and expiry never lower them) and pays a
multiplier on rule earns. The account item stores the tier it was promoted to, in the same
transaction as the earn that reached it, so the promotion is a committed fact (`TierChanged` is
derived from it) and an account is never demoted, not even when the thresholds are raised later.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import TYPE_CHECKING

from earnloop.platform.settings import DEFAULT_TIERS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from earnloop.platform.settings import Settings, TierSetting


@dataclass(frozen=True)
class Tier:
    name: str
    threshold: int
    multiplier: Decimal


@dataclass(frozen=True)
class TierLadder:
    """The tiers, lowest first; the first starts at 0 (settings validate the list)."""

    tiers: tuple[Tier, ...]

    @classmethod
    def of(cls, settings: Sequence[TierSetting]) -> TierLadder:
        return cls(tuple(Tier(t.name, t.threshold, t.multiplier) for t in settings))

    @classmethod
    def from_settings(cls, settings: Settings) -> TierLadder:
        return cls.of(settings.tiers)

    @property
    def base(self) -> Tier:
        return self.tiers[0]

    def rank(self, name: str | None) -> int:
        """The position of tier `name` (0 for None: never promoted; -1 for a tier no longer defined)."""
        if name is None:
            return 0
        return next((i for i, tier in enumerate(self.tiers) if tier.name == name), -1)

    def reached(self, lifetime_earned: int) -> Tier:
        """The highest tier whose threshold `lifetime_earned` reaches."""
        return [tier for tier in self.tiers if lifetime_earned >= tier.threshold][-1]

    def current(self, stored: str | None, lifetime_earned: int) -> Tier:
        """The tier of an account: the one it was promoted to, or a higher one its lifetime points
        reach (thresholds lowered since). A stored tier that no longer exists counts as unranked."""
        reached = self.reached(lifetime_earned)
        rank = self.rank(stored)
        return self.tiers[rank] if rank > self.tiers.index(reached) else reached

    def promotion(self, stored: str | None, lifetime_after: int) -> Tier | None:
        """The tier to store after a write that leaves `lifetime_after` lifetime points, or None
        when the account stays where it is (only ever up)."""
        reached = self.reached(lifetime_after)
        return reached if self.tiers.index(reached) > self.rank(stored) else None


def multiplied(points: int, multiplier: Decimal) -> int:
    """`points` times the tier's multiplier, rounded down (a point is never created by rounding)."""
    return int((Decimal(points) * multiplier).to_integral_value(rounding=ROUND_FLOOR))


# The ladder of the settings' defaults, for callers that are given none (pure rules and their tests).
DEFAULT_LADDER = TierLadder.of(DEFAULT_TIERS)
