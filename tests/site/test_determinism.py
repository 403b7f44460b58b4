"""The same commit and --at give byte-identical output; the time comes from --at, then
SOURCE_DATE_EPOCH, then the commit."""
from __future__ import annotations

from datetime import datetime, UTC
from pathlib import Path

import pytest

from publisher import gitrepo
from publisher.cli.cmd_build import evaluation_time
from publisher.site.build import Site
from publisher.site.render import environment
from tests.site.site_golden import DEMO_AT, build_demo


def test_build_twice_is_byte_identical(demo_site: Site) -> None:
    environment.cache_clear()                       # a fresh environment, fresh verification
    again = build_demo()
    assert list(again.files) == list(demo_site.files)
    different = [p for p in demo_site.files if demo_site.files[p] != again.files[p]]
    assert different == []


def test_manifest_lists_every_other_file_with_its_hash(demo_site: Site) -> None:
    import hashlib
    import json
    manifest = json.loads(demo_site.files["manifest.json"])
    assert set(manifest["files"]) == set(demo_site.files) - {"manifest.json"}
    for path, digest in manifest["files"].items():
        assert digest == "sha256:" + hashlib.sha256(demo_site.files[path]).hexdigest()
    assert manifest["source_commit"] == "5eed" * 10 and manifest["evaluated_at"] == "2026-11-23T12:00:00Z"


def test_a_different_time_changes_lifecycle_but_not_structure(demo_site: Site) -> None:
    from tests.site.conftest import build_repo
    from tests.site.site_golden import REPO_ROOT
    _, later = build_repo(REPO_ROOT, at=datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    assert set(later.files) == set(demo_site.files)
    assert later.files["connectome.json"] != demo_site.files["connectome.json"]   # the freight pilot expired


def test_at_wins_over_source_date_epoch_and_commit(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    head = gitrepo.Commit("ab" * 20, datetime(2026, 1, 1, tzinfo=UTC))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    assert evaluation_time(tmp_path, "2026-11-23T12:00:00Z", head) == DEMO_AT
    assert evaluation_time(tmp_path, None, head) == datetime.fromtimestamp(1790000000, UTC)
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert evaluation_time(tmp_path, None, head) == head.time
