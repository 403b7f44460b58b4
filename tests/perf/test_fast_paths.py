"""Each fast path agrees with the reference it replaces: jsonschema-rs never accepts what
jsonschema rejects; RE2 fires exactly where Python's regex does; the container-only depth walk,
the scandir listing and libsodium's detached verify decide exactly as before."""
from __future__ import annotations

import base64
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import nacl.signing
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher import crypto, fastschema, schemas
from publisher.limits import Limits
from publisher.source import Entry, WorktreeSource
from publisher.strictjson import Refusal, _check_values, load_json
from tests.conftest import REPO_ROOT

KIND_BY_NAME = {
    "genesis.signed.json": "genesis-block", "sovereign.json": "sovereign", "key-history.json": "key-history",
    "recognition-treaties.json": "recognition-treaties", "revocation-feed.json": "revocation-feed",
    "recognition-policy.json": "recognition-policy", "roll-call.json": "roll-call",
}


def demo_documents() -> list[tuple[str, Any]]:
    found = []
    for path in sorted((REPO_ROOT / "sovereigns").rglob("*.json")):
        kind = "recognition-treaty" if path.parent.name == "treaties" else KIND_BY_NAME.get(path.name)
        if kind:
            found.append((kind, json.loads(path.read_bytes())))
    for name, kind in (("coalition.json", "coalition"), ("trust.lock", "trust-lock")):
        found.append((kind, json.loads((REPO_ROOT / name).read_bytes())))
    if len(found) < 40:
        pytest.fail("demo coalition missing or incomplete (run scripts/make_demo.py)", pytrace=False)
    return found


DEMO = demo_documents()


def reference_valid(kind: str, value: Any) -> bool:
    return schemas.validator(kind).is_valid(value)


def test_fast_validator_is_jsonschema_rs() -> None:
    assert fastschema.jsonschema_rs is not None, "jsonschema-rs is a dependency (pyproject)"
    for kind in {k for k, _ in DEMO}:
        assert schemas.fast_validator(kind) != schemas.validator(kind).is_valid, kind


@pytest.mark.parametrize("kind, value", DEMO, ids=[f"{k}-{i}" for i, (k, _) in enumerate(DEMO)])
def test_demo_documents_agree(kind: str, value: Any) -> None:
    assert schemas.fast_validator(kind)(value) == reference_valid(kind, value) is True


def _leaves(value: Any, where: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [leaf for k, v in value.items() for leaf in _leaves(v, where + (k,))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, where + (i,))]
    return [where]


def _replace(value: Any, where: tuple, new: Any) -> Any:
    if not where:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[where[0]] = _replace(value[where[0]], where[1:], new)
    return copy


# Strings where Python's and Rust's regex engines could disagree, and ordinary breakage.
TRICKY = ["a\x1cb", "https://x.example/\x1d", "mailto:a\x1fb@x", "abc\n", "\u0660\u0661", "\U00011f50",
          "é", "ǅ", "a b", "", "x" * 300, "2026-11-23T12:00:00Z\n", "sha256:" + "0" * 64 + "\n",
          "AAAA\u00a0", "\u2028", 0, -1, 1.5, True, None, [], {}]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fast_never_accepts_what_jsonschema_rejects(data: st.DataObject) -> None:
    kind, value = data.draw(st.sampled_from(DEMO))
    paths = _leaves(value)
    where = data.draw(st.sampled_from(paths))
    new = data.draw(st.one_of(st.sampled_from(TRICKY), st.text(max_size=12), st.integers()))
    mutated = _replace(value, where, new)
    if schemas.fast_validator(kind)(mutated):
        assert reference_valid(kind, mutated), (kind, where, new)


@pytest.mark.parametrize("pattern, portable", [
    (r"^[a-z][a-z0-9-]{0,63}$", True), (r"^(?!.*\n)https?://[^\s/?#]+[^\s]*$", True),
    (r"^\p{L}+$", False), (r"[[:alpha:]]", False), (r"[a-z&&[^c]]", False), (r"(?i)abc", False),
    (r"\Aabc\z", False), (r"(?<name>x)", False), (r"\x{41}", False),
], ids=lambda v: str(v))
def test_portable_patterns(pattern: str, portable: bool) -> None:
    assert fastschema.portable(pattern) is portable


