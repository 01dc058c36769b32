"""The one Logger masks personal data and credentials in every line it writes."""

from __future__ import annotations

import io
import json
import logging

import pytest
from earnloop.platform.log_masking import mask_text
from earnloop.platform.observability import log_keys, logger

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1MSJ9.c2lnbmF0dXJlLWJ5dGVz"
OPENID = "oTmHYjg2Z3nL5dS9q8wE7xV6aB4c"  # 28 characters, as WeChat issues them
UNIONID = "o6_bmasdasdsad6_2sgVt7hMZOPfL"[:28]
PHONE = "13800138000"


@pytest.fixture
def lines():
    """Every line the logger writes meanwhile, parsed."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logger.registered_formatter)
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def test_values_under_sensitive_keys_are_masked_wherever_they_are(lines):
    address = {"name": "Li Lei", "phone": PHONE, "region": "Shanghai", "detail": "88 Caoxi Road"}
    with log_keys(openid=OPENID):
        logger.warning(
            "login",
            extra={"unionid": UNIONID, "wx_phone": PHONE, "order": {"address": address}, "has_unionid": True},
        )
    [line] = lines()
    text = json.dumps(line)
    for secret in (OPENID, UNIONID, PHONE, "88 Caoxi Road", "Li Lei"):
        assert secret not in text
    assert line["openid"].startswith("oTm") and "***" in line["openid"]
    assert (line["order"]["address"], line["has_unionid"]) == ("***", True)


def test_shapes_are_masked_in_messages_values_and_tracebacks(lines):
    try:
        raise ValueError(f"bad token {JWT} for {OPENID}")
    except ValueError:
        logger.exception(f"call with Bearer {JWT[:20]} by +86 {PHONE}", extra={"note": f"see {OPENID}"})
    [line] = lines()
    text = json.dumps(line)
    for secret in (JWT, JWT[:20], OPENID, PHONE):
        assert secret not in text
    assert "ValueError" in line["exception"]


def test_ordinary_ids_and_numbers_are_left_alone():
    kept = "user 01JDX6Y0S4V8K2M3N5P7Q9R1T3 scanned 12 codes of batch b-1 for 500 points at 1795424400000"
    assert mask_text(kept) == kept
    assert mask_text(f"to {PHONE}.") == "to ***."
    assert mask_text(f"x{PHONE}5") == f"x{PHONE}5"  # part of a longer number: not a phone
