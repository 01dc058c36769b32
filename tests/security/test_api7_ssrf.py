"""API7:2023 Server Side Request Forgery: the API takes URLs (a profile's `avatar_url`, a reward's
`image_url`, a scanned QR code's URL) and never fetches one: every request here runs with the
process's sockets and name resolution closed, so a fetch would fail the test. Only allowed hosts are
accepted where a client will load the URL: WeChat's avatar hosts (and the stage's media domain)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from earnloop.platform.settings import get_settings
from httpx import Response

from tests.security.attacker import ADMIN, Attacker, problem_code

USER = "u-api7"
ALLOWED_AVATAR = "https://thirdwx.qlogo.cn/mmopen/vi_32/Q0j4TwGTfTL/132"
HOSTILE = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://169.254.169.254/latest/meta-data/",
    "https://2852039166/",  # 169.254.169.254 as one decimal number
    "https://0xA9.0xFE.0xA9.0xFE/",
    "https://[::1]/avatar.png",
    "https://localhost/avatar.png",
    "https://127.0.0.1/avatar.png",
    "https://evil.example/avatar.png",
    "https://thirdwx.qlogo.cn.evil.example/132",
    "https://thirdwx.qlogo.cn@evil.example/132",
    "https://thirdwx.qlogo.cn:8443/132",
    "https://thirdwx.qlogo.cn\\@evil.example/132",
    "http://thirdwx.qlogo.cn/mmopen/132",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "//evil.example/avatar.png",
    "ftp://thirdwx.qlogo.cn/132",
]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every outbound connection or name lookup is recorded and refused (moto serves AWS in process)."""
    attempts: list[object] = []

    def refuse(*args: object, **_: object) -> None:
        attempts.append(args)
        raise OSError("the attacker's suite allows no network")

    monkeypatch.setattr(socket.socket, "connect", lambda self, address: refuse(address))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: refuse(address))
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield attempts
    assert attempts == [], f"the server reached out: {attempts}"


@pytest.mark.parametrize("url", HOSTILE)
def test_an_avatar_url_off_the_allowed_hosts_is_refused_and_not_fetched(api: Attacker, url: str) -> None:
    before = api.call("GET", "/v1/me", USER).json()

    answer = api.call("PATCH", "/v1/me", USER, json={"avatar_url": url})

    assert answer.status_code == 422 and problem_code(answer) == "validation_error", answer.text
    assert api.call("GET", "/v1/me", USER).json() == before


def test_an_allowed_avatar_is_stored_as_given_and_not_fetched(api: Attacker) -> None:
    answer = api.call("PATCH", "/v1/me", USER, json={"avatar_url": ALLOWED_AVATAR})

    assert answer.status_code == 200 and answer.json()["avatar_url"] == ALLOWED_AVATAR


@pytest.mark.parametrize("url", HOSTILE[:8])
def test_a_scanned_url_on_another_host_is_an_invalid_code_and_not_fetched(api: Attacker, url: str) -> None:
    answer = api.scan(USER, url + "q/ABCDEFGH-1")

    assert answer.status_code in (400, 422), answer.text
    assert problem_code(answer) in ("invalid_code", "validation_error")


def reward_with_image(api: Attacker, url: str) -> Response:
    body = {"name": "Mug", "kind": "virtual", "points": 100, "stock": 5, "image_url": url}
    return api.call("POST", "/v1/admin/rewards", ADMIN, "admin", json=body)


@pytest.mark.parametrize("url", [url for url in HOSTILE if "evil.example" not in url])
def test_a_reward_image_on_an_address_is_refused(api: Attacker, url: str) -> None:
    answer = reward_with_image(api, url)

    assert answer.status_code == 422, answer.text
    assert "Mug" not in api.call("GET", "/v1/rewards", USER).text


def test_a_reward_image_is_on_the_media_domain_where_the_stage_has_one(
    api: Attacker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARNLOOP_MEDIA_HOST", "media.earnloop.example")
    get_settings.cache_clear()
    try:
        assert reward_with_image(api, "https://evil.example/mug.png").status_code == 422
        assert reward_with_image(api, "https://media.earnloop.example/rewards/mug.png").status_code == 201
    finally:
        monkeypatch.delenv("EARNLOOP_MEDIA_HOST")
        get_settings.cache_clear()


def test_an_upload_is_a_presigned_form_the_client_posts_the_server_never_fetches(api: Attacker) -> None:
    answer = api.call("POST", "/v1/media/uploads", USER, json={"content_type": "image/jpeg", "size": 2048})

    assert answer.status_code == 201
    upload = answer.json()["upload"]
    assert upload["url"].startswith(("https://", "http://")) and upload["fields"]
