"""Fixtures of the site tests: the demo built once, a hostile repository, a synthetic coalition."""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from publisher.site.build import Site, build_site
from publisher.source import WorktreeSource
from publisher.verify import Verification, verify_path
from tests.site.site_golden import DEMO_AT, REPO_ROOT, build_demo, provenance
from tests.site.site_hostile import HOSTILE_COALITION, MEMBER_FIELDS, hostile_specs
from tests.site.site_synth import write_coalition


def build_repo(root: Path, *, at: datetime = DEMO_AT, allow_errors: bool = False, workers: int = 1,
               **overrides: object
               ) -> tuple[Verification, Site]:
    verification = verify_path(root, at=at, workers=1)
    site = build_site(verification, WorktreeSource(root),
                      provenance(evaluated_at=at, allow_errors=allow_errors, **overrides), workers=workers)
    return verification, site


@pytest.fixture(scope="session")
def demo_site() -> Site:
    if not (REPO_ROOT / "sovereigns").is_dir() or not (REPO_ROOT / "coalition.json").is_file():
        pytest.fail(f"the demo coalition is missing under {REPO_ROOT}: run scripts/make_demo.py", pytrace=False)
    return build_demo()


@pytest.fixture(scope="session")
def hostile_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_coalition(tmp_path_factory.mktemp("hostile"), hostile_specs(), DEMO_AT,
                           coalition=HOSTILE_COALITION, member_fields=MEMBER_FIELDS)


@pytest.fixture(scope="session")
def hostile_site(hostile_repo: Path) -> Site:
    return build_repo(hostile_repo, allow_errors=True)[1]
