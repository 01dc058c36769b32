"""Queue workers of the codes context."""

from __future__ import annotations

from earnloop.codes import service
from earnloop.codes.store import codes_store
from earnloop.platform.workers import queue_worker
from earnloop.points.events import PointsChanged


def _mark_credited(event: PointsChanged) -> None:
    service.mark_credited(codes_store(), event)


# `scans_mark_credited`: the claims queue carries the points context's `scan#...` ledger entries.
lambda_handler = queue_worker({PointsChanged.detail_type: (PointsChanged, _mark_credited)})
