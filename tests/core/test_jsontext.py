"""`sorted_json` writes exactly what `json.dumps` writes, whichever encoder wrote it.

Values are generated with everything on which orjson and the standard library differ: text
outside ASCII, DEL and control characters, lone surrogates, floats of every form, NaN and the
infinities, integers past 64 bits, tuples, keys that are not strings, subclasses of str and
int, and a dataclass. The tests also check that the plain values Handshake writes do take
orjson, so the comparison is not against the standard library with itself.
"""
from __future__ import annotations

import dataclasses
import enum
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import jsontext
from publisher.jsontext import sorted_json

pytest.importorskip("orjson", reason="the fast path under test needs orjson (a dependency)")


class Text(str):
    pass


class Level(enum.IntEnum):
    HIGH = 3


@dataclasses.dataclass
class Point:
    x: int


texts = st.text(st.characters(codec=None, min_codepoint=0, max_codepoint=0x10FFFF), max_size=6) \
    | st.sampled_from(["", "a", "\x7f", "\x00", "\u2028", "\ud800", "x1.5", ":1e5", "null", "é"])
scalars = (st.none() | st.booleans() | st.integers() | st.integers(-(2**70), 2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -0.0, 1e16, 1e-7, 5e-324, 100.0])
           | texts | texts.map(Text) | st.just(Level.HIGH))
keys = st.sampled_from(["a", "b", "id", "A", "aa", "é", "\x7f", "_", "1"]) | texts
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple)
                      | st.dictionaries(keys, inner, max_size=4), max_leaves=30)


def stdlib(value: Any, indent: bool) -> bytes | type[BaseException]:
    try:
        text = json.dumps(value, indent=2, sort_keys=True) if indent else \
            json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        return type(exc)
    return text.encode("utf-8")


def ours(value: Any, indent: bool) -> bytes | type[BaseException]:
    try:
        return sorted_json(value, indent=indent)
    except (TypeError, ValueError) as exc:
        return type(exc)


@settings(max_examples=4000, deadline=None)
@given(values, st.booleans())
def test_same_bytes_as_the_standard_library(value: Any, indent: bool) -> None:
    assert ours(value, indent) == stdlib(value, indent)


@pytest.mark.parametrize("value", [
    {1: "int key"}, {"a": 1, 2: "mixed keys"}, {"p": Point(1)}, {"t": Text("sub")}, [Level.HIGH],
    {"f": float("nan")}, {"f": float("-inf")}, [2**64], [-(2**63) - 1], {"x": "\ud800"}, ["\x7f"],
    {"b": {"a": [1.5, True, None]}}, 1e16, -0.0, "é",
])
@pytest.mark.parametrize("indent", [False, True])
def test_values_orjson_writes_otherwise(value: Any, indent: bool) -> None:
    assert ours(value, indent) == stdlib(value, indent)


def test_plain_values_take_orjson() -> None:
    """The values Handshake writes (ASCII text, integers, booleans) are written by orjson."""
    assert jsontext._FLOAT_IN is not None
    value = {"treaty_id": "3f3df1a1-6194", "sequence": 12, "metadata": {}, "roles": ["role:client"],
             "ok": True, "sig": "TI7gcRla5GNwX2Lsqr/pwqXV6WmsX8XcQ4Q4NzRHyB9w3ZKAM0T8oW/f3/+Edrz5A==",
             "nested": [[], [1, -2, 18446744073709551615], {"z": "a\"b\\c\n\t"}]}
    for indent in (False, True):
        option = jsontext._OPTIONS | (jsontext.orjson.OPT_INDENT_2 if indent else 0)
        assert jsontext._by_orjson(value, option) == stdlib(value, indent)


@pytest.mark.parametrize("value", [{"a": 1.5}, {"a": [None, 0.5]}, {"n": float("nan")}, ["é"], ["\x7f"], 2.0,
                                   [[0.5]]])
def test_refused_values_go_to_the_standard_library(value: Any) -> None:
    assert jsontext._by_orjson(value, jsontext._OPTIONS) is None


@pytest.mark.parametrize("value", [
    {"url": None, "signs_until": None, "keys": [{"a": None}]},    # a trust bundle's nulls
    {"a": "x:1.5"}, ["y", ":-2e5"], 7, -3,                          # float-like text, numbers at the top
])
def test_values_without_floats_take_orjson(value: Any) -> None:
    """Taken after the walk finds no float (a NaN would be one, written null)."""
    assert jsontext._by_orjson(value, jsontext._OPTIONS) == stdlib(value, False)


def test_without_orjson_the_standard_library_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback the module promises where the orjson wheel is missing."""
    monkeypatch.setattr(jsontext, "orjson", None)
    value = {"b": [1, None, 1.5], "a": "\u00e9"}
    assert sorted_json(value) == stdlib(value, False)
    assert sorted_json(value, indent=True) == stdlib(value, True)
