"""Differential test: seeded random documents made by genesis-mesh 1.8.1's own producers, many
changed after signing; Handshake's verdict must equal the reference's strict verdict on each.

The generator (`refimpl/differential.py`, run by `reference_tool.py differential SEED COUNT` in
.venv-ref) builds a sovereign per seed (genesis, several key successions) and documents of every
kind Handshake verifies, and gives the reference's strict verdict on each (`verdicts.verdict`, as
`reference_tool.py verify` does). Here Handshake judges the same bytes with the calls of
test_verdicts_match_reference.py. A missing .venv-ref FAILS this test (never skips).

A failure names the seed and document number: `reference_tool.py differential SEED COUNT` prints
the document again (its bytes are base64 in `data`).
"""
from __future__ import annotations

import base64
import json
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from publisher import timestamps
from publisher.checks.genesis import check_genesis
from publisher.checks.key_history import build_key_history
from publisher.codes import REGISTRY
from publisher.findings import Finding
from publisher.limits import DEFAULT_LIMITS
from publisher.model import KeyHistory, NaKey
from publisher.strictjson import Refusal, load_json
from tests.interop.test_verdicts_match_reference import history_of, na_signed_findings, primary
from tests.interop.seeds import seeds

HERE = Path(__file__).resolve().parent
REF_PYTHON = HERE.parent.parent / ".venv-ref" / "bin" / "python"
TOOL = HERE / "reference_tool.py"
SEEDS = seeds(tuple(range(1, 41)))
COUNT = 60   # documents per seed

# Deliberate differences, matched on Handshake's finding (code, pointer regex): a document the
# reference accepts may be refused by Handshake only through these, each decided in
# docs/pages/reference/interop.md ("Deliberate differences") with the FORMATS.md section.
DELIBERATE: list[tuple[str, str, str]] = [
    # FORMATS §1.1: keys are checked strictly as 32-byte base64 (the reference takes any string).
    ("key.malformed", r"/(subject_public_keys/\d+|network_authority/public_key)$", "§1.1"),
    # FORMATS §1.2 / §14.4: every genesis signature must verify under the root (node/CLI rule).
    ("sig.invalid", r"^/signatures/\d+$", "§1.2, §14.4"),
    ("sig.wrong_role", r"^/signatures/\d+$", "§1.2, §14.4"),
    # FORMATS §1.7 (RFC-001 rule 8, "mechanically checkable: root != NA key in genesis"): a
    # genesis naming its root as NA key (the reference's genesis check accepts it).
    ("key.role_reuse", r"^/network_authority/public_key$", "§1.7"),
    # FORMATS §1.2: a signature object is {key_id, sig} and nothing else (the strict path never
    # looks inside it, so the reference accepts an extra member).
    ("doc.unknown_field", r"^/signatures/\d+/[^/]+$", "§1.2"),
    # Handshake's input bounds on identifiers and labels (schemas/common.schema.json: 1 to 256
    # characters; FORMATS sets none, the reference takes any length): no reference producer
    # writes an empty or longer id (ids are uuid4, key ids and names are chosen by the operator).
    ("doc.malformed", r"^/(treaty_id|feed_id|policy_id|issuer_sovereign_id|subject_sovereign_id|issued_by|"
                      r"network_name|network_version|min_client_version|revoked_attestation_ids/\d+|revoked_grant_ids/\d+|"
                      r"revocation_reasons|allowed_services/\d+|signatures/\d+/key_id)$", "bound"),
    # ... and on ports (1..65535; the reference takes any integer).
    ("doc.malformed", r"^/allowed_ports/\d+$", "bound"),
    # Handshake refuses deceptive ids (bidi overrides, invisible characters) shown to readers.
    ("layout.deceptive_text", r"", "bound"),
]


# FORMATS §1.4/§15: Handshake applies the strict profile to policy manifests, for which the
# reference has none (its node rule verifies the model): a field added or re-written after
# signing is refused by Handshake only.
POLICY_STRICT = {"sig.invalid", "doc.unknown_field", "doc.non_canonical_form"}

# Both refuse, for different reasons (matched on the generator's description, the reference's
# reason and one of Handshake's errors: the document may hold a second defect, which Handshake
# may rank first). Each is a reason-order difference, not a verdict one.
REASON_ONLY: list[tuple[str, str, str, str]] = [
    # The record's own time is unreadable or non-canonical: the reference cannot place the record
    # in its key history and says invalid_signature; Handshake names the timestamp's form.
    ("issued_at", "invalid_signature", "doc.non_canonical_form", "record time unreadable"),
    # ... and re-signed with an unreadable valid_from/expires_at: the reference's model refuses it.
    ("changed, re-signed", "record_malformed", "doc.non_canonical_form", "timestamp unreadable"),
    # A defaulted list left out and re-signed, its reasons now naming unlisted ids.
    ("left out, re-signed", "record_malformed", "doc.non_canonical_form", "defaulted field missing"),
    # A defaulted field set to null after signing: the reference checks the signature first,
    # Handshake the schema first.
    (": null, after signing", "invalid_signature", "doc.malformed", "null for a list"),
    # A list set to null and re-signed by a key not valid at the record's time: the reference
    # checks the key's window first, Handshake the schema first.
    (": null, re-signed", "na_key_not_valid_at_time", "doc.malformed", "null for a list, key out of its window"),
    # genesis_refusal reads the model before the signature (genesis_invalid); Handshake's primary
    # ranks the signature first.
    ("after signing", "genesis_invalid", "sig.invalid", "model-invalid genesis"),
]


