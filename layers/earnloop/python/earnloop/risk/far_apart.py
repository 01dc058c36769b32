"""Far-apart scans: two scans of one user from places no one travels between that fast.

A scan sent with a location (the mini-program's `wx.getLocation`, which the user authorizes) Puts
`RISK#where#<user>`/`RISK` in its claim transaction: the place, the instant and the rule's bounds of
the moment. The stream shows the previous Put as the old image, so the judgement needs no read on the
scan's path: when the two places are at least `min_km` apart and the implied speed is over `max_kmh`,
the user is flagged (`far_apart_scans`). A nearby place (GPS drift, a quick second scan in the same
shop) never flags however short the interval. The item lives a day: no speed bound worth having
makes a place older than that matter, and a user's whereabouts are not kept longer than the rule
needs (PIPL). The evidence shows places rounded to 0.1° (about 10 km), enough for an operator.
"""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from earnloop.platform.clock import iso, parse_iso
from earnloop.platform.dynamo import TxAction, marshal

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

FAR_APART = "far_apart_scans"
PLACE_ENTITY = "ScanPlace"
PLACE_KEEP = timedelta(days=1)
EARTH_RADIUS_KM = 6371.0


class ScanLocation(BaseModel):
    """Where the user is, as `wx.getLocation` reports it (WGS-84 or GCJ-02: the rule's bounds are far
    coarser than their few hundred metres' difference)."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    latitude: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
    longitude: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]


def place_key(user_id: str) -> dict[str, str]:
    return {"pk": f"RISK#where#{user_id}", "sk": "RISK"}


def place_put(
    table: str, user_id: str, location: ScanLocation, now: datetime, *, min_km: int, max_kmh: int
) -> TxAction:
    """The Put of the user's latest scan place (unconditional: the stream keeps the one before)."""
    item = {
        **place_key(user_id),
        "entity": PLACE_ENTITY,
        "user_id": user_id,
        "latitude": Decimal(str(location.latitude)),
        "longitude": Decimal(str(location.longitude)),
        "at": iso(now),
        "min_km": min_km,
        "max_kmh": max_kmh,
        "expires_at": int((now + PLACE_KEEP).timestamp()),
    }
    return TxAction({"Put": {"TableName": table, "Item": marshal(item)}})


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance (haversine) between two (latitude, longitude) in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def _place(image: Mapping[str, Any]) -> tuple[float, float]:
    return float(image["latitude"]), float(image["longitude"])


def far_apart(new: Mapping[str, Any], old: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The evidence when the place Put `new` is too far from `old` for the time between them
    (bounds as written with `new`); None otherwise, and without a previous place."""
    if old is None or (old.get("at"), _place(old)) == (new.get("at"), _place(new)):
        return None  # no place before, or the same one written again
    km = distance_km(_place(old), _place(new))
    hours = (parse_iso(str(new["at"])) - parse_iso(str(old["at"]))).total_seconds() / 3600
    if km < int(new["min_km"]) or (hours > 0 and km / hours <= int(new["max_kmh"])):
        return None
    return {
        "from": [round(v, 1) for v in _place(old)],
        "to": [round(v, 1) for v in _place(new)],
        "km": round(km),
        "minutes": round(max(hours, 0) * 60, 1),
        "kmh": round(km / hours) if hours > 0 else None,
        "from_at": str(old["at"]),
    }
