"""Unanchored regex search by the Rust `regex` engine that jsonschema_rs ships.

A JSON Schema `pattern` keyword compiled with `RegexOptions` runs on the linear-time `regex`
crate (no backtracking, no give-up limit), and `is_valid` on a string is then a search for
the pattern anywhere in it. Where a leading character class or an alternation of literals
makes Python's `re` try every position, this is several times faster (the redaction
pre-filter, the float tokens of `publisher.jsontext`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable


def rust_search(pattern: str, *, found: Iterable[str], clean: Iterable[str]) -> Callable[[str], bool] | None:
    """`search(text)`: whether `pattern` (written in the syntax ECMA-262 and Rust share) occurs
    in `text`. None without the jsonschema_rs wheel or its RegexOptions, or when the compiled
    search answers a probe otherwise than written: every text of `found` must match and none
    of `clean`, so a release that read the pattern differently is never used."""
    try:
        import jsonschema_rs

        search: Callable[[str], bool] = jsonschema_rs.validator_for(
            {"pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions()).is_valid
    except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - no wheel or no RegexOptions
        return None
    if not all(search(text) for text in found) or any(search(text) for text in clean):
        return None  # pragma: no cover - a release that reads the pattern otherwise
    return search
