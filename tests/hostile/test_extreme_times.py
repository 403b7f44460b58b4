"""Timestamps at the edges of what a datetime holds (year 1, year 9999), correctly signed in
every timestamp field: verification (fresh and from a snapshot, at ordinary and at extreme
evaluation times) and the site build report or render them; none raises. A treaty valid from
year 1 once crashed the lifecycle check (`valid_from - 5 min` overflowed)."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from hostile_world import (A, ALPHA, BETA, NOW, TREATY, Files, baseline, dump, put, rows, set_treaty,
                           signed)
from publisher import source as source_module
from publisher.cache import open_cache
from publisher.site.build import build_site
from publisher.source import WorktreeSource
from publisher.verify import verify_path
from tests.site.site_golden import provenance

FIRST, LAST = "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"
MOMENTS = [NOW, datetime(1, 1, 1, 0, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 0, tzinfo=UTC)]


def _treaty(files: Files, **window: str) -> None:
    set_treaty(files, signed(ALPHA.treaty(BETA, **window), "recognition-treaty", ALPHA.na))


def _everything_at_the_edges(files: Files) -> None:
    _treaty(files, issued_at=FIRST, valid_from=FIRST, expires_at=LAST)
    succession = signed(ALPHA.succession(effective_at=LAST, new_valid_to=LAST, issued_at=LAST),
                        "na-key-succession", ALPHA.na)
    put(files, f"{A}/key-history.json", ALPHA.key_history(successions=[succession]))
    put(files, f"{A}/roll-call.json", signed(ALPHA.roll_call(issued_at=LAST), "roll-call", ALPHA.na))
    put(files, f"{A}/revocation-feed.json", signed(ALPHA.feed(issued_at=FIRST), "revocation-feed", ALPHA.na))


CASES = {
    "treaty from year 1": lambda files: _treaty(files, issued_at=FIRST, valid_from=FIRST),
    "treaty until year 9999": lambda files: _treaty(files, expires_at=LAST),
    "treaty entirely at the edges": lambda files: _treaty(files, issued_at=LAST, valid_from=LAST, expires_at=LAST),
    "every document at the edges": _everything_at_the_edges,
}


def _repository(root: Path, case: str) -> Path:
    files = baseline()
    CASES[case](files)
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


@pytest.mark.parametrize("case", sorted(CASES))
def test_extreme_times_are_reported_not_raised(case: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_module, "RACY_NS", 0)
    repo = _repository(tmp_path / "repo", case)
    assert (repo / TREATY).is_file() and rows  # the case edited the baseline's files
    for at in MOMENTS:
        fresh = verify_path(repo, at=at, workers=1)
        assert fresh.summary()["sovereigns"] == 2
        cached = verify_path(repo, at=at, workers=1, cache=open_cache(repo))
        again = verify_path(repo, at=at, workers=1, cache=open_cache(repo))
        assert cached.findings == fresh.findings == again.findings, at
        site = build_site(fresh, WorktreeSource(repo), provenance(evaluated_at=at, allow_errors=True))
        assert site.pages > 0 and any(p.endswith(".html") for p in site.files)
    assert dump  # the world's serialiser is the one the documents were written with


def test_a_key_ending_in_year_9999_still_answers() -> None:
    from publisher.model import NaKey
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    key = NaKey(1, "K", "k", datetime(1, 1, 1, tzinfo=UTC), last, last, True)
    assert key.vouches_at(NOW) and key.accepts(NOW)
    assert key.vouches_at(last) and not key.accepts(last)


def test_years_below_1000_are_written_with_four_digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """strftime's %Y writes year 1 as "1" on glibc: the summary, the JSON report and the site
    would then print times no reader (and no ISO 8601 parser) takes for year 1."""
    from publisher.site.format import fmt_time, fmt_z
    from publisher.timestamps import format_z, zulu
    first = datetime(1, 1, 1, 0, 1, tzinfo=UTC)
    assert zulu(first) == "0001-01-01T00:01:00Z" == fmt_z(first) == format_z(first)
    assert fmt_time(first) == "0001-01-01 00:01 UTC"
    monkeypatch.setattr(source_module, "RACY_NS", 0)
    repo = _repository(tmp_path / "repo", "every document at the edges")
    assert verify_path(repo, at=first, workers=1).summary()["evaluated_at"] == "0001-01-01T00:01:00Z"
