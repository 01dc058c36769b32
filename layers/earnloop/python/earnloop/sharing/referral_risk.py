"""Risk rules of referrals, charged in the acceptance's own transaction (the sharing worker judges
referrals from `UserRegistered`, so there is no HTTP call to limit).

- A limit of accepted referrals per referrer in a sliding day (`referrals_per_day`, 24 buckets of an
  hour, risk/windows.py): the counter `RISK#referral#user#<referrer>` is read once before the
  acceptance and its current bucket is conditioned in the transaction, so concurrent acceptances
  never exceed it; one over it is refused `rate_limited` and pays nothing. Only acceptances count:
  a refused referral costs the referrer nothing (it is not the referrer's attempt).
- A referral burst (`referral_burst` acceptances within `referral_burst_minutes`): a burst counter
  (risk/bursts.py) `RISK#referral-burst#<referrer>` in the same transaction; the sharing stream
  derives `RiskFlagged` (source `earnloop.sharing`) for the referrer, and the points worker freezes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from earnloop.platform import aws
from earnloop.platform.settings import get_settings
from earnloop.risk.bursts import Burst, burst_action
from earnloop.risk.counters import RiskCounters, count_actions
from earnloop.risk.windows import SlidingWindow, Subject

if TYPE_CHECKING:
    from datetime import datetime

    from earnloop.platform.dynamo import TxAction

REFERRAL = "referral"
REFERRAL_BURST = "referral_burst"
DAY = SlidingWindow(length_s=86400, buckets=24)


def burst_key(referrer_id: str) -> dict[str, str]:
    return {"pk": f"RISK#referral-burst#{referrer_id}", "sk": "RISK"}


@dataclass(frozen=True)
class ReferralRisk:
    table: str
    counters: RiskCounters
    per_day: int
    burst: int
    burst_minutes: int

    @classmethod
    def default(cls) -> ReferralRisk:
        settings = get_settings()
        table = settings.table_name("sharing")
        return cls(
            table=table,
            counters=RiskCounters(aws.dynamodb(), table, DAY),
            per_day=settings.referrals_per_day,
            burst=settings.referral_burst,
            burst_minutes=settings.referral_burst_minutes,
        )

    def counting(self, referrer_id: str, now: datetime) -> list[TxAction]:
        """The acceptance's risk actions: the sliding day's charge (conditioned) and the burst.

        Raises:
            RateLimitedError: the referrer has used the sliding day's referrals already (read).
        """
        gate = self.counters.open(REFERRAL, [Subject("user", referrer_id, self.per_day)], now)
        burst = Burst(
            rule=REFERRAL_BURST,
            key=burst_key(referrer_id),
            user_id=referrer_id,
            window=SlidingWindow(length_s=self.burst_minutes * 60, buckets=self.burst_minutes),
            threshold=self.burst,
            evidence={"referrer_id": referrer_id},
        )
        return [*count_actions(self.table, gate), burst_action(self.table, burst, now)]
