"""A deleted account leaves the leaderboard under moto: `DELETE /v1/me` derives `UserDeleted`, the
bus routes it to the stats queue, the stats worker drops the nickname and hides the user, and a
profile change from before the deletion, arriving late, does not bring them back."""

from __future__ import annotations

from tests.integration.stats.stats_harness import SAMPLE, deliver, points_changed
from tests.support.lambdas import call_http, drain, invoke, pump_stream, sqs_event, stored

NOW = "2026-12-02T02:00:00.000Z"


def test_a_deleted_user_leaves_the_board_and_a_late_profile_change_does_not_return_them(moto_cloud):
    token = moto_cloud.token("li")
    assert call_http("me_update", token=token, body={"nickname": "Xiao Li"}).status == 200
    deliver(points_changed("scan#1", "li", "earn", 30, NOW))
    pump_stream(moto_cloud.streams["identity"])
    profiles = [b for b in drain(moto_cloud.queues["stats"].main) if b["detail-type"] == "ProfileChanged"]
    assert invoke("stats_count", sqs_event(SAMPLE, *profiles)) == {"batchItemFailures": []}
    assert invoke("leaderboard_build", {"time": "2026-12-02T02:01:00Z"})["all"] == 1

    assert call_http("me_delete", token=token).status == 202
    pump_stream(moto_cloud.streams["identity"])
    deleted = [b for b in drain(moto_cloud.queues["stats"].main) if b["detail-type"] == "UserDeleted"]
    assert len(deleted) == 1
    # The deletion, then (late, redelivered) the profile changes of before it.
    assert invoke("stats_count", sqs_event(SAMPLE, *deleted, *profiles)) == {"batchItemFailures": []}

    kept = stored(moto_cloud.settings.table_name("stats"), {"pk": "SCORE#li", "sk": "PROFILE"})
    assert kept is not None and kept.get("nickname") is None and kept["visible"] is False
    assert invoke("leaderboard_build", {"time": "2026-12-02T02:02:00Z"})["all"] == 0
    board = call_http("leaderboard_get", token=moto_cloud.token("wang"), query={"period": "all"}).json
    assert board["entries"] == []
