"""Typed views of parsed JSON values whose shape is not yet known to be right.

Checks read documents that failed their schema too (every finding is reported, not just the
first), so a field may hold any JSON value. These helpers give the expected shape or an empty
one, so the checks read on without a crash and the type checker sees what they rely on.
"""
from __future__ import annotations

from typing import Any


def obj(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def arr(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty one."""
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """`value` if it is a JSON string, else None."""
    return value if isinstance(value, str) else None


def texts(value: Any) -> tuple[str, ...]:
    """The strings of a JSON array (other items and non-arrays give nothing)."""
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()
