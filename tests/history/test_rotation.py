"""Root rotation records: the chain from the pinned root, one refusal per case, and verify's hook."""
from __future__ import annotations

import copy

import pytest

from publisher.history.rotation import follow_rotations, rotation_verifies
from publisher.verify import verify_path
from tests.history.trustrepo import NOW, Key, World, write_state


def rotated(*names: str, **flags: bool):
    world = World("alpha")
    anchor = world["alpha"].root.public
    for name in names:
        world["alpha"].rotate_root(name, **flags)
    records = [(f"sovereigns/alpha/root-rotations/{r['sequence']}.json", r) for r in world["alpha"].rotations]
    return anchor, records, world


def resign_both(record, old: str, new: str):
    record = copy.deepcopy(record)
    record["signatures"] = []
    Key(old).sign(record, "root-rotation")
    Key(new).sign(record, "root-rotation")
    return record


def test_two_rotations_chain_from_the_pin():
    anchor, records, world = rotated("alpha-root-2", "alpha-root-3")
    chain = follow_rotations(anchor, records, "alpha")
    assert chain.findings == () and chain.root == world["alpha"].root.public
    assert len(chain.used) == 2
    assert rotation_verifies(anchor, records, "alpha", world["alpha"].root.public)
    assert not rotation_verifies(anchor, records, "alpha", anchor)  # back to a retired root


def _case(edit):
    anchor, records, _ = rotated("alpha-root-2")
    path, record = records[0]
    return anchor, edit(path, record)


CASES = [
    ("unsigned-by-old-root", lambda p, r: [(p, rotated("alpha-root-2", sign_old=False)[1][0][1])],
     "rotation.invalid_old_root_signature"),
    ("unsigned-by-new-root", lambda p, r: [(p, rotated("alpha-root-2", sign_new=False)[1][0][1])],
     "rotation.invalid_new_root_signature"),
    ("tampered-after-signing", lambda p, r: [(p, {**r, "reason": "changed later"})],
     "rotation.invalid_old_root_signature"),
    ("wrong-file-name", lambda p, r: [(p.replace("/1.json", "/2.json"), r)], "rotation.filename_mismatch"),
    ("other-sovereign", lambda p, r: [(p, resign_both({**r, "sovereign_id": "beta"}, "alpha-root", "alpha-root-2"))],
     "rotation.sovereign_mismatch"),
    ("starts-elsewhere", lambda p, r: [(p, resign_both({**r, "previous_root_public_key": Key("x").public},
                                                       "x", "alpha-root-2"))], "rotation.chain_break"),
    ("back-to-same-key", lambda p, r: [(p, resign_both({**r, "new_root_public_key": r["previous_root_public_key"]},
                                                       "alpha-root", "alpha-root"))], "rotation.key_reused"),
    ("backdated", lambda p, r: [(p, resign_both({**r, "issued_at": "2027-01-01T00:00:00Z"},
                                                "alpha-root", "alpha-root-2"))], "rotation.backdated"),
    ("non-canonical-time", lambda p, r: [(p, resign_both({**r, "issued_at": "2026-01-31T00:00:00+00:00"},
                                                         "alpha-root", "alpha-root-2"))], "doc.non_canonical_form"),
    ("no-signatures-schema", lambda p, r: [(p, {k: v for k, v in r.items() if k != "signatures"})], "doc.malformed"),
]


@pytest.mark.parametrize("edit, code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_refused_rotation(edit, code):
    anchor, records = _case(edit)
    chain = follow_rotations(anchor, records, "alpha")
    assert chain.root == anchor
    assert [f.code for f in chain.findings] == [code]


def test_later_records_after_a_refusal_are_not_used():
    anchor, records, _ = rotated("alpha-root-2", "alpha-root-3")
    broken = [(records[0][0], {**records[0][1], "reason": "tampered"}), records[1]]
    chain = follow_rotations(anchor, broken, "alpha")
    assert [f.code for f in chain.findings] == ["rotation.invalid_old_root_signature", "rotation.not_used"]


@pytest.mark.parametrize("with_records, errors", [
    (True, []),
    (False, ["genesis.root_mismatch", "lock.root_mismatch"]),
], ids=["chain-verifies", "no-records"])
def test_verify_accepts_a_new_root_only_through_the_chain(tmp_path, with_records, errors):
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world.pin_all()
    world["alpha"].rotate_root("alpha-root-2")
    if not with_records:
        world["alpha"].rotations = []
    write_state(tmp_path, world.files())
    result = verify_path(tmp_path, at=NOW)
    assert sorted({f.code for f in result.findings if f.severity.value == "error"}) == errors
