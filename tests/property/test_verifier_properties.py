"""Properties of the verifier over the hostile corpus's baseline, held in memory.

- any bytes, any JSON value, or a document with any subtree replaced, under any document
  name, yields findings with registered codes: never an exception, never internal.check_failed;
- any single change to the signed content of a signed document (a value replaced, a field
  added or removed, one character of a string changed) fails verification of that document;
- a signed document re-serialised with other key order and whitespace still verifies.
"""
from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import assume, given, strategies as st

from hostile_attacks import rotate_alpha
from hostile_repo import MemorySource
from hostile_world import NOW, TREATY, Files, baseline, dump
from property_support import VALUES, reformatted
from publisher.canonical import canonical_bytes, signed_bytes
from publisher.codes import REGISTRY
from publisher.layout import SOVEREIGN_FILES
from publisher.model import Sovereign
from publisher.verify import Verification, verify_repository

A = "sovereigns/alpha"
GEN, FEED, ROLL, HIST = (f"{A}/genesis.signed.json", f"{A}/revocation-feed.json",
                         f"{A}/roll-call.json", f"{A}/key-history.json")
BASELINE = baseline()
ROTATED = copy.deepcopy(BASELINE)
rotate_alpha(ROTATED, complete=True)     # a valid NA key succession: the history's signed record
NAMES = sorted({f"{A}/{name}" for name in SOVEREIGN_FILES} | {TREATY, f"{A}/keys/operator.pub",
                                                                 "coalition.json", "trust.lock"})


def verify(files: Files) -> Verification:
    result = verify_repository(MemorySource(files), at=NOW, workers=1)
    codes = {f.code for f in result.findings}
    assert "internal.check_failed" not in codes
    assert codes <= set(REGISTRY)
    return result


# -- any content under any name -------------------------------------------------------------------
@st.composite
def replaced_subtree(draw: st.DrawFn, value: Any) -> Any:
    """`value` with one node (possibly the whole value) replaced by an arbitrary JSON value."""
    if isinstance(value, (dict, list)) and value and draw(st.booleans()):
        keys = sorted(value) if isinstance(value, dict) else list(range(len(value)))
        key = draw(st.sampled_from(keys))
        out = copy.copy(value)
        out[key] = draw(replaced_subtree(value[key]))
        return out
    return draw(VALUES)


@st.composite
def hostile_content(draw: st.DrawFn, path: str) -> bytes:
    mode = draw(st.sampled_from(["bytes", "value", "subtree"] if path in BASELINE else ["bytes", "value"]))
    if mode == "bytes":
        return draw(st.binary(max_size=600))
    if mode == "value":
        return json.dumps(draw(VALUES)).encode()
    original = json.loads(BASELINE[path]) if path.endswith((".json", ".lock")) else None
    if original is None:
        return draw(st.binary(max_size=600))
    return dump(draw(replaced_subtree(original)))


@given(st.data(), st.sampled_from(NAMES))
def test_any_content_under_any_name_gives_findings(data: st.DataObject, path: str) -> None:
    files = dict(BASELINE)
    files[path] = data.draw(hostile_content(path))
    first = verify(files)
    assert verify(files).findings == first.findings     # and the report is deterministic


# -- single mutations of signed content ------------------------------------------------------------
@st.composite
def mutated(draw: st.DrawFn, document: dict[str, Any], protect: frozenset[str]) -> dict[str, Any]:
    """A deep copy of `document` with exactly one change inside its signed content (`protect`
    lists top-level keys that are not signed)."""
    doc = copy.deepcopy(document)
    parent: Any = None
    key: Any = None
    node: Any = doc
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        keys = [k for k in (sorted(node) if isinstance(node, dict) else range(len(node)))
                if not (node is doc and k in protect)]
        if not keys:
            break
        parent, key = node, draw(st.sampled_from(keys))
        node = node[key]
    ops = ["replace"] if parent is not None else []
    if isinstance(node, dict):
        ops += ["add"] + (["remove"] if [k for k in node if not (node is doc and k in protect)] else [])
    elif isinstance(node, list):
        ops += ["append"] + (["remove"] if node else [])
    elif isinstance(node, str):
        ops += ["edit"]
    op = draw(st.sampled_from(ops))
    if op == "replace":
        new = draw(VALUES)
        assume(canonical_bytes(new) != canonical_bytes(node))
        parent[key] = new
    elif op == "add":
        name = draw(st.text(min_size=1, max_size=12))
        assume(name not in node and not (node is doc and name in protect))
        node[name] = draw(VALUES)
    elif op == "append":
        node.append(draw(VALUES))
    elif op == "remove" and isinstance(node, dict):
        del node[draw(st.sampled_from(sorted(k for k in node if not (node is doc and k in protect))))]
    elif op == "remove":
        del node[draw(st.integers(0, len(node) - 1))]
    else:
        parent[key] = draw(edited(node))
    return doc


