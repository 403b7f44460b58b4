"""Strategies for the property tests: JSON values within the verifier's limits, and the same
value re-serialised with any key order and any JSON whitespace."""
from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

SCALARS = (
    st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=24)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=24,
)
WHITESPACE = st.text(alphabet=" \t\n\r", max_size=3)


@st.composite
def reformatted(draw: st.DrawFn, value: Any) -> str:
    """`value` as JSON text with its object keys in a drawn order and drawn whitespace between
    tokens (the same JSON value, different bytes)."""
    ws = lambda: draw(WHITESPACE)  # noqa: E731
    if isinstance(value, dict):
        keys = draw(st.permutations(list(value)))
        items = [f"{ws()}{json.dumps(k)}{ws()}:{ws()}{draw(reformatted(value[k]))}{ws()}" for k in keys]
        return "{" + ",".join(items) + ws() + "}"
    if isinstance(value, list):
        items = [f"{ws()}{draw(reformatted(v))}{ws()}" for v in value]
        return "[" + ",".join(items) + ws() + "]"
    return json.dumps(value, ensure_ascii=draw(st.booleans()))
