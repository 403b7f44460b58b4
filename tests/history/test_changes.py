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


def test_a_long_revocation_reason_is_shortened_in_the_sentence():
    """A row's revocation_reason is free text of up to 65,536 characters: a change sentence
    quotes 80 of them, as the feed's reasons, so each revocation adds a line to the change
    channel (cached, rendered on the site and in changes.atom) and never 64 KB."""
    world = World("alpha", "beta")
    treaty = world["alpha"].treaty("t1", world["beta"])
    states = [world.files()]
    world["alpha"].revoke(treaty, "x" * 60_000)
    states.append(world.files())
    revoked = [e for e in change_entries(steps_of(states)) if e.code == "change.treaty_revoked"]
    assert len(revoked) == 1 and "x" * 80 in revoked[0].sentence and len(revoked[0].sentence) < 300
