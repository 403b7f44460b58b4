"""Review on plain data: one case per change class (documents at base and head -> changes)."""
from __future__ import annotations

from datetime import timedelta
from collections.abc import Callable

import pytest
from tests.history.trustrepo import NOW, T0, World, tid

from publisher.review.analysis import trust_changes


def base() -> World:
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"], roles=["role:client"])
    world["alpha"].treaty("old", world["beta"], roles=["role:client"])
    world["alpha"].set_feed(["att-1"])
    world["alpha"].threshold = 2
    world.pin_all()
    return world


T1, OLD = tid("alpha:t1"), tid("alpha:old")


def add_sovereign(w):
    from tests.history.trustrepo import Sov
    w.sovereigns["gamma"] = Sov("gamma")


def remove_sovereign(w):
    del w.sovereigns["beta"]


def rotate(w):
    w["alpha"].rotate_root("alpha-root-2")


def swap_root(w):
    w["alpha"].set_root("mallory")


def swap_na(w):
    from tests.history.trustrepo import Key
    w["alpha"].na = Key("alpha-na-evil")
    w["alpha"].genesis_doc = w["alpha"]._genesis()


def issue(w):
    w["alpha"].treaty("new", w["beta"], roles=["role:bridge"])


def renew(w):
    w["alpha"].treaty("renewal", w["beta"], metadata={"renew_of": OLD})
    w["alpha"].revoke(OLD, f"renewed_by:{tid('alpha:renewal')}")


def replace_wider(w):
    w["alpha"].treaty("v2", w["beta"], roles=["role:client", "role:operator"], metadata={"replace_of": OLD})
    w["alpha"].revoke(OLD, f"replaced_by:{tid('alpha:v2')}")


def suspend(w):
    w["alpha"].resign(T1, status="suspended")


def revoke(w):
    w["alpha"].revoke(T1, "key_compromise")


def expiring(w):
    w["alpha"].treaty("short", w["beta"], issued=NOW - timedelta(days=80), days=90)


def widen_roles(w):
    w["alpha"].resign(T1, allowed_roles=["role:client", "role:operator"])


def widen_statuses(w):
    w["alpha"].resign(T1, accepted_statuses=["active", "suspended"])


def narrow_roles(w):
    w["alpha"].resign(T1, allowed_roles=[])


def narrow_one(w):
    w["alpha"].treaty("two", w["beta"], roles=["role:client", "role:bridge"])


def extend(w):
    w["alpha"].resign(T1, expires_at="2028-01-01T00:00:00Z")


def feed_add(w):
    w["alpha"].set_feed(["att-1", "att-2"])
    w["alpha"].feed_issued = T0 + timedelta(days=20)


def feed_remove(w):
    w["alpha"].set_feed([], sequence=2)
    w["alpha"].feed_issued = T0 + timedelta(days=20)


def party_keys(w):
    w["beta"].parties = w["beta"].parties + [{"name": "Helper Ltd", "roles": ["na-host"],
                                              "holds_keys": ["network-authority"]}]


def partner(w):
    w["beta"].parties = w["beta"].parties + [{"name": "Northwind", "roles": ["managing-partner"],
                                              "holds_keys": []}]


def member_out(w):
    w.members = ["alpha"]


def repin(w):
    w.pins = {**w.pins, "beta": w["alpha"].root.public}


