"""The byte-level proofs that let strict JSON skip walking a value give the walk's answer.

`_check_values` skips its depth and string walks when `_nests_at_most` / `_strings_at_most`
prove from the bytes that nothing can be refused. These tests compare it with the full walk
it replaces, on generated values whose strings hold brackets, quotes, backslashes, surrogate
escapes and long runs, serialised compactly, indented and with or without ASCII escapes.
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.limits import Limits
from publisher.strictjson import (Refusal, _check_values, _nests_at_most, _quote_in_every_block, _strings_at_most,
                                 _walk_values, load_json)


def height(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((height(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((height(v) for v in value), default=0)
    return 0


def longest_string(value: Any) -> int:
    if isinstance(value, dict):
        return max([0, *(max(len(k), longest_string(v)) for k, v in value.items())])
    if isinstance(value, list):
        return max([0, *(longest_string(v) for v in value)])
    return len(value) if isinstance(value, str) else 0


# Text that tries to fool a byte scan: brackets, quotes, backslashes, `""`, surrogates.
tricky_text = st.lists(st.sampled_from(list('ab{}[]"\\:, \n') + ["\ud800", "\u00e9", '""', "\\u"]),
                       max_size=8).map("".join)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | tricky_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(tricky_text, inner, max_size=3),
    max_leaves=30)
formats = st.sampled_from([
    {}, {"indent": 2}, {"separators": (",", ":")}, {"indent": 2, "ensure_ascii": False},
    {"ensure_ascii": False}])


def encode(value: Any, fmt: dict[str, Any]) -> bytes:
    """The bytes of `value` as a file would hold them (a lone surrogate only as an escape:
    raw, it is not UTF-8 and never reaches the checks)."""
    try:
        return json.dumps(value, **fmt).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, **{**fmt, "ensure_ascii": True}).encode("utf-8")


@settings(max_examples=3000, deadline=None)
@given(json_values, formats, st.integers(1, 6), st.integers(0, 9))
def test_checks_match_the_full_walk(value: Any, fmt: dict[str, Any], max_depth: int, max_chars: int) -> None:
    limits = Limits(max_depth=max_depth, max_string_chars=max_chars)
    data = encode(value, fmt)
    expected = _walk_values(value, limits)
    result = _check_values(value, data, limits)
    if isinstance(expected, Refusal):
        assert result == expected
    else:
        assert result is value


@settings(max_examples=3000, deadline=None)
@given(json_values, formats, st.integers(0, 6), st.integers(0, 9))
def test_proofs_never_claim_what_is_false(value: Any, fmt: dict[str, Any], limit: int, chars: int) -> None:
    data = encode(value, fmt)
    if _nests_at_most(data, limit):
        assert height(value) <= limit
    if _strings_at_most(data, chars):
        assert longest_string(value) <= chars


@pytest.mark.parametrize("data", [
    b'{"a": "[[[[[[[[", "b": "]]]]]]]]]]"}',       # brackets inside strings
    b'{"a": "x\\"[[[[[[[[[", "b": 1}',              # an escaped quote, then brackets
    b'{"[": {"{": ["]", "}"]}}',
    b'{"a\\\\": "[[[[[[["}',                           # a key ending in an escaped backslash
])
def test_strings_with_brackets_are_not_proved_shallow(data: bytes) -> None:
    value = json.loads(data)
    assert not _nests_at_most(data, 1) or height(value) <= 1


def test_proofs_hold_for_plain_documents() -> None:
    """The case they exist for: indented documents with no escaped quotes are proved at once."""
    doc = {"rows": [{"treaty": {"id": f"t-{i}", "scope": {"roles": ["role:client"]}}, "status": "active"}
                    for i in range(40)]}
    data = json.dumps(doc, indent=2).encode()
    assert data.count(b"{") > 64
    assert _nests_at_most(data, 64) and not _nests_at_most(data, height(doc) - 1)
    assert _strings_at_most(data, 100) and not _strings_at_most(data, 3)   # gaps include indentation


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from([b'"', b"x", b" "]), max_size=40).map(b"".join), st.integers(0, 12))
def test_a_quote_in_every_block_bounds_every_run_without_one(data: bytes, limit: int) -> None:
    """The block proof alone: when it holds, no run of bytes without a quote is longer than
    `limit` (so no string between two quotes is)."""
    if _quote_in_every_block(data, (limit + 1) // 2):
        assert max(len(run) for run in data.split(b'"')) <= limit


def test_a_large_document_is_proved_by_its_blocks_and_a_long_string_is_not() -> None:
    rows = {"sovereigns": {f"sov-{i:05}": {"root_public_key": "k" * 43} for i in range(20_000)}}
    data = json.dumps(rows, indent=2).encode()
    assert len(data) > 1_000_000 and _quote_in_every_block(data, 32_768) and _strings_at_most(data, 65_536)
    long_value = json.dumps({"a": "x" * 65_536, "b": "y"}).encode()   # the limit: holds a whole block
    assert not _quote_in_every_block(long_value, 32_768)     # a block with no quote: not proved by blocks
    assert _strings_at_most(long_value, 65_536)              # the exact scan still proves it
    assert not _strings_at_most(json.dumps({"a": "x" * 65_537}).encode(), 65_536)


@pytest.mark.parametrize("data, code", [
    (b'{"a": ' + b"[" * 70 + b"]" * 70 + b', "b": "' + b"{" * 100 + b'"}', "json.too_deep"),
    (b'{"a": "' + b"x" * 70_000 + b'"}', "limits.string_too_long"),
    (b'{"a": "' + b'\\"' * 70_000 + b'"}', "limits.string_too_long"),   # quotes split the run
    (b'{"a": "' + b"x" * 66_000 + b'", "a": 1}', "json.duplicate_key"),
    (b'{"' + b"k" * 70_000 + b'": 1}', "limits.string_too_long"),
    (b'{"a": ["\\ud800", ' + b"[" * 70 + b"]" * 70 + b"]}", "json.too_deep"),     # walk order: last first
    (b'{"a": [' + b"[" * 70 + b"]" * 70 + b', "\\ud800"]}', "json.lone_surrogate"),
])
def test_hostile_documents_keep_their_refusal(data: bytes, code: str) -> None:
    result = load_json(data)
    assert isinstance(result, Refusal) and result.code == code
    assert result == _strict_reference(data)


def _strict_reference(data: bytes) -> Any | Refusal:
    """load_json with the proofs disabled: every document walked."""
    from publisher import strictjson
    saved = strictjson._nests_at_most, strictjson._strings_at_most
    strictjson._nests_at_most = strictjson._strings_at_most = lambda data, limit: False  # type: ignore[assignment]
    try:
        return load_json(data)
    finally:
        strictjson._nests_at_most, strictjson._strings_at_most = saved
