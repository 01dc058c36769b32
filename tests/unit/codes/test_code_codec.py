"""QR codes: signed, verified without a read, rotatable, and impossible to alter."""

from __future__ import annotations

import contextlib
import re

import pytest
from earnloop.codes.codec import (
    ALPHABET,
    MAC_CHARS,
    QrKeys,
    decode_serial,
    encode_serial,
    extract_code,
    new_batch_id,
    parse_scan_id,
    parse_unverified,
    sign,
    verify,
)
from earnloop.platform.errors import InvalidCodeError
from hypothesis import given
from hypothesis import strategies as st

KEY_A = "a" * 40
KEY_B = "b" * 40
KEYS = QrKeys.from_secret({"current": "A", "A": KEY_A})
BATCH = "K7Q2M3XD"
CODE = sign(KEYS, BATCH, 47)
# The code domain today and one the brand printed on older packs.
BASES = ("https://example.com/q/", "https://brand.example.cn/q/")


def rejected(text: str) -> bool:
    try:
        verify(KEYS, text, url_bases=BASES)
    except InvalidCodeError:
        return True
    return False


def test_a_signed_code_verifies_back_to_its_batch_and_serial():
    ref = verify(KEYS, CODE, url_bases=BASES)
    assert (ref.key_version, ref.batch_id, ref.serial, ref.code) == ("A", BATCH, 47, CODE)
    assert ref.scan_id == "K7Q2M3XD-47"


def test_a_code_is_upper_case_base32_with_dots_and_a_128_bit_mac():
    assert re.fullmatch(r"AK7Q2M3XD\.BP\.[A-Z2-7]{26}", CODE)
    assert MAC_CHARS * 5 >= 128
    # Alphanumeric QR mode holds A-Z, 0-9 and " $%*+-./:" only.
    assert set(CODE) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 $%*+-./:")


@pytest.mark.parametrize(
    ("serial", "text"), [(1, "B"), (31, "7"), (32, "BA"), (47, "BP"), (1_000_000, "6QSA")]
)
def test_serials_are_base32_digits_without_leading_zeros(serial, text):
    assert encode_serial(serial) == text
    assert decode_serial(text) == serial


def test_non_canonical_serials_do_not_decode():
    assert decode_serial("AB") is None
    assert decode_serial("A") is None
    assert decode_serial("") is None
    with pytest.raises(ValueError):
        encode_serial(0)


