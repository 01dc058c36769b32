"""`media_sweep` on its scheduled sample event, under moto: uploads that never got an outcome are
rejected as abandoned, images WeChat never judged go to review, and nothing else is touched."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import earnloop.moderation
import pytest
from earnloop.content.media_store import media_key
from earnloop.local.samples import load
from earnloop.moderation import ImageVerdict
from earnloop.platform.clock import iso, utcnow

from tests.conftest import TESTDATA
from tests.integration.content.media_harness import deliver, verdict
from tests.support.lambdas import call_http, invoke, stored

PHOTO = (TESTDATA / "images" / "gps_DSCN0010.jpg").read_bytes()


def start(cloud: Any) -> str:
    answer = call_http(
        "media_uploads_create", token=cloud.token("u1"), body={"content_type": "image/jpeg", "size": 9}
    )
    assert answer.status == 201, answer.body
    return str(answer.json["media_id"])


def sweep_at(later: timedelta) -> dict[str, int]:
    event = {**load("scheduled/media_sweep.json"), "time": iso(utcnow() + later).replace(".000", "")}
    return invoke("media_sweep", event)  # type: ignore[no-any-return]


def item(cloud: Any, media_id: str) -> dict[str, Any]:
    found = stored(cloud.settings.table_name("content"), media_key(media_id))
    assert found is not None
    return found


def test_an_upload_never_sent_is_rejected_as_abandoned_after_a_day_and_only_then(moto_cloud) -> None:
    waiting = start(moto_cloud)
    done = start(moto_cloud)
    deliver(moto_cloud, "u1", done, PHOTO)

    assert sweep_at(timedelta(hours=23)) == {"abandoned": 0, "sent_to_review": 0}
    assert sweep_at(timedelta(days=1, minutes=1)) == {"abandoned": 1, "sent_to_review": 0}
    assert sweep_at(timedelta(days=2)) == {"abandoned": 0, "sent_to_review": 0}

    assert (item(moto_cloud, waiting)["status"], item(moto_cloud, waiting)["reason"]) == (
        "rejected",
        "abandoned",
    )
    assert item(moto_cloud, done)["status"] == "ready"
    assert "sweep_pk" not in item(moto_cloud, done) and "sweep_pk" not in item(moto_cloud, waiting)


@pytest.fixture
def unanswered(monkeypatch: pytest.MonkeyPatch) -> None:
    class Unanswered:
        def check_image(
            self, *, image: bytes, url: str | None, openid: str | None, subject_id: str
        ) -> ImageVerdict:
            return ImageVerdict(
                outcome="pending", trace_id=f"trace-{subject_id}", labels=(), provider="wechat"
            )

    monkeypatch.setattr(earnloop.moderation, "moderation_from_settings", Unanswered)


def test_an_image_wechat_never_judged_goes_to_review_and_a_late_verdict_changes_nothing(
    moto_cloud, unanswered
) -> None:
    media_id = start(moto_cloud)
    deliver(moto_cloud, "u1", media_id, PHOTO)
    assert item(moto_cloud, media_id)["moderation"] == "pending"

    assert sweep_at(timedelta(hours=1)) == {"abandoned": 0, "sent_to_review": 0}
    assert sweep_at(timedelta(hours=2, minutes=1)) == {"abandoned": 0, "sent_to_review": 1}
    invoke("media_settle", verdict(f"trace-{media_id}", "reject"))

    swept = item(moto_cloud, media_id)
    assert (swept["status"], swept["moderation"]) == ("ready", "review")
