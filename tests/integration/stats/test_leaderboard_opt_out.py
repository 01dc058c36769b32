"""Opting out of the leaderboard end to end under moto: `PATCH /v1/me` stores the flag, the identity
stream derives `ProfileChanged` carrying it, the bus routes it to the stats queue, and the next
board leaves the user out while they still see their own points."""

from __future__ import annotations

from tests.integration.stats.stats_harness import SAMPLE, deliver, points_changed
from tests.support.lambdas import assert_problem, call_http, drain, invoke, pump_stream, sqs_event, stored

NOW = "2026-12-02T02:00:00.000Z"


def test_an_opt_out_reaches_the_board_through_the_events_and_opting_in_again_restores_it(moto_cloud):
    token = moto_cloud.token("li")
    assert call_http("me_update", token=token, body={"nickname": "Xiao Li"}).status == 200
    not_a_boolean = call_http("me_update", token=token, body={"leaderboard_visible": "no"})
    assert_problem(not_a_boolean, 422, "validation_error")
    answer = call_http("me_update", token=token, body={"leaderboard_visible": False})
    assert answer.status == 200, answer.body
    user = stored(moto_cloud.settings.table_name("identity"), {"pk": "USER#li", "sk": "PROFILE"})
    assert user is not None and user["leaderboard_visible"] is False

    pump_stream(moto_cloud.streams["identity"])
    bodies = [b for b in drain(moto_cloud.queues["stats"].main) if b["detail-type"] == "ProfileChanged"]
    assert [b["detail"]["leaderboard_visible"] for b in bodies] == [True, False]
    assert invoke("stats_count", sqs_event(SAMPLE, *bodies)) == {"batchItemFailures": []}
    deliver(points_changed("scan#1", "li", "earn", 30, NOW))

    assert invoke("leaderboard_build", {"time": "2026-12-02T02:01:00Z"}) == {"month": 0, "all": 0}
    board = call_http("leaderboard_get", token=token, query={"period": "all"}).json
    assert board == {"entries": [], "me": {"points": 30}}

    # `null` resets the flag: shown again.
    assert call_http("me_update", token=token, body={"leaderboard_visible": None}).status == 200
    pump_stream(moto_cloud.streams["identity"])
    bodies = [b for b in drain(moto_cloud.queues["stats"].main) if b["detail-type"] == "ProfileChanged"]
    assert invoke("stats_count", sqs_event(SAMPLE, *bodies)) == {"batchItemFailures": []}
    assert invoke("leaderboard_build", {"time": "2026-12-02T02:02:00Z"})["all"] == 1
    board = call_http("leaderboard_get", token=token, query={"period": "all"}).json
    assert board == {
        "entries": [{"rank": 1, "nickname": "Xiao Li", "points": 30}],
        "me": {"rank": 1, "points": 30},
    }
