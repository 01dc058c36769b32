"""What must not be shared by the copies of a SnapStart snapshot, and the hook that renews it.

With SnapStart, Lambda runs a function's init once, snapshots the memory, and resumes many execution
environments from that one snapshot. Anything init left in memory is then identical in all of them:
the `random` module's state (so every copy draws the same jitter), a ULID generator's monotonic
state, a cached clock reading, credentials and pooled connections of a client. Our init creates none
of those it can avoid (clients, pools and secrets are made on first use); what a module does keep, it
registers here with `on_restore`, and the runtime's after-restore hook (`snapshot_restore_py`, present
only in Lambda's Python runtime) calls every registered renewal, in registration order, before the
restored copy serves its first event. Outside Lambda nothing registers with the runtime, and the
renewals are plain cache resets that tests can call through `restore()`.
"""

from __future__ import annotations

import random
from collections.abc import Callable

_RENEWALS: list[Callable[[], None]] = []


def on_restore(renew: Callable[[], None]) -> Callable[[], None]:
    """Registers `renew` to run in each environment restored from a snapshot (usable as a decorator)."""
    _RENEWALS.append(renew)
    return renew


def restore() -> None:
    """Renews everything registered: what Lambda's after-restore hook calls."""
    for renew in _RENEWALS:
        renew()


# The Mersenne Twister state is plain memory: every restored copy would draw the same numbers (retry
# jitter in lockstep: the thundering herd jitter exists to prevent). Reseeded from the kernel.
on_restore(random.seed)


def _register_with_runtime() -> None:
    try:
        from snapshot_restore_py import register_after_restore  # type: ignore[import-not-found]
    except ImportError:  # not in Lambda's Python runtime (development, tests, the local cloud)
        return
    register_after_restore(restore)


_register_with_runtime()
