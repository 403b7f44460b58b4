"""Timestamps: lenient parsing for comparisons, the reference's canonical form for signed ones.

The canonical test mirrors genesis-mesh 1.8.1 `canonical_timestamp` exactly, so verdicts match
the reference: `YYYY-MM-DDTHH:MM:SS[.ffffff]` then `Z`, a non-zero `+HH:MM` offset, or nothing;
a `000000` fraction and `+00:00`/`-00:00` are refused. RFC-001 (2026-10) says signers MUST emit
UTC `Z`: the reference still accepts naive and offset times (its own example genesis is naive),
so Handshake accepts them too but reports `doc.timestamp_not_utc` (see `is_utc_z`).
Unsigned NA output (`+00:00`) is parsed leniently. Time is always a parameter, never read here.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, UTC
from functools import lru_cache

_CANONICAL = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{6}))?(Z|[+-]([0-9]{2}):([0-9]{2}))?"
)
_LENIENT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?"
)

SKEW = timedelta(minutes=5)

# No string either pattern accepts is longer (the lenient one: 35 characters). Longer strings are
# answered at once and never memoised: a hostile repository's long distinct strings would
# otherwise stay in memory, 65,536 of up to 65,536 characters each, from a few compressed MB.
LONGEST_TIMESTAMP = 40


def is_canonical(value: object) -> bool:
    """genesis-mesh 1.8.1 `canonical_timestamp`: the form the reference writes back."""
    return isinstance(value, str) and len(value) <= LONGEST_TIMESTAMP and _is_canonical(value)


@lru_cache(maxsize=65_536)
def _is_canonical(value: str) -> bool:
    """`is_canonical` for strings; memoised: a document repeats its timestamps (issued_at is
    often valid_from) and a coalition repeats them across documents."""
    match = _CANONICAL.fullmatch(value)
    if match is None:
        return False
    fraction, zone, zone_h, zone_m = match.group(7), match.group(8), match.group(9), match.group(10)
    if fraction == "000000" or zone in ("+00:00", "-00:00"):
        return False
    if zone_h is not None and (int(zone_h) > 23 or int(zone_m) > 59):
        return False
    try:
        year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
        datetime(year, month, day, hour, minute, second)
    except ValueError:
        return False
    return True


def is_utc_z(value: object) -> bool:
    """Canonical and in UTC `Z` form, as RFC-001 (2026-10) requires signers to write."""
    return is_canonical(value) and isinstance(value, str) and value.endswith("Z")


def parse(value: object) -> datetime | None:
    """An aware UTC datetime, or None when `value` is not a recognisable ISO-8601 timestamp.

    A timestamp without an offset is read as UTC, as genesis-mesh 1.x does.
    """
    if not isinstance(value, str) or len(value) > LONGEST_TIMESTAMP:
        return None
    return _parse(value)


@lru_cache(maxsize=65_536)
def _parse(value: str) -> datetime | None:
    """`parse` for strings; memoised because each signed timestamp is read several times
    (canonical-form check, window checks, lifecycle) and datetimes are immutable."""
    match = _LENIENT.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        result = datetime(int(year), int(month), int(day), int(hour), int(minute),
                          int(second or 0), micro, tzinfo=UTC)
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


def offset_of(value: object) -> str | None:
    """The UTC offset a timestamp is written with (`+02:00`), or None for `Z`, `+00:00`, naive
    and what is not a timestamp."""
    if not isinstance(value, str) or value.endswith(("Z", "z")) or parse(value) is None:
        return None                 # Z, as almost every signed time ends: no second parse
    zone = _LENIENT.fullmatch(value).group(8)  # type: ignore[union-attr]  # parse() matched it
    if not zone or zone in ("Z", "z"):
        return None
    digits = zone[1:].replace(":", "")
    return None if int(digits) == 0 else f"{zone[0]}{digits[:2]}:{digits[2:]}"


def wrapper_text(moment: datetime, offset: str | None = None) -> str:
    """The text genesis-mesh's unsigned wrappers (graph edges, the order of its treaty rows) give a
    signed time: pydantic reads it keeping its offset and `isoformat()` writes it, so `Z` becomes
    `+00:00` and a `+02:00` the reference accepted stays `+02:00` (FORMATS §1.5)."""
    if offset is None:
        return moment.isoformat()
    delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))
    try:
        return moment.astimezone(timezone(delta if offset[0] == "+" else -delta)).isoformat()
    except OverflowError:   # year 1 or 9999 moved out of range: the instant in UTC
        return moment.isoformat()


def day_text(moment: datetime) -> str:
    """YYYY-MM-DD with a four-digit year (isoformat pads it; strftime's %Y gives "1" for year 1
    on glibc, and hostile documents carry such years)."""
    return moment.date().isoformat()


def zulu(moment: datetime) -> str:
    """YYYY-MM-DDTHH:MM:SSZ of an aware datetime in UTC (a naive one is taken as UTC), the
    year always four digits (see day_text)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None, microsecond=0).isoformat() + "Z"


def format_z(moment: datetime) -> str:
    """The canonical signed form of an aware datetime."""
    moment = moment.astimezone(UTC)
    text = zulu(moment)[:-1]
    if moment.microsecond:
        text += f".{moment.microsecond:06d}"
    return text + "Z"
