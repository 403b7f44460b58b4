"""History checks, one case per attack, on plain data (states -> steps -> analyze).

Each case builds a clean first state, applies one mutation as a second commit, and asserts
the change code, its level, its sentence, and that the attack is still open at the head.
"""
from __future__ import annotations

from datetime import timedelta
from collections.abc import Callable

import pytest
from tests.history.trustrepo import T0, World, steps_of

from publisher.history.walk import analyze


def base_world() -> World:
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world["alpha"].treaty("t2", world["beta"], roles=["role:bridge"])
    world["alpha"].set_feed(["att-1", "att-2"])
    return world


def swap_root(w: World) -> None:
    w["alpha"].set_root("mallory-root")


def unsigned_rotation(w: World) -> None:
    w["alpha"].rotate_root("mallory-root", sign_old=False)


def feed_rollback(w: World) -> None:
    w["alpha"].set_feed(["att-1"], sequence=1)


def feed_sequence_down(w: World) -> None:
    w["alpha"].set_feed(["att-1", "att-2"], sequence=1)


def row_unrevoked(w: World) -> None:
    w["alpha"].rows[tid_of(w, "t1")] = {"status": "active", "revoked_at": None, "revocation_reason": None}


def resigned_active(w: World) -> None:
    w["alpha"].resign(tid_of(w, "t2"), status="active")


def treaty_deleted(w: World) -> None:
    t = tid_of(w, "t2")
    del w["alpha"].treaties[t], w["alpha"].rows[t]


def older_issued_at(w: World) -> None:
    w["alpha"].feed_issued = T0 + timedelta(days=5)


def tid_of(w: World, name: str) -> str:
    from tests.history.trustrepo import tid
    return tid(f"alpha:{name}")


def prepare_revoked(w: World) -> None:
    w["alpha"].revoke(tid_of(w, "t1"))
    w["alpha"].resign(tid_of(w, "t2"), status="revoked")


CASES: list[tuple[str, Callable[[World], None], str, str, str]] = [
    ("swapped-root", swap_root, "change.root_key_changed", "critical",
     "no rotation record signed by the old root"),
    ("rotation-not-signed-by-old-root", unsigned_rotation, "change.root_key_changed", "critical",
     "alpha's genesis now names root key"),
    ("feed-entry-removed", feed_rollback, "change.feed_entry_removed", "critical",
     "no longer revokes att-2"),
    ("feed-sequence-down", feed_sequence_down, "change.feed_sequence_decreased", "critical",
     "went back to sequence 1 after 2"),
    ("row-revoked-to-active", row_unrevoked, "change.treaty_unrevoked", "critical",
     "had been revoked and is active again"),
    ("resigned-revoked-to-active", resigned_active, "change.treaty_unrevoked", "critical",
     "had been revoked and is active again"),
    ("treaty-file-deleted", treaty_deleted, "change.treaty_deleted", "high",
     "was deleted while active instead of being revoked"),
    ("older-issued-at", older_issued_at, "change.issued_at_regressed", "high",
     "older than the 2026-01-11T00:00:00Z version"),
]


