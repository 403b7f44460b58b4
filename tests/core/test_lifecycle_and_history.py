"""Treaty lifecycle at an evaluation time, and NA key successions (tables)."""
from __future__ import annotations

import copy
from datetime import timedelta

import pytest

from publisher.checks.key_history import succession_digest
from publisher.lifecycle import treaty_state
from publisher.model import Treaty, TreatyRow
from publisher.timestamps import format_z
from tests.core.builders import NOW, Folder, Key, SovereignKeys, codes, make_genesis, make_treaty, seed, sign

H = timedelta(hours=1)


def treaty(expires_in: timedelta, *, status="active", row=None, valid_from=-10 * 24 * H) -> Treaty:
    return Treaty(path="t", treaty_id="t", issuer="a", subject="b", subject_public_keys=(), allowed_roles=(),
                  accepted_statuses=("active",), claims={}, status=status, issued_at=NOW + valid_from,
                  valid_from=NOW + valid_from, expires_at=NOW + expires_in, row=row)


@pytest.mark.parametrize("subject, state, risk", [
    (treaty(1000 * H), "active", "low"),
    (treaty(72 * H), "expiring_soon", "medium"),
    (treaty(24 * H), "expiring_soon", "high"),
    (treaty(-1 * H), "expired", "expired"),
    (treaty(timedelta(0)), "expired", "expired"),
    (treaty(1000 * H, valid_from=2 * H), "not_yet_valid", "low"),
    (treaty(1000 * H, status="suspended"), "suspended", "none"),
    (treaty(1000 * H, status="revoked"), "revoked", "none"),
    (treaty(1000 * H, row=TreatyRow("revoked", "x", "key_compromise")), "revoked", "none"),
    (treaty(1000 * H, row=TreatyRow("revoked", "x", "replaced_by:t2")), "replaced", "none"),
    (treaty(-5 * H, row=TreatyRow("revoked", "x", "renewed_by:t3")), "replaced", "none"),
    (treaty(1000 * H, row=TreatyRow("revoked", "x", "replaced_by:")), "revoked", "none"),
], ids=["active", "72h", "24h", "expired", "expires-now", "not-yet-valid", "suspended", "resigned-revoked",
        "row-revoked", "replaced", "renewed-after-expiry", "empty-replacement"])
def test_lifecycle(subject, state, risk):
    result = treaty_state(subject, NOW)
    assert (result.state, result.expiry_risk) == (state, risk)


A = SovereignKeys.make("alpha", 1)
NA2 = Key(seed(40), "alpha-na-2")


def succession(**over):
    record = {
        "succession_id": "s-1", "sovereign_id": "alpha", "key_sequence": 2, "previous_key_id": A.na.key_id,
        "previous_public_key": A.na.public, "new_key_id": NA2.key_id, "new_public_key": NA2.public,
        "effective_at": format_z(NOW - timedelta(days=20)), "new_valid_to": format_z(NOW + timedelta(days=700)),
        "issued_at": format_z(NOW - timedelta(days=21)), "signatures": [],
    }
    record.update(over)
    return record


def signed(record, *keys):
    return sign(record, "key-succession-record", *(keys or (A.root, NA2, A.na)))


def history(*records):
    return {"sovereign_id": "alpha", "root_public_key": A.root.public, "handover_seconds": 300,
            "genesis": make_genesis(A), "successions": list(records)}


@pytest.mark.parametrize("records, expected", [
    ([signed(succession())], []),
    ([signed(succession(key_sequence=3))], ["succession.chain_break"]),
    ([signed(succession(previous_public_key=A.root.public))], ["succession.chain_break"]),
    ([signed(succession(new_public_key=A.na.public))], ["succession.key_reused"]),
    ([signed(succession(new_public_key=A.root.public))], ["succession.key_reused"]),
    ([signed(succession(issued_at=format_z(NOW - timedelta(days=19))))], ["succession.backdated"]),
    ([signed(succession(new_valid_to=format_z(NOW - timedelta(days=30))))], ["succession.not_increasing"]),
    ([signed(succession(), NA2, A.na)], ["succession.invalid_root_signature"]),
    ([signed(succession(), A.root, A.na)], ["succession.invalid_new_key_signature"]),
    ([signed(succession(), A.root, NA2)], ["succession.invalid_previous_signature"]),
    ([signed(succession(sovereign_id="beta"))], ["succession.sovereign_mismatch"]),
    ([signed(succession(effective_at="2026-05-12T12:00:00+02:00"))], ["doc.malformed"]),
], ids=["valid", "sequence-gap", "wrong-previous", "reuses-na", "reuses-root", "backdated", "not-increasing",
        "no-root-sig", "no-new-key-sig", "no-previous-sig", "other-sovereign", "non-utc"])
def test_successions(records, expected):
    result = Folder.complete(A).put("key-history.json", history(*records)).verify()
    # The fixture's roll call is signed by key 1, no longer valid after a succession: not this test's concern.
    found = sorted(f.code for f in result.findings if f.severity.value == "error" and "roll-call" not in f.path)
    assert found == sorted(expected)
    keys = result.sovereign.key_history.keys
    assert len(keys) == (2 if not expected else 1)


def test_second_succession_links_by_digest_and_refused_records_stop_the_chain():
    first = signed(succession())
    na3 = Key(seed(41), "alpha-na-3")
    second = sign(succession(succession_id="s-2", key_sequence=3, previous_key_id=NA2.key_id,
                             previous_public_key=NA2.public, new_key_id=na3.key_id, new_public_key=na3.public,
                             effective_at=format_z(NOW - timedelta(days=5)),
                             issued_at=format_z(NOW - timedelta(days=6)),
                             previous_succession_digest=succession_digest(first)),
                  "key-succession-record", A.root, na3, NA2)
    ok = Folder.complete(A).put("key-history.json", history(first, second)).verify()
    assert [k.sequence for k in ok.sovereign.key_history.keys] == [1, 2, 3]
    broken = copy.deepcopy(second)
    broken["previous_succession_digest"] = "0" * 64
    bad = Folder.complete(A).put("key-history.json", history(first, sign(broken, "key-succession-record",
                                                                          A.root, na3, NA2))).verify()
    assert "succession.chain_break" in codes(bad) and len(bad.sovereign.key_history.keys) == 2


def test_treaty_judged_at_its_own_time_across_a_succession():
    folder = Folder.complete(A).put("key-history.json", history(signed(succession())))
    before = make_treaty(A, "beta", A.na.public, treaty_id="old", issued_at=format_z(NOW - timedelta(days=30)))
    late = make_treaty(A, "beta", A.na.public, treaty_id="late", issued_at=format_z(NOW - timedelta(days=10)))
    early = make_treaty(A, "beta", A.na.public, treaty_id="early", signer=NA2,
                        issued_at=format_z(NOW - timedelta(days=30)))
    for t in (before, late, early):
        folder.put(f"treaties/{t['treaty_id']}.json", t)
    result = folder.verify()
    by_id = {t.treaty_id: t for t in result.sovereign.treaties}
    assert by_id["old"].verified and by_id["old"].signer == A.na.public
    assert not by_id["late"].verified and not by_id["early"].verified
    assert [f.code for f in result.findings if f.path.endswith("late.json") and f.severity.value == "error"] \
        == ["sig.key_not_valid_at_time"]
