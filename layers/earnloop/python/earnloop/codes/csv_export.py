"""A batch's codes as CSV rows, generated on demand: one million codes never sit in memory at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


HEADER = "serial,code,url\n"
# Rows per yielded chunk: large enough to keep per-chunk overhead low, small enough to stay ~100 KB.
CHUNK_ROWS = 1_000


def csv_chunks(
    code_of: Callable[[int], str], first: int, last: int, url_base: str, chunk_rows: int = CHUNK_ROWS
) -> Iterator[str]:
    """`serial,code,url` for serials `first`..`last` (codes from `code_of`), in chunks of `chunk_rows` lines.

    Lines end in a bare LF: Lambda's JSON answer escapes each one, and CR would cost as much again.
    No field needs quoting: codes are base32 and dots, and `url_base` is checked at start-up.
    """
    yield HEADER
    for chunk_first in range(first, last + 1, chunk_rows):
        lines = []
        for serial in range(chunk_first, min(last, chunk_first + chunk_rows - 1) + 1):
            code = code_of(serial)
            lines.append(f"{serial},{code},{url_base}{code}\n")
        yield "".join(lines)
