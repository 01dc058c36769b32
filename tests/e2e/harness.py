"""What the e2e tests do through the API: log buyers in, create batches, read points."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.testclient import TestClient


@dataclass(frozen=True)
class User:
    id: str
    headers: dict[str, str]


class Buyers:
    """Logs people in through the API (`dev:<name>`), as the mini-program does."""

    def __init__(self, api: TestClient) -> None:
        self.api = api
        self.count = 0

    def login(self, name: str | None = None) -> User:
        self.count += 1
        code = f"dev:{name or f'buyer{self.count}'}"
        response = self.api.post("/v1/auth/login", json={"code": code})
        assert response.status_code == 200, response.text
        body = response.json()
        return User(body["user"]["id"], {"Authorization": f"Bearer {body['token']}"})


@dataclass(frozen=True)
class Batch:
    id: str
    points: int
    codes: list[str]


def create_batch(api: TestClient, admin: User, count: int = 4, points: int = 50) -> Batch:
    """A new product batch through the admin API, with its codes from the CSV export."""
    response = api.post(
        "/v1/admin/code-batches",
        headers=admin.headers,
        json={
            "sku": "DEMO-YOGURT-OAT-PEACH",
            "product_name": "Oat & peach yogurt",
            "points": points,
            "count": count,
            "tags": ["oat-peach flavour fan", "yogurt"],
        },
    )
    assert response.status_code == 201, response.text
    batch_id = response.json()["batch_id"]
    export = api.get(f"/v1/admin/code-batches/{batch_id}/codes", headers=admin.headers)
    assert export.status_code == 200, export.text
    codes = [row["code"] for row in csv.DictReader(io.StringIO(export.text))]
    assert len(codes) == count
    return Batch(batch_id, points, codes)


def scan(api: TestClient, user: User, code: str) -> Any:
    return api.post("/v1/scans", headers=user.headers, json={"code": code})


def points_of(api: TestClient, user: User) -> dict[str, Any]:
    response = api.get("/v1/points", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def history_of(api: TestClient, user: User) -> list[dict[str, Any]]:
    response = api.get("/v1/points/history", headers=user.headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    """A problem+json answer with this status and machine code."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    return body
