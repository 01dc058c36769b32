"""The attacker's client: the whole API in process (FastAPI TestClient over `create_app(routers())`),
tokens minted as a login would, and the victims' objects made through the routes themselves where a
route makes them (posts, media, scans, orders) and through the owning store where only a worker
does (a notification)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from earnloop.contexts import routers
from earnloop.identity.api import inbox_store
from earnloop.identity.notifications_models import NoticeDraft, NotificationRef
from earnloop.platform.app import api_routes, create_app
from earnloop.platform.ids import new_id
from earnloop.points.models import EarnCommand
from earnloop.points.service import Ledger
from earnloop.points.store import PointsStore
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response

from tests.conftest import MotoCloud

ROUTERS = routers()
APP = create_app(ROUTERS)
ROUTES: list[APIRoute] = api_routes(ROUTERS)
ADMIN = "sec-admin"
EARNED_ON = datetime(2026, 11, 20, 2, tzinfo=UTC)


def route_keys(predicate: Any = None) -> set[str]:
    """`METHOD path` of every served route (HEAD aside) that `predicate(route)` keeps."""
    return {
        f"{method} {route.path}"
        for route in ROUTES
        if predicate is None or predicate(route)
        for method in route.methods
        if method != "HEAD"
    }


def problem_code(response: Response) -> str:
    assert response.headers["content-type"] == "application/problem+json", response.text
    return str(response.json()["code"])


@dataclass
class Attacker:
    cloud: MotoCloud

    def __post_init__(self) -> None:
        # No `with`: the app has no lifespan work, and a started portal per test is time for nothing.
        self.client = TestClient(APP, raise_server_exceptions=False)

    def call(
        self,
        method: str,
        path: str,
        user: str | None = None,
        *roles: str,
        token: str | None = None,
        **request: Any,
    ) -> Response:
        """`method path` as `user` (a fresh token of theirs) or with `token`, or with no token."""
        headers = dict(request.pop("headers", None) or {})
        bearer = token or (self.cloud.token(user, *roles) if user else None)
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return self.client.request(method, path, headers=headers, **request)

    # What victims own

    def post(self, author: str, text: str = "my fruit bowl") -> str:
        answer = self.call("POST", "/v1/posts", author, json={"text": text, "media_ids": [], "topics": []})
        assert answer.status_code == 201, answer.text
        return str(answer.json()["post_id"])

    def media(self, owner: str) -> str:
        body = {"content_type": "image/jpeg", "size": 1000}
        answer = self.call("POST", "/v1/media/uploads", owner, json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["media_id"])

    def codes(self, count: int, points: int = 10) -> list[str]:
        """A new batch's codes, as the printer gets them (the admin's CSV export)."""
        body = {"sku": "SKU-1", "product_name": "Juice", "points": points, "count": count, "tags": []}
        batch = self.call("POST", "/v1/admin/code-batches", ADMIN, "admin", json=body)
        assert batch.status_code == 201, batch.text
        export = self.call("GET", f"/v1/admin/code-batches/{batch.json()['batch_id']}/codes", ADMIN, "admin")
        assert export.status_code == 200, export.text
        return [row["code"] for row in csv.DictReader(io.StringIO(export.text))]

    def scan(self, user: str, code: str, **request: Any) -> Response:
        return self.call("POST", "/v1/scans", user, json={"code": code}, **request)

    def reward(self, **fields: Any) -> str:
        body = {"name": "Trial pack", "kind": "virtual", "points": 100, "stock": 50, **fields}
        answer = self.call("POST", "/v1/admin/rewards", ADMIN, "admin", json=body)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["reward_id"])

    def fund(self, user: str, points: int) -> None:
        command = EarnCommand(txn_id=f"scan#{user}#{new_id()}", user_id=user, points=points, reason="scan")
        self.cloud.register(user)
        Ledger(PointsStore.default()).earn(command, EARNED_ON)

    def redeem(self, user: str, reward_id: str, quantity: int = 1) -> Response:
        body = {"reward_id": reward_id, "quantity": quantity}
        return self.call("POST", "/v1/redemptions", user, json=body, headers={"Idempotency-Key": new_id()})

    def note(self, user: str) -> str:
        """A notification in `user`'s inbox, as the notify worker puts it."""
        note_id = new_id()
        draft = NoticeDraft(
            user_id=user,
            kind="user_followed",
            text="Someone followed you",
            ref=NotificationRef(type="user", id="u-someone"),
            dedupe_key=f"test#{note_id}",
        )
        assert inbox_store().add(draft, note_id, "2026-12-02T09:00:00.000Z", 4_000_000_000)
        return note_id

    def notes(self, user: str) -> list[dict[str, Any]]:
        answer = self.call("GET", "/v1/notifications", user)
        assert answer.status_code == 200, answer.text
        return list(answer.json()["items"])
