"""Nicknames show what they say: no invisible, reordering or control characters, bounded width."""

from __future__ import annotations

import unicodedata

import pytest
from earnloop.identity.nicknames import MAX_COLUMNS, clean_nickname, width
from hypothesis import assume, given
from hypothesis import strategies as st

# Characters that hide or rearrange text, or end a line; each must be refused wherever it appears.
HIDDEN = [
    "\u202e",  # right-to-left override
    "\u202a",  # left-to-right embedding
    "\u2066",  # left-to-right isolate
    "\u200e",  # left-to-right mark
    "\u061c",  # Arabic letter mark
    "\u200b",  # zero-width space
    "\u200c",  # zero-width non-joiner
    "\u2060",  # word joiner
    "\ufeff",  # byte order mark
    "\u2028",  # line separator
    "\u2029",  # paragraph separator
    "\u115f",  # Hangul choseong filler
    "\u1160",  # Hangul jungseong filler
    "\u3164",  # Hangul filler (NFKC makes it U+1160)
    "\uffa0",  # halfwidth Hangul filler
    "\u2800",  # Braille blank
    "\u180e",  # Mongolian vowel separator
    "\u00ad",  # soft hyphen
    "\u034f",  # combining grapheme joiner
    "\U000e0041",  # tag letter A
    "\x00",
    "\x1b",
    "\x7f",
    "\x85",
    "\ue000",  # private use
    "\u0378",  # unassigned
    "\u1680",  # Ogham space mark
    "\n",
    "\t",
]


@pytest.mark.parametrize("hidden", HIDDEN, ids=[f"U+{ord(c):04X}" for c in HIDDEN])
@pytest.mark.parametrize("where", ["start", "middle", "end", "alone"])
def test_invisible_reordering_and_control_characters_are_refused_anywhere(hidden, where):
    text = {"start": hidden + "Li", "middle": "Xiao" + hidden + "Li", "end": "Li" + hidden, "alone": hidden}[
        where
    ]
    with pytest.raises(ValueError):
        clean_nickname(text)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Xiao Li", "Xiao Li"),
        ("  小李  ", "小李"),
        ("\uff2f\uff46\uff46\uff49\uff43\uff49\uff41\uff4c", "Official"),  # fullwidth letters
        ("\U0001d40e\U0001d41f\U0001d41f\U0001d422\U0001d41c\U0001d422\U0001d41a\U0001d425", "Official"),
        ("Xiao   Li", "Xiao Li"),
        ("\u3000小\u3000李\u3000", "小 李"),  # ideographic spaces become one plain space
        ("e\u0301", "\u00e9"),  # composed
        ("\U0001f469\u200d\U0001f4bb", "\U0001f469\u200d\U0001f4bb"),  # emoji ZWJ sequence kept
        ("\u2764\ufe0f fan", "\u2764\ufe0f fan"),  # emoji presentation selector kept
        ("\U0001f44d\U0001f3fd", "\U0001f44d\U0001f3fd"),  # skin tone kept
    ],
)
def test_nicknames_are_normalised_to_nfkc_and_trimmed(raw, stored):
    assert clean_nickname(raw) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "\u3000\u3000",
        "a\u200d",  # a joiner not between two symbols
        "\u200d\U0001f469",
        "a\u200db",
        "\ufe0f",  # a selector after nothing
        "a\ufe0f\ufe0f",  # after another selector
        "\u0301a",  # starts with a combining mark
        "x\u0300\u0316\u0317\u0318",  # four marks stacked (x composes with none)
    ],
)
def test_empty_or_hidden_only_text_and_stray_joiners_are_refused(raw):
    with pytest.raises(ValueError):
        clean_nickname(raw)


def test_width_counts_east_asian_wide_characters_as_two_columns():
    assert clean_nickname("小" * 16) == "小" * 16
    assert clean_nickname("a" * 32) == "a" * 32
    assert clean_nickname("小" * 15 + "ab") == "小" * 15 + "ab"
    for too_wide in ("小" * 17, "a" * 33, "小" * 16 + "a", "\U0001f600" * 17):
        with pytest.raises(ValueError, match="columns"):
            clean_nickname(too_wide)
    assert width("小李") == 4 and width("Li") == 2 and width("e\u0301") == 1


FORBIDDEN = frozenset(HIDDEN) | {"\u202b", "\u202c", "\u202d", "\u2067", "\u2068", "\u2069", "\u200f"}


@given(st.text(max_size=80))
def test_any_text_is_refused_or_stored_in_a_clean_bounded_stable_form(raw):
    try:
        stored = clean_nickname(raw)
    except ValueError:
        return
    assert stored and stored == stored.strip(" ") and "  " not in stored
    assert unicodedata.is_normalized("NFKC", stored)
    assert not FORBIDDEN & set(stored)
    assert all(unicodedata.category(c) not in {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"} for c in stored)
    assert width(stored) <= MAX_COLUMNS
    assert clean_nickname(stored) == stored


@given(
    st.text(st.characters(categories=["Lu", "Ll", "Lo", "Nd"]), min_size=1, max_size=8),
    st.sampled_from(sorted(FORBIDDEN)),
    st.text(st.characters(categories=["Lu", "Ll", "Lo", "Nd"]), min_size=1, max_size=8),
)
def test_a_hidden_character_between_visible_ones_is_always_refused(left, hidden, right):
    with pytest.raises(ValueError):
        clean_nickname(left + hidden + right)


@given(st.text(st.characters(categories=["Lu", "Ll", "Lo", "Nd"]), min_size=1, max_size=16))
def test_plain_letters_and_digits_within_the_width_are_kept_as_normalised(raw):
    normalised = unicodedata.normalize("NFKC", raw).strip()
    assume(normalised and width(normalised) <= MAX_COLUMNS and " " not in normalised)
    assume(all(unicodedata.category(c) not in {"Mn", "Me", "Cf", "Zs"} for c in normalised))
    assume(not FORBIDDEN & set(normalised))
    assert clean_nickname(raw) == normalised
