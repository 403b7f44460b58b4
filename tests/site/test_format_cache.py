"""fmt_time remembers its answers per instant and offset: equal instants written in other
offsets are equal datetimes, but their text shows their own fields."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from publisher.site.format import fmt_time


def test_equal_instants_in_other_offsets_keep_their_own_text() -> None:
    utc = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    east = utc.astimezone(timezone(timedelta(hours=2)))
    assert utc == east and hash(utc) == hash(east)
    assert fmt_time(utc) == "2026-11-23 12:00 UTC"
    assert fmt_time(east) == "2026-11-23 14:00 UTC"
    assert fmt_time(utc) == "2026-11-23 12:00 UTC"
    assert fmt_time(utc.replace(second=5)) == "2026-11-23 12:00:05 UTC"