@st.composite
def edited(draw: st.DrawFn, text: str) -> str:
    """`text` with one character replaced, inserted or deleted."""
    index = draw(st.integers(0, len(text)))
    char = draw(st.characters(exclude_characters=text[index:index + 1] or None, exclude_categories=["Cs"]))
    how = draw(st.sampled_from(["replace", "insert", "delete"] if index < len(text) else ["insert"]))
    if how == "replace":
        return text[:index] + char + text[index + 1:]
    if how == "insert":
        return text[:index] + char + text[index:]
    return text[:index] + text[index + 1:]


def _alpha(result: Verification) -> Sovereign:
    sovereign = result.sovereign("alpha")
    assert sovereign is not None
    return sovereign


def _unverified(path: str, result: Verification) -> bool:
    alpha = _alpha(result)
    if path == GEN:
        return alpha.genesis is None or not alpha.genesis.verified
    if path == FEED:
        return alpha.feed is None or not alpha.feed.verified
    if path == ROLL:
        return alpha.roll_call is None or not alpha.roll_call.verified
    if path == HIST:
        return len(alpha.key_history.keys) == 1
    return all(not t.verified for t in alpha.treaties if t.path == TREATY)


SIGNED = [GEN, TREATY, FEED, ROLL, HIST]     # the history's signed document is its succession record


def base_for(path: str) -> Files:
    return ROTATED if path == HIST else BASELINE


def test_rotated_repository_is_clean() -> None:
    assert [f.code for f in verify(ROTATED).findings] == []


def test_null_omit_when_none_field_is_not_a_change() -> None:
    """The one edit that keeps signed content: revoked_grant_ids null is signed as absent."""
    files = dict(BASELINE)
    files[FEED] = dump({**json.loads(files[FEED]), "revoked_grant_ids": None})
    assert verify(files).findings == ()


KINDS = {GEN: "genesis-block", TREATY: "recognition-treaty", FEED: "revocation-feed", ROLL: "roll-call",
         HIST: "key-succession-record"}


@given(st.data(), st.sampled_from(SIGNED))
def test_any_single_change_to_signed_content_fails(data: st.DataObject, path: str) -> None:
    files = dict(base_for(path))
    document = json.loads(files[path])
    if path == HIST:   # the signed document is the succession record inside the history
        before = document["successions"][0]
        document["successions"][0] = after = data.draw(mutated(before, frozenset({"signatures"})))
    else:
        before, after = document, data.draw(mutated(document, frozenset({"signatures"})))
        document = after
    # FORMATS §1.3: an omit-when-none field set to null is the same signed content as absent.
    assume(signed_bytes(after, KINDS[path]) != signed_bytes(before, KINDS[path]))
    files[path] = dump(document)
    result = verify(files)
    assert any(f.path == path and f.severity.value == "error" for f in result.findings)
    assert _unverified(path, result)


# Free-text fields (labels and ids without a format): an edit keeps the document well-formed,
# so the only thing that can notice it is the signature.
FREE_TEXT = {GEN: ("network_version",), TREATY: ("treaty_id", "issued_by"), FEED: ("feed_id", "issued_by"),
             ROLL: ("issued_by",), HIST: ("succession_id", "previous_key_id", "new_key_id")}
SIGNATURE_CODE = {HIST: "succession.invalid_root_signature"}


@given(st.data(), st.sampled_from(SIGNED))
def test_character_edit_of_a_signed_label_is_an_invalid_signature(data: st.DataObject, path: str) -> None:
    files = dict(base_for(path))
    document = json.loads(files[path])
    record = document["successions"][0] if path == HIST else document
    field = data.draw(st.sampled_from(FREE_TEXT[path]))
    record[field] = data.draw(edited(record[field]))
    files[path] = dump(document)
    result = verify(files)
    assert _unverified(path, result)
    code = SIGNATURE_CODE.get(path, "sig.invalid")
    assert any(f.path == path and f.code == code for f in result.findings)


@given(st.data(), st.sampled_from(SIGNED))
def test_signed_document_in_any_layout_still_verifies(data: st.DataObject, path: str) -> None:
    files = dict(base_for(path))
    files[path] = data.draw(reformatted(json.loads(files[path]))).encode("utf-8")
    result = verify(files)
    assert [f.code for f in result.findings if f.severity.value != "info"] == []
    assert not _unverified(path, result)
