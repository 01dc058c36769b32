"""Demo data for `make dev`, written through the contexts' own use cases (not raw puts), so it is
exactly what the API would have written: an admin, and one product batch whose codes are printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING

from earnloop.codes import service as codes
from earnloop.codes.api import qr_keys
from earnloop.codes.models import BatchCreate
from earnloop.codes.store import codes_store
from earnloop.identity import service as identity
from earnloop.identity.api import identity_store
from earnloop.identity.models import LoginRequest
from earnloop.mall import service as mall_service
from earnloop.mall.models import RecurringWindow, RewardCreate, SaleWindow
from earnloop.mall.service import Mall
from earnloop.mall.store import MallStore
from earnloop.platform.clock import iso
from earnloop.platform.observability import logger
from earnloop.platform.settings import get_settings
from earnloop.platform.wechat import default_client
from earnloop.points.store import PointsStore

if TYPE_CHECKING:
    from datetime import datetime

DEMO_BATCH = BatchCreate(
    sku="DEMO-YOGURT-OAT-PEACH",
    product_name="Oat & peach yogurt",
    points=50,
    count=20,
    tags=["oat-peach flavour fan", "yogurt"],
)

DEMO_REWARDS = (
    RewardCreate(
        name="Oat & peach trial pack",
        kind="physical",
        points=100,
        stock=100,
        per_user_limit=2,
        tags=["oat-peach flavour fan", "yogurt"],
    ),
    RewardCreate(
        name="5 yuan off your next order",
        kind="coupon",
        points=80,
        stock=0,
        tags=["yogurt"],
        coupon_codes=[f"DEMO5-{n:04d}" for n in range(1, 21)],
    ),
    RewardCreate(
        name="Yogurt maker (monthly flash sale, reviewed)",
        kind="physical",
        points=500,
        stock=10,
        per_user_limit=1,
        review=True,
        flash=True,
        window=SaleWindow(recurring=RecurringWindow(day=1, at=time(10, 0), minutes=60)),
    ),
)


@dataclass(frozen=True)
class DemoCode:
    serial: int
    code: str
    url: str


@dataclass(frozen=True)
class Demo:
    admin_id: str
    admin_token: str
    batch_id: str
    sku: str
    product_name: str
    points: int
    codes: list[DemoCode]


def login(code: str, now: datetime) -> tuple[str, str]:
    """Logs in with a `dev:<name>` code as the mini-program would; returns (user id, token)."""
    response = identity.login(
        LoginRequest(code=code), store=identity_store(), wechat=default_client(), is_local=True, now=now
    )
    return response.user.id, response.token


def seed(now: datetime, batch: BatchCreate = DEMO_BATCH, existing_batch: str | None = None) -> Demo:
    """Creates the admin (`dev:admin`) and the demo batch, or finds `existing_batch` (kept from an
    earlier run, whose printed codes stay valid); returns what the quick start prints."""
    admin_id, admin_token = login("dev:admin", now)
    store, keys = codes_store(), qr_keys()
    batch_id = existing_batch if existing_batch and store.get_batch(existing_batch) else None
    if batch_id is None:
        batch_id = codes.create_batch(store, keys, batch, admin_id, now).batch_id
    export = codes.export_codes(
        store,
        keys,
        batch_id,
        start=None,
        count=None,
        url_base=get_settings().qr_url_base,
        whole_batch_allowed=True,
    )
    rows = "".join(export.chunks).splitlines()[1:]
    demo_codes = [DemoCode(int(serial), code, url) for serial, code, url in (row.split(",") for row in rows)]
    found = export.batch
    seed_rewards(now)
    logger.info(
        "demo data seeded",
        extra={"batch_id": batch_id, "codes": len(demo_codes), "kept": batch_id == existing_batch},
    )
    return Demo(admin_id, admin_token, batch_id, found.sku, found.product_name, found.points, demo_codes)


def seed_rewards(now: datetime) -> None:
    """Puts the demo rewards in the mall unless its catalog lists some already (a kept database)."""
    mall = Mall.build(MallStore.default(), PointsStore.default())
    listed, more = mall.store.listed_rewards(iso(now), 1, None)
    if listed or more:
        return
    for reward in DEMO_REWARDS:
        mall_service.create_reward(mall, reward, now)