def reference_documents(seed: int, count: int) -> list[dict[str, Any]]:
    if not REF_PYTHON.is_file():
        pytest.fail(f"{REF_PYTHON} is missing: run scripts/setup-reference.sh (Python 3.12 + genesis-mesh "
                    "1.8.1 in .venv-ref) before the differential test", pytrace=False)
    proc = subprocess.run([str(REF_PYTHON), str(TOOL), "differential", str(seed), str(count)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    documents: list[dict[str, Any]] = json.loads(proc.stdout)["documents"]
    return documents


def handshake_findings(doc: dict[str, Any]) -> list[Finding]:
    """Handshake's findings on one generated document (the calls of test_verdicts_match_reference)."""
    path = f"differential/{doc['id']}"
    value = load_json(base64.b64decode(doc["data"]), DEFAULT_LIMITS)
    if isinstance(value, Refusal):
        return [Finding(path, "", value.code, REGISTRY[value.code].severity, value.message)]
    at = timestamps.parse(doc["at"])
    assert isinstance(at, datetime)
    kind = doc["kind"]
    if not isinstance(value, dict):
        return [Finding(path, "", "doc.malformed", REGISTRY["doc.malformed"].severity, "not an object")]
    if kind == "genesis":
        _, found = check_genesis(value, path, value.get("network_name"), doc["root"], other_roles={},
                                 limits=DEFAULT_LIMITS)
        return found
    if kind == "key-history":
        genesis_raw = value.get("genesis")
        if not isinstance(genesis_raw, dict):
            return [Finding(path, "", "doc.malformed", REGISTRY["doc.malformed"].severity, "no genesis")]
        genesis, found = check_genesis(genesis_raw, path, genesis_raw.get("network_name"), doc["root"],
                                       other_roles={}, limits=DEFAULT_LIMITS)
        if genesis is None or not genesis.verified:
            return found
        _, more = build_key_history(genesis, value, path, genesis_raw["network_name"])
        return found + more
    if doc.get("key_history") is not None:
        history = history_of(doc["key_history"], doc["root"])
    else:
        history = KeyHistory(tuple(NaKey(i + 1, k, None, None, None, None, False) for i, k in enumerate(doc["keys"])))
    return na_signed_findings(kind, value, path, history, at)


def is_deliberate(f: Finding) -> bool:
    return any(f.code == code and re.search(where, f.pointer, re.S) for code, where, _ in DELIBERATE)


def difference(doc: dict[str, Any]) -> str | None:
    """None when Handshake agrees with the reference on ``doc``, or differs only as DELIBERATE says.

    Agreement: both accept; or both refuse and one of Handshake's errors maps to the reference's
    reason (REGISTRY[code].reference). Policy manifests have no reason codes at the reference (the
    node rule says only invalid_signature), so there both refusing is agreement.
    """
    strict = doc["strict"]
    found = handshake_findings(doc)
    if strict["accepted"] is None:   # the reference's own check raised (a naive time next to an
        # aware one in its model validator): nothing it would accept; Handshake must refuse.
        # A naive timestamp is accepted by Handshake with a warning (FORMATS §1.5, §14.8): either is agreement.
        return None
    if any(f.code == "internal.check_failed" for f in found):
        return f"internal.check_failed: {[f.message for f in found if f.code == 'internal.check_failed']}"
    errors = [f for f in found if f.severity.value == "error"]
    undecided = [f for f in errors if not is_deliberate(f)]
    if strict["accepted"] and doc["kind"] == "policy" and {f.code for f in undecided} <= POLICY_STRICT:
        return None   # FORMATS §1.4/§15: the strict profile for policy manifests too (no reference path)
    if strict["accepted"]:
        if not undecided:
            return None
        return f"reference accepted, Handshake {primary(undecided)}: " + str(
            [(f.code, f.pointer, f.message[:100]) for f in undecided])
    if not errors:
        return f"reference refused ({strict['reason']}), Handshake accepted"
    if doc["kind"] == "policy" or any(strict["reason"] in REGISTRY[f.code].reference for f in errors):
        return None
    if not undecided:
        return None   # refused by both; Handshake's reason is one of its deliberate bounds
    codes = {f.code for f in undecided}
    for what, reason, code, _why in REASON_ONLY:
        if what in doc["what"] and strict["reason"] == reason and code in codes:
            return None
    ours = primary(undecided)
    return f"reference {strict['reason']}, Handshake {ours} (maps to {REGISTRY[ours].reference})"


@pytest.mark.parametrize("seed", SEEDS)
def test_handshake_agrees_with_the_reference_on_random_documents(seed: int) -> None:
    documents = reference_documents(seed, COUNT)
    assert len(documents) == COUNT
    differences = {}
    for doc in documents:
        found = difference(doc)
        if found is not None:
            differences[doc["id"]] = f"{doc['kind']}: {doc['what']} -> {found}"
    assert not differences, json.dumps(differences, indent=1, ensure_ascii=False)


def test_the_generator_covers_every_kind_and_both_verdicts() -> None:
    documents = reference_documents(SEEDS[0], COUNT)
    kinds = {d["kind"] for d in documents}
    assert kinds == {"genesis", "key-history", "treaty", "feed", "policy"}
    assert any(d["strict"]["accepted"] for d in documents)
    assert any(not d["strict"]["accepted"] for d in documents)
    again = reference_documents(SEEDS[0], COUNT)
    assert again == documents, "the generator is not deterministic for a seed"
