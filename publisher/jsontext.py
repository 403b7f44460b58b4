"""JSON text with sorted keys, byte for byte as the standard library writes it, faster.

`sorted_json(value)` is `json.dumps(value, sort_keys=True, separators=(",", ":"))` and
`sorted_json(value, indent=True)` is `json.dumps(value, indent=2, sort_keys=True)`, both
encoded as UTF-8: the forms genesis-mesh signs, hashes and writes (FORMATS §1.3, §10). The
standard library's C encoder takes 200-550 us for a sovereign's connectome or trust bundle;
orjson writes the same value in about 15 us, and its text is taken whenever it is provably
the same bytes.

orjson writes sorted keys and the same separators, string escapes and integers as the
standard library, with these exceptions, each visible in its output:
- characters outside ASCII are written raw (the standard library escapes them), and DEL raw
  (`\\u007f`): the output is then not ASCII or holds byte 0x7f;
- floats have other exponent forms (`1e-7` against `1e-07`): any number token with a fraction
  or an exponent is refused, so no float is taken at all;
- NaN and the infinities are written `null` (the standard library writes `NaN`): any `null`
  is refused;
- integers past 64 bits, keys that are not strings, and subclasses, dataclasses and datetimes
  (passed through, so orjson refuses them as the standard library does) raise.
Anything refused is written by the standard library, which therefore still raises where it
raised before. The number and `null` tokens are found by the Rust regex engine jsonschema_rs
ships (as for the redaction pre-filter); without it every value takes the standard library.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

try:
    import orjson
except ImportError:             # the standard library alone writes the same bytes, slower
    orjson = None  # type: ignore[assignment]

_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_INDENTED = json.JSONEncoder(sort_keys=True, indent=2).encode

# A number token with a fraction or an exponent: after `:`, `,` or `[` (and the indentation),
# or at the very start. Inside a string the same text only sends the value to the standard
# library; a float written by orjson always has a `.` or an `e`.
_FLOAT_OR_NULL = (r"null|[:,\[][ \n]*-?[0-9]+[.eE]", r"^-?[0-9]+[.eE]")


def _search() -> Callable[[str], bool] | None:
    """Whether a text holds a float or a null, by the Rust regex engine; None without it (or if
    it reads the pattern otherwise: every probe below must be answered as written)."""
    try:
        import jsonschema_rs

        pattern = "|".join(_FLOAT_OR_NULL)
        search: Callable[[str], bool] = jsonschema_rs.validator_for(
            {"pattern": pattern}, pattern_options=jsonschema_rs.RegexOptions()).is_valid
    except (ImportError, AttributeError, TypeError, ValueError):  # pragma: no cover - no wheel or no RegexOptions
        return None
    found = ['{"a":1.5}', '{"a":[\n  1e5]}', '[0,-2E+3]', "1.0", '{"a":null}', '[true,null]', '-0.0']
    clean = ['{"a":"x1.5","b":[1,-20],"c":{"d":true,"e":false}}', '"1.5"', "12", '{\n  "a": [\n    7\n  ]\n}']
    if not all(search(text) for text in found) or any(search(text) for text in clean):
        return None  # pragma: no cover - a release that reads the pattern otherwise
    return search


_FLOAT_OR_NULL_IN = _search()
_REFUSE = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_SUBCLASS) if orjson is not None else 0


def _by_orjson(value: Any, option: int) -> bytes | None:
    """orjson's text of `value` when it is the standard library's, else None."""
    try:
        text = orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:
        return None
    if not text.isascii() or b"\x7f" in text or _FLOAT_OR_NULL_IN(text.decode("ascii")):  # type: ignore[misc]
        return None
    return text


def sorted_json(value: Any, *, indent: bool = False) -> bytes:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"))` as UTF-8, or with
    `indent=True` `json.dumps(value, indent=2, sort_keys=True)`: the same bytes, faster."""
    if _FLOAT_OR_NULL_IN is not None:
        text = _by_orjson(value, _REFUSE | orjson.OPT_INDENT_2 if indent else _REFUSE)
        if text is not None:
            return text
    return (_INDENTED if indent else _COMPACT)(value).encode("utf-8")
