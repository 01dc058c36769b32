"""The leaderboard under moto: earns counted by the stats worker, the board built by the schedule,
read by `GET /v1/leaderboard`: order, ties, opt-out, the caller's own standing, and the month
turning at midnight in Shanghai."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from earnloop.local.samples import load
from earnloop.platform.clock import LOCAL_CLOCK_VARIABLE

from tests.integration.stats.stats_harness import deliver, dynamodb_calls, points_changed, profile_changed
from tests.support.lambdas import assert_problem, call_http, invoke

# 2026-12-01 00:30 in Shanghai, and 23:30 the evening before (still November there).
DECEMBER = "2026-11-30T16:30:00.000Z"
NOVEMBER = "2026-11-30T15:30:00.000Z"


@pytest.fixture
def clock_at(tmp_path, monkeypatch):
    """Moves the local clock (as `earnloop clock set` does) so `utcnow()` is `moment`."""

    def move(moment: datetime) -> None:
        path = tmp_path / "clock.json"
        path.write_text(json.dumps({"offset_s": (moment - datetime.now(UTC)).total_seconds()}))
        monkeypatch.setenv(LOCAL_CLOCK_VARIABLE, str(path))

    return move


def build(at: str) -> dict[str, int]:
    return invoke("leaderboard_build", {**load("scheduled/leaderboard_build.json"), "time": at})  # type: ignore[no-any-return]


def board(moto_cloud, user: str, period: str = "month"):
    answer = call_http("leaderboard_get", token=moto_cloud.token(user), query={"period": period})
    assert answer.status == 200, answer.body
    return answer.json


def test_the_board_ranks_ties_hides_opt_outs_and_turns_with_the_shanghai_month(moto_cloud, clock_at):
    deliver(
        profile_changed("li", "Xiao Li", "2026-11-01T00:00:00.000Z"),
        profile_changed("wang", "Xiao Wang", "2026-11-01T00:00:00.000Z"),
        profile_changed("zhao", "Zhao", "2026-11-01T00:00:00.000Z"),
        # Zhao opts out; an older event arriving late does not bring him back.
        profile_changed("zhao", "Zhao", "2026-11-05T00:00:00.000Z", visible=False),
        profile_changed("zhao", "Zhao", "2026-11-02T00:00:00.000Z", visible=True),
        points_changed("scan#1", "li", "earn", 30, NOVEMBER),
        points_changed("scan#2", "li", "earn", 20, DECEMBER),
        points_changed("scan#3", "wang", "earn", 20, DECEMBER),
        points_changed("scan#3", "wang", "earn", 20, DECEMBER),  # redelivered
        points_changed("scan#4", "zhao", "earn", 99, DECEMBER),
        points_changed("scan#5", "nameless", "earn", 5, DECEMBER),
        # Spends and refunds do not move the board.
        points_changed("redeem#1", "wang", "spend", -15, DECEMBER),
        points_changed("refund#1", "nameless", "refund", 40, DECEMBER),
    )
    assert build("2026-12-01T01:00:00Z") == {"month": 3, "all": 3}
    clock_at(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))

    moto_cloud.token("li")
    with dynamodb_calls(moto_cloud.settings.table_name("stats")) as calls:
        month = board(moto_cloud, "li")
    assert calls == ["BatchGetItem"]  # the board and the caller's score: one read
    assert month["entries"] == [
        {"rank": 1, "nickname": "Xiao Li", "points": 20},
        {"rank": 1, "nickname": "Xiao Wang", "points": 20},
        {"rank": 3, "nickname": "微信用户", "points": 5},
    ]
    assert month["me"] == {"rank": 1, "points": 20}
    everything = board(moto_cloud, "li", "all")
    assert [(e["rank"], e["nickname"], e["points"]) for e in everything["entries"]][:2] == [
        (1, "Xiao Li", 50),
        (2, "Xiao Wang", 20),
    ]
    # Opted out: off the board, but still told their own points (no rank).
    assert board(moto_cloud, "zhao")["me"] == {"points": 99}
    assert board(moto_cloud, "newcomer")["me"] == {"points": 0}

    # Back in November (Shanghai) the November board was never built: empty, not December's.
    clock_at(datetime(2026, 11, 30, 15, 59, tzinfo=UTC))
    assert board(moto_cloud, "li")["entries"] == []
    assert build("2026-11-30T15:59:00Z")["month"] == 1
    assert board(moto_cloud, "li")["entries"] == [{"rank": 1, "nickname": "Xiao Li", "points": 30}]

    bad = call_http("leaderboard_get", token=moto_cloud.token("li"), query={"period": "week"})
    assert_problem(bad, 422, "validation_error")
    assert_problem(call_http("leaderboard_get", token=None), 401, "unauthenticated")
