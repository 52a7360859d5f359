"""Values of the encoding: decimal scaling, rendering witness values, case preimages
(private module)."""

from __future__ import annotations

import calendar
import datetime
import functools
import sys
from decimal import Decimal
from typing import Any

__all__ = [
    "DATE_MIN",
    "MULTI_LOWER",
    "compare",
    "decimals",
    "preimage",
    "render_date",
    "render_number",
    "scaled",
]

DATE_MIN = calendar.timegm((1, 1, 1, 0, 0, 0))
"""The earliest instant an ISO 8601 date can name (year 1), in seconds since the epoch."""

# ----------------------------------------------------------------------------------------


def compare(family: str, value: Any, p: int) -> Any:
    if family.endswith("GreaterThanEquals"):
        return value >= p
    if family.endswith("GreaterThan"):
        return value > p
    if family.endswith("LessThanEquals"):
        return value <= p
    if family.endswith("LessThan"):
        return value < p
    return value == p


def decimals(value: Any) -> int:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0
    return 0


def scaled(value: Decimal, scale: int) -> int:
    scaled = value * scale
    assert scaled == scaled.to_integral_value(), "scale too small for a policy value"
    return int(scaled)


def render_number(number: Decimal) -> str:
    text = format(number.normalize(), "f") if number != 0 else "0"
    return text


def render_date(seconds: Decimal) -> str:
    if seconds >= 0:
        return render_number(seconds)
    whole = int(seconds.to_integral_value(rounding="ROUND_FLOOR"))
    frac = seconds - whole
    stamp = datetime.datetime(1970, 1, 1) + datetime.timedelta(seconds=whole)
    text = stamp.strftime("%Y-%m-%dT%H:%M:%S").rjust(19, "0")
    if stamp.year < 1000:
        text = f"{stamp.year:04d}" + text[text.index("-"):]
    if frac:
        digits = format(frac.normalize(), "f").split(".")[1]
        text += "." + digits[:9]
    return text + "Z"


# characters whose lower-case form is more than one character (only U+0130 in Unicode)
MULTI_LOWER = {c: c.lower() for c in map(chr, range(0x130, 0x131)) if len(c.lower()) > 1}


@functools.cache
def _preimage_table() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        ch = chr(code)
        low = ch.lower()
        if low != ch and len(low) == 1:
            table.setdefault(low, {low}).add(ch)
    return {k: frozenset(v) for k, v in table.items()}


def preimage(ch: str) -> frozenset[str]:
    """Every character whose ``str.lower()`` is ``ch`` (``ch`` itself included)."""
    if len(ch) != 1:
        return frozenset(ch)
    if ch < "\x80":
        # only U+212A KELVIN SIGN lower-cases into ASCII from outside it
        ascii_found = {ch} | ({ch.upper()} if ch.upper().lower() == ch else set())
        if ch == "k":
            ascii_found.add("\u212a")
        return frozenset(ascii_found) if ch.lower() == ch else frozenset()
    found = _preimage_table().get(ch)
    if found is None:
        return frozenset((ch,)) if ch.lower() == ch else frozenset()
    return found
