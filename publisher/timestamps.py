"""Timestamps: lenient parsing for comparisons, strict canonical form for signed documents.

Signed documents carry `YYYY-MM-DDTHH:MM:SS[.ffffff]Z` (UTC, six-digit fraction only when
non-zero). We follow RFC-001 (2026-10) and FORMATS §15: a signed timestamp in any other form
is non-canonical, including the non-UTC offsets genesis-mesh 1.8.1's checker still admits.
Unsigned NA output (`+00:00`) is parsed leniently. Time is always a parameter, never read here.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_CANONICAL = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{6}))?Z")
_LENIENT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?"
)

SKEW = timedelta(minutes=5)


def is_canonical(value: object) -> bool:
    """True for the reference's canonical UTC form (fraction `000000` refused, date must exist)."""
    if not isinstance(value, str):
        return False
    match = _CANONICAL.fullmatch(value)
    if match is None or match.group(7) == "000000":
        return False
    return parse(value) is not None


def parse(value: object) -> datetime | None:
    """An aware UTC datetime, or None when `value` is not a recognisable ISO-8601 timestamp.

    A timestamp without an offset is read as UTC, as genesis-mesh 1.x does.
    """
    if not isinstance(value, str):
        return None
    match = _LENIENT.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        result = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          int(second or 0), micro, tzinfo=timezone.utc)
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:])
        if hours > 23 or minutes > 59:
            return None
        try:
            result -= sign * timedelta(hours=hours, minutes=minutes)
        except OverflowError:
            return None
    return result


def format_z(moment: datetime) -> str:
    """The canonical signed form of an aware datetime."""
    moment = moment.astimezone(timezone.utc)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"
