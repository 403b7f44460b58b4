"""coalition.json and trust.lock hold one entry per sovereign: past a few thousand sovereigns
they outgrow the 1 MiB per-document bound, and every reader (the history walk, review,
authoring) reads them under their own bound (Limits.max_index_bytes). A walk that read them
under the per-document bound saw them vanish and reported every member and pin removed."""
from __future__ import annotations

from pathlib import Path

from publisher.authoring.state import RepoState
from publisher.history.load import read_history
from publisher.limits import DEFAULT_LIMITS
from publisher.review.collect import collect_review
from tests.history.trustrepo import T0, World, commit_states

PADDING = 26_000    # member ids and pins without a folder: 1.1 MB and 3.8 MB


def _world(extra: int) -> World:
    world = World("alpha", "beta")
    world.pin_all()
    assert world.pins is not None
    for index in range(PADDING + extra):
        world.members.append(f"listed-{index:05d}")
        world.pins[f"listed-{index:05d}"] = world["alpha"].root.public
    return world


def _repository(root: Path) -> list[str]:
    states = [_world(0).files(), _world(1).files()]
    assert all(len(s["coalition.json"]) > DEFAULT_LIMITS.max_file_bytes for s in states)
    assert all(len(s["trust.lock"]) > DEFAULT_LIMITS.max_file_bytes for s in states)
    return commit_states(root, states)


def test_history_reads_large_index_files(tmp_path: Path) -> None:
    _repository(tmp_path)
    for workers in (1, 2):
        result, problems = read_history(tmp_path, workers=workers)
        codes = [c.code for c in result.changes]
        assert "change.member_removed" not in codes and "change.lock_pin_removed" not in codes, workers
        added = [c for c in result.changes if c.code == "change.member_added" and c.subject == f"listed-{PADDING:05d}"]
        assert len(added) == 1, workers


def test_review_and_authoring_read_large_index_files(tmp_path: Path) -> None:
    first, second = _repository(tmp_path)
    review = collect_review(tmp_path, first, second)
    codes = [c.code for c in review.changes]
    assert "change.member_added" in codes
    assert "change.member_removed" not in codes and "change.lock_pin_removed" not in codes
    lock = RepoState(tmp_path, T0, None).read_json("trust.lock")  # type: ignore[arg-type]  # reads files only
    assert lock is not None and len(lock["sovereigns"]) == PADDING + 3
