"""An incremental build equals a cold one along a sequence of random edits.

tests/site/test_incremental.py changes one chosen thing at a time; this keeps one render cache
through many steps of the edits pull requests and attacks make (tests/history/edits.py: new,
revoked and mis-pinned treaties, swapped and rotated roots, new NA keys, folders removed,
corrupted bytes, members dropped, coalition.json removed), at times before, inside and after
the treaties' windows, and compares every file of the incremental build with a build that
renders everything. Sites with errors are built too, as `handshake build --allow-errors`
builds them.

`HANDSHAKE_DIFFERENTIAL_SEEDS` runs other seeds, as for the other differential tests.
"""
from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest
from tests.history.edits import coalition_of, edit
from tests.history.trustrepo import NOW, T0, write_state
from tests.interop.seeds import seeds
from tests.site.site_golden import provenance
from tests.site.test_incremental import assert_same

from publisher.cache import Cache
from publisher.site.build import build_site
from publisher.source import WorktreeSource
from publisher.verify import verify_path

SEEDS = seeds(tuple(range(6)))
STEPS = 6
TIMES = (T0 + timedelta(days=3), NOW, NOW + timedelta(days=400))


@pytest.mark.parametrize("seed", SEEDS)
def test_one_render_cache_along_random_edits_builds_what_a_cold_build_builds(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    coalition = coalition_of(rng, 4)
    repo = tmp_path / "repo"
    cache = Cache(tmp_path / "cache", b"k" * 32)
    for step in range(STEPS):
        if step:
            edit(coalition, 1, 3)
        write_state(repo, coalition.files())
        at = rng.choice(TIMES)
        verification = verify_path(repo, at=at, workers=1)
        made = provenance(evaluated_at=at, source_commit=f"{step:040x}", allow_errors=True)
        incremental = build_site(verification, WorktreeSource(repo), made, workers=1, cache=cache)
        cold = build_site(verification, WorktreeSource(repo), made, workers=1, cache=None)
        assert_same(incremental, cold)


@pytest.mark.parametrize("claimed", ["deLta", "alpha", "nobody"])
def test_a_treaty_claiming_another_issuer_is_built_as_its_folders(tmp_path: Path, claimed: str) -> None:
    """Found on seed 322: a flipped byte made delta's treaty claim issuer 'deLta'. verify says
    treaty.wrong_issuer; the build with --allow-errors raised KeyError, the site looking the
    treaty up under the issuer it claimed. The treaty is the folder's, wherever it points."""
    coalition = coalition_of(random.Random(0), 0)
    treaty_id = coalition.world["delta"].treaty("t", coalition.world["alpha"])
    coalition.world["delta"].resign(treaty_id, issuer_sovereign_id=claimed)
    repo = tmp_path / "repo"
    write_state(repo, coalition.files())
    verification = verify_path(repo, at=NOW, workers=1)
    assert ("treaty.wrong_issuer" in {f.code for f in verification.findings})
    [treaty] = [t for s in verification.sovereigns for t in s.treaties]
    assert treaty.issuer == "delta"
    site = build_site(verification, WorktreeSource(repo), provenance(evaluated_at=NOW, allow_errors=True), workers=1)
    assert any(treaty_id in path for path in site.files if path.startswith("sovereigns/delta/"))
