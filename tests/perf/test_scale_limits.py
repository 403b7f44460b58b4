"""The design must hold at 10,000 sovereigns: coalition.json and trust.lock, one entry per
sovereign, outgrow the 1 MiB document limit there and have their own bound."""
from __future__ import annotations

import json
from pathlib import Path

from publisher.limits import DEFAULT_LIMITS
from publisher.verify import verify_path
from tests.conftest import DEMO_AT


def test_a_lock_for_ten_thousand_sovereigns_is_read(demo_copy: Path) -> None:
    lock = json.loads((demo_copy / "trust.lock").read_text())
    key = next(iter(lock["sovereigns"].values()))["root_public_key"]
    for n in range(10_000):
        lock["sovereigns"][f"sov-{n:05d}"] = {"root_public_key": key, "first_seen_commit": None,
                                              "first_seen_at": None}
    text = json.dumps(lock, indent=2)
    assert DEFAULT_LIMITS.max_file_bytes < len(text) < DEFAULT_LIMITS.max_index_bytes
    (demo_copy / "trust.lock").write_text(text)
    codes = [f.code for f in verify_path(demo_copy, at=DEMO_AT, workers=1).findings]
    assert "limits.file_too_large" not in codes
    assert codes.count("lock.stale_entry") == 10_000


def test_an_index_past_its_own_bound_is_refused(demo_copy: Path) -> None:
    import dataclasses
    coalition = (demo_copy / "coalition.json").read_bytes()
    limits = dataclasses.replace(DEFAULT_LIMITS, max_file_bytes=100, max_index_bytes=len(coalition) - 1)
    found = verify_path(demo_copy, at=DEMO_AT, workers=1, limits=limits).findings
    assert ("coalition.json", "limits.file_too_large") in {(f.path, f.code) for f in found}


def test_schemas_admit_the_design_target() -> None:
    """coalition.json lists every member, trust.lock pins every sovereign: 10,000 of each."""
    from publisher.schemas import check_schema
    members = [{"sovereign_id": f"sov-{n:05d}"} for n in range(10_000)]
    coalition = {"name": "c", "operator": {"name": "o"}, "members": members}
    assert check_schema("coalition", coalition, "coalition.json") == []
    pin = {"root_public_key": "A" * 43 + "=", "first_seen_commit": None, "first_seen_at": None}
    lock = {"lock_version": 1, "sovereigns": {f"sov-{n:05d}": pin for n in range(10_000)}}
    assert check_schema("trust-lock", lock, "trust.lock") == []