@pytest.mark.parametrize("mutate, code, level, sentence", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_attack_is_reported_and_open(mutate, code, level, sentence):
    world = base_world()
    first = world.files()
    if mutate in (row_unrevoked, resigned_active):
        prepare_revoked(world)
        revoked = world.files()
        mutate(world)
        states = [first, revoked, world.files()]
    else:
        mutate(world)
        states = [first, world.files()]
    result = analyze(steps_of(states))
    opened = [c for c in result.open if c.code == code]
    assert opened, [c.code for c in result.changes]
    assert opened[0].level == level
    assert sentence in opened[0].sentence
    assert opened[0].commit == f"{len(states) - 1:040x}"


def test_clean_history_has_no_open_attack():
    world = base_world()
    states = [world.files()]
    world["alpha"].treaty("t3", world["beta"])
    world["alpha"].set_feed(["att-1", "att-2", "att-3"])
    world["alpha"].revoke(tid_of(world, "t1"))
    states.append(world.files())
    result = analyze(steps_of(states))
    assert result.open == []
    codes = {c.code for c in result.changes if c.commit == f"{1:040x}"}
    assert codes == {"change.treaty_issued", "change.feed_entry_added", "change.treaty_revoked"}


def test_repaired_attack_is_closed_but_kept_in_the_change_list():
    world = base_world()
    states = [world.files()]
    feed_rollback(world)
    states.append(world.files())
    world["alpha"].set_feed(["att-1", "att-2", "att-3"])
    world["alpha"].feed_issued = T0 + timedelta(days=12)
    states.append(world.files())
    result = analyze(steps_of(states))
    assert result.open == []
    assert "change.feed_entry_removed" in {c.code for c in result.changes}


def test_revoked_treaty_deleted_then_republished_active_is_caught():
    world = base_world()
    states = [world.files()]
    t1 = tid_of(world, "t1")
    world["alpha"].revoke(t1)
    states.append(world.files())
    body, row = world["alpha"].treaties.pop(t1), world["alpha"].rows.pop(t1)
    states.append(world.files())
    world["alpha"].treaties[t1], world["alpha"].rows[t1] = body, {**row, "status": "active", "revocation_reason": None}
    states.append(world.files())
    result = analyze(steps_of(states))
    assert [c.code for c in result.changes if c.commit == f"{2:040x}"] == ["change.treaty_removed"]
    assert [(c.code, c.subject) for c in result.open] == [("change.treaty_unrevoked", t1)]


def test_signed_rotation_is_medium_and_not_an_attack():
    world = base_world()
    states = [world.files()]
    world["alpha"].rotate_root("alpha-root-2")
    states.append(world.files())
    result = analyze(steps_of(states))
    assert result.open == []
    rotated = [c for c in result.changes if c.code == "change.root_key_rotated"]
    assert len(rotated) == 1 and rotated[0].level == "medium"
    assert result.first_seen["alpha"].root_public_key == world["alpha"].rotations[0]["previous_root_public_key"]


def test_going_back_to_a_retired_root_is_an_attack():
    world = base_world()
    states = [world.files()]
    world["alpha"].rotate_root("alpha-root-2")
    states.append(world.files())
    world["alpha"].set_root("alpha-root")
    states.append(world.files())
    result = analyze(steps_of(states))
    assert [c.code for c in result.open] == ["change.root_key_changed"]


def test_rewritten_na_history_is_critical():
    from publisher.history.compare import Memory, compare_sovereign
    from publisher.history.model import SovereignView
    before = SovereignView("alpha", root_key="R", successions=("d1", "d2"))
    after = SovereignView("alpha", root_key="R", successions=("d1", "x2"))
    changes = compare_sovereign(before, after, Memory.of(before))
    assert [(c.code, c.level) for c in changes] == [("change.na_history_rewritten", "critical")]


def test_repinned_lock_stays_open_until_the_pin_is_restored():
    world = base_world()
    world.pin_all()
    states = [world.files()]
    original = dict(world.pins)
    world.pins = {**original, "alpha": world["beta"].root.public}
    states.append(world.files())
    world["alpha"].treaty("t5", world["beta"])            # touches alpha, not the lock
    states.append(world.files())
    assert [c.code for c in analyze(steps_of(states)).open] == ["change.lock_repinned"]
    world.pins = original
    states.append(world.files())
    assert analyze(steps_of(states)).open == []


def test_deleting_an_expired_treaty_is_housekeeping():
    world = base_world()
    world["alpha"].treaty("short", world["beta"], days=1)
    states = [world.files()]
    short = tid_of(world, "short")
    del world["alpha"].treaties[short], world["alpha"].rows[short]
    states.append(world.files())
    result = analyze(steps_of(states))                  # commit 1 is on 2026-01-02, t+1 day = 2026-01-04
    assert [c.code for c in result.changes if c.subject == short][-1] == "change.treaty_deleted"
    later = analyze(steps_of(states, start=T0 + timedelta(days=10)))
    assert [c.code for c in later.changes if c.subject == short][-1] == "change.treaty_removed"
    assert later.open == []