def test_guard_restricts_every_regex_to_ascii() -> None:
    schema = {"properties": {"a": {"pattern": "^x$"}, "b": {"patternProperties": {"^k": {}}},
                             "c": {"items": {"pattern": "y"}, "allOf": [{"minLength": 1}]}}}
    guarded, ok = fastschema.guard(schema)
    assert ok and schema["properties"]["a"] == {"pattern": "^x$"}, "the original is not modified"
    assert {"pattern": fastschema.ASCII_GUARD} in guarded["properties"]["a"]["allOf"]
    assert {"propertyNames": {"pattern": fastschema.ASCII_GUARD}} in guarded["properties"]["b"]["allOf"]
    assert guarded["properties"]["c"]["allOf"] == [{"minLength": 1}]
    assert {"pattern": fastschema.ASCII_GUARD} in guarded["properties"]["c"]["items"]["allOf"]
    assert fastschema.guard({"pattern": r"\p{L}"})[1] is False


def test_separator_characters_python_calls_whitespace() -> None:
    """The case that makes the guard necessary: jsonschema rejects, Rust alone would accept."""
    import jsonschema_rs
    schema = {"type": "string", "pattern": r"^[^\s]+$"}
    assert jsonschema_rs.validator_for(schema).is_valid("a\x1cb") is True
    assert re.search(r"^[^\s]+$", "a\x1cb") is None
    guarded, _ = fastschema.guard(schema)
    assert jsonschema_rs.validator_for(guarded).is_valid("a\x1cb") is False


def _walk_depth(value: Any, limits: Limits) -> bool:
    """The original node-by-node walk, depth only."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limits.max_depth:
                return True
            stack.extend((item, depth + 1) for item in (node.values() if isinstance(node, dict) else node))
    return False


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=40)


@settings(max_examples=1500, deadline=None)
@given(json_values, st.integers(1, 8))
def test_depth_walk_matches_the_node_walk(value: Any, max_depth: int) -> None:
    limits = Limits(max_depth=max_depth)
    data = json.dumps(value).encode()
    result = _check_values(value, data, limits)
    assert isinstance(result, Refusal) == _walk_depth(value, limits)


def test_deep_document_still_refused() -> None:
    data = b'{"a":' * 70 + b"1" + b"}" * 70
    refusal = load_json(data)
    assert isinstance(refusal, Refusal) and refusal.code == "json.too_deep"


def _reference_entries(source: WorktreeSource, prefix: str) -> list[Entry]:
    """The listing as it was written before: os.walk and pathlib."""
    base = source.root / prefix
    found = []
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        here = Path(dirpath)
        for name in list(dirnames):
            if (here / name).is_symlink():
                dirnames.remove(name)
                found.append(source._entry(here / name))
        for name in sorted(filenames):
            found.append(source._entry(here / name))
    return sorted(found, key=lambda e: e.path)


def test_listing_matches_os_walk(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    folder = root / "sovereigns" / "alpha"
    (folder / "treaties").mkdir(parents=True)
    (folder / "genesis.signed.json").write_text("{}")
    (folder / "treaties" / "t.json").write_text("{}")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref")
    (root / "sovereigns" / "beta").mkdir()
    (root / "sovereigns" / "beta" / ".git").write_text("gitdir: elsewhere")
    (folder / "link-in").symlink_to("genesis.signed.json")
    (folder / "link-out").symlink_to("/etc/passwd")
    (folder / "broken").symlink_to("missing")
    (folder / "dir-link").symlink_to(tmp_path)
    (root / "sovereigns" / "gamma").symlink_to(folder)
    os.mkfifo(folder / "pipe")
    source = WorktreeSource(root)
    listed = source.entries("sovereigns")
    assert listed == _reference_entries(source, "sovereigns")
    assert {e.type for e in listed} == {"file", "symlink", "other"}
    assert all(stat.S_ISREG(os.lstat(root / p).st_mode) for p in source.stamps)
    assert source.read("sovereigns/alpha/treaties/t.json") == b"{}"


def test_detached_verify_matches_verify_key() -> None:
    key = nacl.signing.SigningKey(b"\x07" * 32)
    public = base64.b64encode(bytes(key.verify_key)).decode()
    message = b'{"a":1}'
    signature = key.sign(message).signature
    assert crypto._DETACHED is not None, "crypto_sign_verify_detached must be bound"
    small_order = base64.b64encode(b"\x01" + b"\x00" * 31).decode()
    cases = [(public, message, signature), (public, message + b" ", signature),
             (public, message, signature[:-1] + bytes([signature[-1] ^ 1])),
             (small_order, message, bytes(64)), (public, b"", signature)]
    for pk, msg, sig in cases:
        try:
            nacl.signing.VerifyKey(base64.b64decode(pk)).verify(msg, sig)
            expected = True
        except Exception:
            expected = False
        assert crypto.verify(pk, msg, sig) is expected
