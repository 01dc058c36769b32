"""The code domain: a printed code's URL opened by a camera outside WeChat, and WeChat's verification
file at the domain's root."""

from __future__ import annotations

from earnloop.platform.settings import get_settings

from tests.support.lambdas import assert_problem, call_http


def landing(code: str):
    return call_http("code_landing", path_parameters={"code": code})


def test_a_printed_code_opened_in_a_browser_says_to_scan_it_with_wechat_and_gives_nothing(codes):
    batch = codes.create_batch(points=30)
    code = codes.code(batch["batch_id"], 8)

    page = landing(code)

    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "微信" in page.body and "WeChat" in page.body
    # The code is a bearer token for its points: the page neither echoes it nor lets it leak.
    assert code not in page.body and code.lower() not in page.body
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "private, no-store"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    # Opening the page claimed nothing: the code still scans.
    assert codes.scan("u1", code).status == 202


def test_a_url_that_is_not_one_of_our_codes_gets_a_404_page_that_echoes_nothing():
    hostile = "<img src=x onerror=alert(1)>"
    page = landing(hostile)
    assert page.status == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "<img" not in page.body and "onerror" not in page.body


def test_the_verification_file_is_served_only_under_its_configured_name(monkeypatch, moto_cloud):
    monkeypatch.setenv("EARNLOOP_WECHAT_VERIFY_FILE", "Xk3fA9bQ2c.txt")
    monkeypatch.setenv("EARNLOOP_WECHAT_VERIFY_CONTENT", "7f1e2d3c4b5a69788796a5b4c3d2e1f0")
    get_settings.cache_clear()
    try:
        answer = call_http("code_domain_verification", path_parameters={"file_name": "Xk3fA9bQ2c.txt"})
        assert answer.status == 200
        assert answer.headers["content-type"].startswith("text/plain")
        assert answer.body == "7f1e2d3c4b5a69788796a5b4c3d2e1f0"

        other = call_http("code_domain_verification", path_parameters={"file_name": "robots.txt"})
        assert_problem(other, 404, "not_found")
    finally:
        get_settings.cache_clear()


def test_without_a_configured_verification_file_the_root_serves_nothing(moto_cloud):
    answer = call_http("code_domain_verification", path_parameters={"file_name": "Xk3fA9bQ2c.txt"})
    assert_problem(answer, 404, "not_found")
