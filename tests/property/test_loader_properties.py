"""Properties of the strict loader and of canonical bytes.

- any byte string yields a value or a Refusal with a registered code, never an exception;
- a JSON value inside the limits loads back equal, whatever its key order and whitespace;
- canonical bytes do not depend on key order or whitespace;
- a duplicated key anywhere is refused.
"""
from __future__ import annotations

import json
from typing import Any

from hypothesis import given, strategies as st

from property_support import VALUES, reformatted
from publisher.canonical import canonical_bytes
from publisher.codes import REGISTRY
from publisher.limits import Limits
from publisher.strictjson import Refusal, load_json

JSON_ALPHABET = st.sampled_from(list('{}[]":,.-+0123456789eEtrufalsn \t\n\\u/bdDF8') + ["\u00e9", "\ud800"])


def _registered(result: Any) -> None:
    if isinstance(result, Refusal):
        assert result.code in REGISTRY
        assert isinstance(result.message, str)


@given(st.binary(max_size=2_000))
def test_any_bytes_load_or_are_refused(data: bytes) -> None:
    _registered(load_json(data))


@given(st.text(alphabet=JSON_ALPHABET, max_size=300))
def test_json_like_text_loads_or_is_refused(text: str) -> None:
    _registered(load_json(text.encode("utf-8", "surrogatepass")))


@given(st.binary(max_size=300), st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=300))
def test_tight_limits_refuse_and_never_raise(data: bytes, depth: int, size: int) -> None:
    _registered(load_json(data, Limits(max_file_bytes=size, max_depth=depth, max_string_chars=size)))


@given(st.data(), VALUES)
def test_value_round_trips_in_any_layout(data: st.DataObject, value: Any) -> None:
    text = data.draw(reformatted(value))
    loaded = load_json(text.encode("utf-8"))
    assert not isinstance(loaded, Refusal), loaded
    assert canonical_bytes(loaded) == canonical_bytes(value)


@given(st.data(), st.dictionaries(st.text(max_size=12), VALUES, max_size=6))
def test_canonical_bytes_ignore_key_order_and_whitespace(data: st.DataObject, value: dict[str, Any]) -> None:
    first = load_json(data.draw(reformatted(value)).encode("utf-8"))
    second = load_json(data.draw(reformatted(value)).encode("utf-8"))
    assert canonical_bytes(first) == canonical_bytes(second)
    assert canonical_bytes(first) == json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


@given(st.dictionaries(st.text(max_size=8), VALUES, min_size=1, max_size=4), st.data())
def test_a_duplicated_key_is_refused(value: dict[str, Any], data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(value)))
    body = ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in value.items())
    text = "{" + body + f",{json.dumps(key)}:null" + "}"
    result = load_json(text.encode("utf-8"))
    assert isinstance(result, Refusal) and result.code == "json.duplicate_key"
