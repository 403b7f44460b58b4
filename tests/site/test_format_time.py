"""fmt_time prints each datetime's own fields: seconds only when not zero, a four-digit year,
and equal instants in other offsets with their own clock time."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from publisher.site.format import fmt_time


def test_equal_instants_in_other_offsets_keep_their_own_text() -> None:
    utc = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    east = utc.astimezone(timezone(timedelta(hours=2)))
    assert utc == east and hash(utc) == hash(east)
    assert fmt_time(utc) == "2026-11-23 12:00 UTC"
    assert fmt_time(east) == "2026-11-23 14:00 UTC"
    assert fmt_time(utc.replace(second=5)) == "2026-11-23 12:00:05 UTC"
    assert fmt_time(datetime(1, 1, 1, 0, 1, tzinfo=UTC)) == "0001-01-01 00:01 UTC"
    assert fmt_time(None) == "—"
