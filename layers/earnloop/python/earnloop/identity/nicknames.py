"""What a nickname may be: text that shows what it says, in bounded room.

A nickname is shown beside other people's content, so it must not hide, reorder or fake text:
- normalised to NFKC, which folds the "styled" lookalikes people impersonate with (fullwidth and
  mathematical bold letters, U+FF2F U+FF46 ... and U+1D40E U+1D41F ..., become "Official") and
  compatibility forms;
- refused when it holds anything invisible or that changes how the rest is displayed: controls,
  bidirectional overrides and isolates (U+202E), zero-width characters (U+200B), the BOM
  (U+FEFF), line and paragraph separators (U+2028), Hangul fillers (U+115F, U+3164), other
  default-ignorable code points, private-use, unassigned and surrogate code points, and spaces
  other than U+0020 (NFKC turns most of those into U+0020 first);
- an emoji keeps what emoji need: a zero-width joiner between two symbols (👩‍💻) and a variation
  selector after a visible character (❤️);
- at most `MAX_COMBINING` combining marks in a row (no "Zalgo" text spilling over other lines);
- inner runs of spaces collapse to one, ends are trimmed, and it must show at least one character;
- at most `MAX_COLUMNS` display columns, East Asian wide and fullwidth characters counting two
  (16 Chinese characters, or 32 Latin letters).
"""

from __future__ import annotations

import re
import unicodedata

MAX_COLUMNS = 32
MAX_COMBINING = 3
ZWJ = "\u200d"
_VARIATION_SELECTORS = frozenset("\ufe0e\ufe0f")

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): rendered as nothing.
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
# Visible in no font, yet not default-ignorable: Braille blank, Hangul and Khmer fillers' kin.
_BLANK_LOOKING = frozenset("\u2800\u3164\uffa0\u115f\u1160\u180e")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = re.compile(r" {2,}")


def _is_default_ignorable(char: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _DEFAULT_IGNORABLE)


def _is_symbol(char: str) -> bool:
    # Emoji are So (👩, 💻, ❤) or, for skin tones, Sk (🏽); a joiner belongs only between them.
    return unicodedata.category(char) in {"So", "Sk"}


def columns(char: str) -> int:
    """Display columns of one character: wide and fullwidth 2, combining and joiners 0, others 1."""
    if unicodedata.category(char) in {"Mn", "Me"} or char == ZWJ or char in _VARIATION_SELECTORS:
        return 0
    return 2 if unicodedata.east_asian_width(char) in {"W", "F"} else 1


def width(text: str) -> int:
    """Display columns of `text` in a monospace CJK terminal or a chat bubble alike."""
    return sum(columns(char) for char in text)


def clean_nickname(raw: str) -> str:
    """The nickname to store for `raw`.

    Raises:
        ValueError: it holds a character it may not, or is empty or too wide once normalised.
    """
    # Only plain spaces are trimmed: a tab, newline or separator at an end is refused like inside.
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", raw).strip(" "))
    if not text:
        raise ValueError("must not be empty")
    combining = 0
    for index, char in enumerate(text):
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if char == ZWJ and _is_symbol_or_selector(before) and _is_symbol(after):
            continue
        # A selector picks how the character before it looks; after nothing visible it is hidden.
        if char in _VARIATION_SELECTORS and before and not before.isspace() and columns(before) > 0:
            continue
        if _is_default_ignorable(char) or char in _BLANK_LOOKING:
            raise ValueError(f"must not contain invisible characters (U+{ord(char):04X})")
        category = unicodedata.category(char)
        if category in _REFUSED_CATEGORIES:
            raise ValueError(f"must not contain control or format characters (U+{ord(char):04X})")
        if category == "Zs" and char != " ":
            raise ValueError(f"must not contain special spaces (U+{ord(char):04X})")
        combining = combining + 1 if category in {"Mn", "Me"} else 0
        if combining > MAX_COMBINING:
            raise ValueError(f"must not stack more than {MAX_COMBINING} combining marks")
        if index == 0 and category in {"Mn", "Me"}:
            raise ValueError("must not start with a combining mark")
    if width(text) > MAX_COLUMNS:
        raise ValueError(f"must fit in {MAX_COLUMNS} columns (a Chinese character takes 2)")
    return text


def _is_symbol_or_selector(char: str) -> bool:
    return bool(char) and (_is_symbol(char) or char in _VARIATION_SELECTORS)
