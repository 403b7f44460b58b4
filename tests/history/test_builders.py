"""The builders make repositories the verifier accepts: otherwise every attack test is moot."""
from __future__ import annotations

from tests.history.trustrepo import NOW, World, write_state

from publisher.verify import verify_path


def test_world_verifies_clean(tmp_path):
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world["alpha"].set_feed(["att-1"])
    world.pin_all()
    write_state(tmp_path, world.files())
    result = verify_path(tmp_path, at=NOW)
    errors = [f for f in result.findings if f.severity.value == "error"]
    assert errors == []
    assert {s.id for s in result.sovereigns} == {"alpha", "beta"}


def test_rotated_root_verifies_through_the_chain(tmp_path):
    world = World("alpha")
    world.pin_all()
    world["alpha"].rotate_root("alpha-root-2")
    write_state(tmp_path, world.files())
    result = verify_path(tmp_path, at=NOW)
    assert [f.code for f in result.findings if f.severity.value == "error"] == []
    assert result.sovereign("alpha").genesis.verified
