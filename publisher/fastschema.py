"""The hot-path schema check: jsonschema-rs, trusted only where it provably agrees with jsonschema.

`compile_fast(schemas, kind)` returns a yes/no validator for `kind`, or None when the fast
path cannot be trusted for it (jsonschema-rs not installed, or a regex uses syntax whose
meaning differs between Rust and Python). It is used as a filter: a document it accepts is
valid; a document it rejects is re-checked and explained by `jsonschema` (publisher.schemas).
So a disagreement may cost time, never a finding, provided the fast validator never accepts
what jsonschema rejects. Regexes are where the engines differ (Python's `\\s` also matches
U+001C..U+001F, its `\\d` and `\\w` follow an older Unicode): every `pattern` and
`patternProperties` is therefore guarded so the fast validator accepts only printable-ASCII
strings there (plus tab, CR, LF), where both engines agree; anything else falls back.
"""
from __future__ import annotations

import copy
import re
from typing import Any
from collections.abc import Callable, Mapping

try:  # optional at import: without it every document takes the jsonschema path
    import jsonschema_rs
except ImportError:  # pragma: no cover - exercised only where the wheel is missing
    jsonschema_rs = None  # type: ignore[assignment]

ASCII_GUARD = "^[\\t\\n\\r\\x20-\\x7e]*$"

# Keywords whose values are subschemas (by draft 2020-12), and those holding maps/lists of them.
_ONE = ("additionalProperties", "unevaluatedProperties", "unevaluatedItems", "items", "contains",
        "propertyNames", "if", "then", "else", "not")
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")

# Regex syntax that means different things (or nothing) in one of the two engines: Rust class
# set operations and POSIX classes, Unicode property and brace escapes, inline flags, \A \z \Z,
# Rust-only named groups. A pattern containing any of these disables the fast path.
_NON_PORTABLE = re.compile(r"\[\[:|&&|--|~~|\\[pPAzZhHkKgGuUQEx]|\(\?[a-zA-Z]|\(\?<[A-Za-z]")


def portable(pattern: str) -> bool:
    """True when `pattern` uses only syntax both engines read alike (on guarded ASCII text)."""
    return _NON_PORTABLE.search(pattern) is None


def guard(schema: Any) -> tuple[Any, bool]:
    """A copy of `schema` with every regex restricted to printable ASCII, and whether all of
    its regexes are portable."""
    result = copy.deepcopy(schema)
    ok = _guard_node(result)
    return result, ok


def _guard_node(node: Any) -> bool:
    if not isinstance(node, dict):
        return True
    ok = True
    extra: list[dict[str, Any]] = []
    if isinstance(node.get("pattern"), str):
        ok &= portable(node["pattern"])
        extra.append({"pattern": ASCII_GUARD})
    if isinstance(node.get("patternProperties"), dict) and node["patternProperties"]:
        ok &= all(portable(p) for p in node["patternProperties"])
        extra.append({"propertyNames": {"pattern": ASCII_GUARD}})
    for key in _ONE:
        ok &= _guard_node(node.get(key))
    for key in _MANY:
        items = node.get(key)
        for item in items if isinstance(items, list) else ():
            ok &= _guard_node(item)
    for key in _MAP:
        members = node.get(key)
        for item in members.values() if isinstance(members, dict) else ():
            ok &= _guard_node(item)
    if extra:
        if not isinstance(node.get("allOf", []), list):
            return False
        node["allOf"] = [*node.get("allOf", []), *extra]
    return ok


class FastSchemas:
    """Guarded copies of every shipped schema and their registry, built once per process."""

    def __init__(self, schemas: Mapping[str, Mapping[str, Any]]) -> None:
        guarded = {name: guard(schema) for name, schema in schemas.items()}
        self.schemas = {name: schema for name, (schema, _) in guarded.items()}
        # $refs cross files: one non-portable regex anywhere disables the fast path entirely.
        self.usable = jsonschema_rs is not None and all(ok for _, ok in guarded.values())
        self.registry = jsonschema_rs.Registry([
            (schema["$id"], schema) for schema in self.schemas.values() if isinstance(schema.get("$id"), str)
        ]) if self.usable else None

    def compile(self, kind: str) -> Callable[[Any], bool] | None:
        """jsonschema-rs `is_valid` for `kind`, or None when the fast path cannot be trusted."""
        if not self.usable or kind not in self.schemas:
            return None
        try:
            validator = jsonschema_rs.validator_for(self.schemas[kind], registry=self.registry,
                                                    validate_formats=False, offline=True)
        except Exception:   # a schema the Rust engine cannot compile: stay on the reference path
            return None
        return validator.is_valid