def test_batch_ids_are_eight_base32_characters():
    ids = {new_batch_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(re.fullmatch(r"[A-Z2-7]{8}", batch_id) for batch_id in ids)


def test_codes_printed_before_a_rotation_keep_verifying_after_it():
    rotated = QrKeys.from_secret({"current": "B", "A": KEY_A, "B": KEY_B})
    assert verify(rotated, CODE, url_bases=BASES).key_version == "A"
    fresh = sign(rotated, BATCH, 47)
    assert fresh.startswith("B") and fresh != CODE
    assert verify(rotated, fresh, url_bases=BASES).serial == 47


def test_a_code_of_a_key_version_not_in_the_secret_is_rejected():
    rotated = QrKeys.from_secret({"current": "B", "B": KEY_B})
    with pytest.raises(InvalidCodeError) as caught:
        verify(rotated, CODE, url_bases=BASES)
    assert caught.value.extensions == {"reason": "forged"}
    # Re-labelling a code with another version letter is a forgery too.
    assert rejected("B" + CODE[1:])


def test_a_code_signed_with_another_secret_is_rejected():
    other = QrKeys.from_secret({"current": "A", "A": "z" * 40})
    assert rejected(sign(other, BATCH, 47))


def test_every_single_character_alteration_of_a_valid_code_is_rejected():
    alternatives = ALPHABET + "."
    altered = 0
    for position, original in enumerate(CODE):
        for replacement in alternatives:
            if replacement != original:
                assert rejected(CODE[:position] + replacement + CODE[position + 1 :]), (position, replacement)
                altered += 1
        assert rejected(CODE[:position] + CODE[position + 1 :]), ("deleted", position)
        assert rejected(CODE[:position] + "B" + CODE[position:]), ("inserted", position)
    assert altered == len(CODE) * (len(alternatives) - 1)


def test_swapping_the_serial_or_the_batch_of_a_valid_mac_is_rejected():
    other_serial = sign(KEYS, BATCH, 48)
    version_batch, _, mac = CODE.split(".")
    assert rejected(f"{version_batch}.{other_serial.split('.')[1]}.{mac}")
    assert rejected(f"AAAAAAAAA.BP.{mac}")


@pytest.mark.parametrize(
    "scanned",
    [
        CODE,
        CODE.lower(),
        f"  {CODE}\n",
        f"https://example.com/q/{CODE}",
        f"http://example.com/q/{CODE}",
        f"https://brand.example.cn/q/{CODE}?from=wechat&t=1",
        f"https://example.com/q/{CODE}#top",
        f"HTTPS://EXAMPLE.COM/Q/{CODE}",
        f" https://example.com/q/{CODE.lower()} ",
        f"https%3A%2F%2Fexample.com%2Fq%2F{CODE}",
    ],
)
def test_the_bare_code_and_its_printed_url_are_accepted(scanned):
    assert extract_code(scanned, url_bases=BASES) == CODE
    assert verify(KEYS, scanned, url_bases=BASES).code == CODE


@pytest.mark.parametrize(
    "scanned",
    [
        f"https://evil.example/q/{CODE}",
        f"https://example.com.evil.example/q/{CODE}",
        f"https://example.com@evil.example/q/{CODE}",
        f"https://evil.example@example.com/q/{CODE}",
        f"https://example.com:8443/q/{CODE}",
        f"https://169.254.169.254/q/{CODE}",
        f"HTTPS://EVIL.EXAMPLE/Q/{CODE}",
        f"https%3A%2F%2Fevil.example%2Fq%2F{CODE}",
    ],
)
def test_a_printed_url_on_another_host_is_a_foreign_domain(scanned):
    with pytest.raises(InvalidCodeError) as caught:
        verify(KEYS, scanned, url_bases=BASES)
    assert caught.value.extensions == {"reason": "foreign_domain"}


def test_with_no_code_domain_configured_only_the_bare_code_is_accepted():
    assert verify(KEYS, CODE, url_bases=()).code == CODE
    with pytest.raises(InvalidCodeError):
        verify(KEYS, f"https://example.com/q/{CODE}", url_bases=())


def test_a_base_configured_without_a_trailing_slash_still_matches_its_path():
    assert extract_code(f"https://example.com/q/{CODE}", url_bases=["https://example.com/q"]) == CODE


@pytest.mark.parametrize(
    "scanned",
    [
        "",
        "   ",
        "hello",
        f"ftp://example.com/q/{CODE}",
        f"https://example.com/p/{CODE}",
        f"https://example.com/q/{CODE}/extra",
        f"https://example.com/q/x/{CODE}",
        f"https:///q/{CODE}",
        f"{CODE}.",
        f"{CODE} {CODE}",
        f"{CODE[:-1]}1",
        "A" * 600,
    ],
)
def test_anything_else_is_an_invalid_code(scanned):
    with pytest.raises(InvalidCodeError) as caught:
        verify(KEYS, scanned, url_bases=BASES)
    assert caught.value.status == 400 and caught.value.code == "invalid_code"


@given(st.text(max_size=120))
def test_arbitrary_input_is_either_a_valid_code_or_an_invalid_code_error(text):
    with contextlib.suppress(InvalidCodeError):
        verify(KEYS, text, url_bases=BASES)


@given(st.integers(min_value=1, max_value=32**7 - 1))
def test_every_serial_round_trips(serial):
    assert verify(KEYS, sign(KEYS, BATCH, serial), url_bases=BASES).serial == serial


@pytest.mark.parametrize(
    "secret",
    [
        {"current": "A", "A": "short"},
        {"current": "B", "A": KEY_A},
        {"A": KEY_A},
        {"current": "A", "A": KEY_A, "ab": KEY_B},
        {"current": "A", "A": 12345678901234567890123456789012345},
    ],
)
def test_a_secret_without_a_usable_current_key_is_refused(secret):
    with pytest.raises(ValueError):
        QrKeys.from_secret(secret)


def test_scan_ids_and_ledger_codes_parse_back_without_keys():
    assert parse_scan_id("K7Q2M3XD-47") == ("K7Q2M3XD", 47)
    for bad in ("K7Q2M3XD-0", "K7Q2M3XD-047", "k7q2m3xd-47", "K7Q2M3XD47", "K7Q2M3XD-", "K7Q2M3X1-4"):
        assert parse_scan_id(bad) is None
    ref = parse_unverified(CODE)
    assert ref is not None and (ref.batch_id, ref.serial) == (BATCH, 47)
    assert parse_unverified("scan#" + CODE) is None