CASES: list[tuple[str, Callable[[World], None], str, str, str]] = [
    ("sovereign-added", add_sovereign, "change.sovereign_added", "medium", "gamma joins with root key"),
    ("sovereign-removed", remove_sovereign, "change.sovereign_removed", "high", "beta was removed"),
    ("root-rotated", rotate, "change.root_key_rotated", "medium", "alpha rotated its root key"),
    ("root-swapped", swap_root, "change.root_key_changed", "critical", "no rotation record signed by the old root"),
    ("genesis-na-swapped", swap_na, "change.genesis_na_changed", "high", "not through a succession record"),
    ("treaty-issued", issue, "change.treaty_issued", "medium", "alpha now recognizes beta for role:bridge"),
    ("treaty-renewed", renew, "change.treaty_renewed", "low", f"renews {OLD[:13]}"),
    ("treaty-replaced", replace_wider, "change.treaty_replaced", "medium", f"replaces {OLD[:13]}"),
    ("replacement-widens", replace_wider, "change.scope_widened", "high", "now also grants role:operator"),
    ("treaty-suspended", suspend, "change.treaty_suspended", "low", "is suspended"),
    ("treaty-revoked", revoke, "change.treaty_revoked", "low", "is revoked (key_compromise)"),
    ("treaty-expiring", expiring, "change.treaty_expiring", "low", "within 30 days"),
    ("roles-widened", widen_roles, "change.scope_widened", "high", "now also grants role:operator"),
    ("statuses-widened", widen_statuses, "change.scope_widened", "high", "accepts attestations with status suspended"),
    ("roles-emptied", narrow_roles, "change.scope_widened", "high", "any role for a 0.52 verifier"),
    ("validity-extended", extend, "change.validity_extended", "medium", "now expires on 2028-01-01"),
    ("feed-entry-added", feed_add, "change.feed_entry_added", "low", "now revokes att-2"),
    ("feed-entry-removed", feed_remove, "change.feed_entry_removed", "critical", "no longer revokes att-1"),
    ("party-gains-keys", party_keys, "change.rollcall_keys_gained", "high", "Helper Ltd now holds network-authority"),
    ("threshold-lowered", lambda w: setattr(w["alpha"], "threshold", None), "change.rollcall_threshold_lowered",
     "high", "lowers its signature threshold from 2 to 1"),
    ("managing-partner-added", partner, "change.rollcall_partner_added", "medium",
     "Northwind is now a managing partner"),
    ("member-removed", member_out, "change.member_removed", "high", "beta is no longer a coalition member"),
    ("lock-repinned", repin, "change.lock_repinned", "critical", "trust.lock now pins beta"),
]


@pytest.mark.parametrize("mutate, code, level, sentence", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_change_class(mutate, code, level, sentence):
    world = base()
    before = world.documents()
    mutate(world)
    after = world.documents()
    sovereigns = {p.split("/")[1] for p in set(before) | set(after) if p.startswith("sovereigns/")}
    changes = trust_changes(before, after, sovereigns, at=NOW)
    matching = [c for c in changes if c.code == code]
    assert matching, sorted(c.code for c in changes)
    assert matching[0].level == level
    assert sentence in matching[0].sentence, matching[0].sentence


def test_no_change_no_review_entry():
    world = base()
    docs = world.documents()
    assert trust_changes(docs, docs, {"alpha", "beta"}, at=NOW) == []


def test_narrowing_to_fewer_roles_is_low():
    world = base()
    narrow_one(world)
    before = world.documents()
    world["alpha"].resign(tid("alpha:two"), allowed_roles=["role:client"])
    changes = trust_changes(before, world.documents(), {"alpha"}, at=NOW)
    assert [(c.code, c.level) for c in changes] == [("change.scope_narrowed", "low")]
    assert "no longer grants role:bridge" in changes[0].sentence


def test_na_key_succession_is_medium():
    from publisher.history.compare import Memory, compare_sovereign
    from publisher.history.model import SovereignView
    before = SovereignView("alpha", root_key="R", successions=("d1",))
    after = SovereignView("alpha", root_key="R", successions=("d1", "d2"))
    changes = compare_sovereign(before, after, Memory.of(before))
    assert [(c.code, c.level, c.sentence) for c in changes] == [
        ("change.na_key_succeeded", "medium", "alpha added NA key #3 through a root-signed succession.")]


def test_a_pin_written_by_the_change_does_not_excuse_a_root_swap():
    world = base()
    world.pins = None
    before = world.documents()
    swap_root(world)
    world.pins = {"alpha": world["alpha"].root.public, "beta": world["beta"].root.public}
    changes = trust_changes(before, world.documents(), {"alpha", "beta"}, at=NOW)
    assert ("change.root_key_changed", "critical") in {(c.code, c.level) for c in changes}


def test_raising_the_threshold_is_low():
    world = base()
    before = world.documents()
    world["alpha"].threshold = 3
    changes = trust_changes(before, world.documents(), {"alpha"}, at=NOW)
    assert [(c.code, c.level) for c in changes] == [("change.rollcall_changed", "low")]
    assert "raises its signature threshold from 2 to 3" in changes[0].sentence
