"""Change channel data: newest first, ranked within a commit, grouped per sovereign."""
from __future__ import annotations

from tests.history.trustrepo import World, steps_of

from publisher.history.changes import by_sovereign, change_entries


def test_entries_newest_first_and_ranked():
    world = World("alpha", "beta")
    states = [world.files()]
    world["alpha"].treaty("t1", world["beta"])
    states.append(world.files())
    world["alpha"].set_root("mallory")
    world["beta"].treaty("t2", world["alpha"])
    states.append(world.files())
    entries = change_entries(steps_of(states))
    assert [e.commit for e in entries[:2]] == [f"{2:040x}"] * 2
    assert [(e.severity, e.code, e.sovereign) for e in entries[:2]] == [
        ("critical", "change.root_key_changed", "alpha"), ("medium", "change.treaty_issued", "beta")]
    assert entries[2].commit == f"{1:040x}" and entries[2].sentence.startswith("alpha now recognizes beta")
    assert entries[-1].commit == f"{0:040x}"
    assert entries[0].to_dict()["time"] == "2026-01-03T00:00:00Z"
    groups = by_sovereign(entries)
    assert list(groups) == ["alpha", "beta"]
    assert groups["alpha"][0].code == "change.root_key_changed"
    assert change_entries(steps_of(states), limit=1) == entries[:1]
