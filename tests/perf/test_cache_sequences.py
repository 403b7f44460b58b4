"""A cached verify answers as a fresh one does, along a sequence of random edits.

tests/perf/test_equivalence.py checks chosen edits; this walks one cache through many: each
step makes one to three edits of the kinds pull requests and attacks make
(tests/history/edits.py), writes the tree and commits it, then verifies at a time drawn from
before, inside and after the treaties' windows: the working tree with the cache and without,
and the commit with the cache and without; the commit and its checkout must agree too. A
remembered answer that outlives what it was made from, a folder's result kept under a key its
inputs no longer have, or a snapshot whose time checks were not re-run, would give another
outcome.

`HANDSHAKE_DIFFERENTIAL_SEEDS` runs other seeds, as for the other differential tests.
"""
from __future__ import annotations

import dataclasses
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.history.edits import coalition_of, edit
from tests.history.trustrepo import NOW, T0, commit_states
from tests.interop.seeds import seeds

from publisher import gitrepo
from publisher.cache import open_cache
from publisher.gitsource import GitSource
from publisher.verify import Verification, verify_path, verify_repository

SEEDS = seeds(tuple(range(8)))
STEPS = 6
TIMES = (T0 + timedelta(days=3), NOW, NOW + timedelta(days=400))


def outcome(result: Verification) -> Any:
    return (result.findings, result.summary(), dataclasses.asdict(result.coalition),
            [dataclasses.asdict(s) for s in result.sovereigns])


@pytest.mark.parametrize("seed", SEEDS)
def test_one_cache_along_random_edits_answers_as_no_cache(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    coalition = coalition_of(rng, 3)
    root = tmp_path / "repo"
    cache = None
    for step in range(STEPS):
        if step:
            edit(coalition, 1, 3)
        commit = commit_states(root, [coalition.files()])[-1]
        cache = cache or open_cache(root)
        assert cache is not None
        for at in rng.sample(TIMES, 2):
            where = f"seed {seed}, step {step}, at {at:%Y-%m-%d}"
            fresh = outcome(verify_path(root, at=at, workers=1))
            assert outcome(verify_path(root, at=at, workers=1, cache=cache)) == fresh, f"{where}: working tree"
            source = GitSource(root, gitrepo.resolve(root, commit))
            fresh_commit = outcome(verify_repository(source, at=at, workers=1))
            remembered = outcome(verify_repository(GitSource(root, commit), at=at, workers=1, cache=cache))
            assert remembered == fresh_commit, f"{where}: commit"
            assert fresh_commit == fresh, f"{where}: the commit and its checkout"
