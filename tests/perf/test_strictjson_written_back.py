"""Strict JSON's orjson fast path gives the exact parser's answer on every input.

`load_json` takes orjson's value only when orjson writes it back as the input's own bytes
(`_written_back`). These tests generate documents as files hold them (indented by 2 like the
reference, compact, or the standard library's default layout) from trees whose objects may
repeat keys and whose numbers are raw texts, including every number strict JSON refuses or
orjson reads differently (-0, integers past 64 bits, 1e400, NaN), and compare `load_json`
with the exact parser alone, types included (1, 1.0, True and -0.0 differ).
"""
from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import strictjson
from publisher.limits import DEFAULT_LIMITS, Limits
from publisher.strictjson import Refusal, load_json

pytest.importorskip("orjson", reason="the fast path under test needs orjson (a dependency)")

NUMBERS = ["0", "-0", "1", "-1", "-0.0", "0.0", "1.0", "1.5", "0.1", "0.10", "1E5", "1e5", "1e-7", "5e-324",
           "1e400", "-1e400", "1.7976931348623157e+308", "NaN", "Infinity", "18446744073709551615",
           "18446744073709551616", "-9223372036854775808", "-9223372036854775809", "123456789012345678901234",
           "100000000000000000000", "12345678901234567890123456789012345678901234567890"]
TEXTS = ["", "a", "b", "treaty_id", "\u00e9t\u00e9", "\\", '"', "/", "\n", "\ud800", "\U0001f600", "{[", "\u2028"]

# A tree: ("num", text) | ("str", text) | ("lit", text) | ("list", [tree]) | ("obj", [(key, tree)])
scalars = (st.sampled_from(NUMBERS).map(lambda t: ("num", t))
           | st.lists(st.sampled_from(TEXTS), max_size=3).map(lambda p: ("str", "".join(p)))
           | st.sampled_from(["true", "false", "null"]).map(lambda t: ("lit", t)))
keys = st.lists(st.sampled_from(["a", "b", "id", "\u00e9", "\\", '"']), min_size=1, max_size=2).map("".join)
trees = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3).map(lambda items: ("list", items))
                     | st.lists(st.tuples(keys, inner), max_size=4).map(lambda pairs: ("obj", pairs)),
                     max_leaves=25)


def write(tree: Any, layout: str, ascii_only: bool, depth: int = 0) -> str:
    """`tree` as json.dumps would lay it out (indent=2, compact separators, or the default)."""
    kind, content = tree
    if kind in ("num", "lit"):
        return str(content)
    if kind == "str":
        return json.dumps(content, ensure_ascii=ascii_only)
    items = [write(item, layout, ascii_only, depth + 1) if kind == "list"
             else json.dumps(item[0], ensure_ascii=ascii_only) + (":" if layout == "compact" else ": ")
             + write(item[1], layout, ascii_only, depth + 1) for item in content]
    opening, closing = ("[", "]") if kind == "list" else ("{", "}")
    if not items:
        return opening + closing
    if layout == "indent":
        inner, outer = "\n" + "  " * (depth + 1), "\n" + "  " * depth
        return opening + inner + ("," + inner).join(items) + outer + closing
    return opening + ("," if layout == "compact" else ", ").join(items) + closing


def typed(value: Any) -> Any:
    """A value with its types spelled out: == on it tells 1, 1.0, True and -0.0 apart."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, value)


def exact(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any:
    saved, strictjson.orjson = strictjson.orjson, None
    try:
        return load_json(data, limits)
    finally:
        strictjson.orjson = saved


def same_answer(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    fast, reference = load_json(data, limits), exact(data, limits)
    if isinstance(reference, Refusal):
        assert fast == reference
    else:
        assert not isinstance(fast, Refusal) and typed(fast) == typed(reference)


@settings(max_examples=4000, deadline=None)
@given(trees, st.sampled_from(["indent", "compact", "default"]), st.booleans(), st.sampled_from(["", "\n", " \n "]),
       st.integers(1, 7))
def test_fast_path_gives_the_exact_answer(tree: Any, layout: str, ascii_only: bool, around: str, depth: int) -> None:
    text = write(tree, layout, ascii_only) + around
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:                      # a raw lone surrogate: not UTF-8, never a file
        data = text.encode("utf-8", "surrogatepass")
    same_answer(data, Limits(max_depth=depth))


@pytest.mark.parametrize("data, code", [
    (b'{\n  "a": 1,\n  "a": 1\n}', "json.duplicate_key"),
    (b'{"a":1,"a":2}', "json.duplicate_key"),
    (b'{\n  "a": {\n    "b": 1,\n    "b": 2\n  }\n}', "json.duplicate_key"),
    (b'{\n  "a": -0\n}', "json.negative_zero"),
    (b'{\n  "a": 18446744073709551616\n}', "json.integer_out_of_range"),
    (b'{\n  "a": -9223372036854775809\n}', "json.integer_out_of_range"),
    (b'{\n  "a": 1e400\n}', "json.non_finite_number"),
    (b'{\n  "a": "\\ud800"\n}', "json.lone_surrogate"),
    (b'{\n  "a": "\xed\xa0\x80"\n}', "json.not_utf8"),
    (b'{\n  "a": "\xc0\xaf"\n}', "json.not_utf8"),
    (b'{\n  "a": 1\n}\n{}', "json.invalid"),
])
def test_what_orjson_reads_otherwise_is_refused(data: bytes, code: str) -> None:
    result = load_json(data)
    assert isinstance(result, Refusal) and result.code == code
    assert result == exact(data)


@pytest.mark.parametrize("layout", [{"indent": 2}, {"separators": (",", ":")}])
def test_documents_as_written_take_the_fast_path(layout: dict[str, Any]) -> None:
    """The case it exists for: the reference's layouts are proved without the exact parser."""
    doc = {"treaty_id": "20ebffbd-137c-51a0-871a-debf767f72f1", "sequence": 7, "threshold": 1.5,
           "scope": {"allowed_roles": ["role:client"], "claims": {}}, "keys": [], "revoked": False,
           "note": None, "signatures": [{"signature": "RWvCjepkWda4HAyuRh/r/zph/mbWqlLnXwhX+SXEK8c="}]}
    data = json.dumps(doc, **layout).encode()
    indented = "indent" in layout
    assert strictjson._written_back(data) == (doc, indented)
    assert strictjson._written_back(data + b"\n") == (doc, indented)
    assert strictjson._written_back(json.dumps(doc).encode()) is None   # ", " separators


@pytest.mark.parametrize("limit", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("doc", [
    {"a": {"b": {"c": {}}}}, {"a": [[[[]]]]}, {"a": [[[[1]]]]}, {"a": [], "b": {"c": [{}]}}, [], {}, [[{"x": [[]]}]],
])
def test_depth_read_off_the_indentation(doc: Any, limit: int) -> None:
    """Containers with and without members, on both sides of every limit."""
    for data in (json.dumps(doc, indent=2).encode(), json.dumps(doc, separators=(",", ":")).encode()):
        assert strictjson._written_back(data) is not None
        same_answer(data, Limits(max_depth=limit))
