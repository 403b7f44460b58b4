"""JSON text with sorted keys, byte for byte as the standard library writes it, faster.

`sorted_json(value)` is `json.dumps(value, sort_keys=True, separators=(",", ":"))` and
`sorted_json(value, indent=True)` is `json.dumps(value, indent=2, sort_keys=True)`, both
encoded as UTF-8: the forms genesis-mesh signs, hashes and writes (FORMATS §1.3, §10). The
standard library takes 115 us for a sovereign's connectome.json and 540 us for its indented
trust bundle (indentation is pure Python); orjson writes either in about 15 us, and its text
is taken whenever it is provably the same bytes.

orjson writes sorted keys and the same separators, string escapes and integers as the
standard library, except:
- characters outside ASCII, and DEL, are written raw (the standard library escapes them):
  such a text is not ASCII or holds byte 0x7f, and is refused;
- floats have other exponent forms (`1e-7` against `1e-07`), and NaN and the infinities are
  written `null` (the standard library writes `NaN`): a text with a number that has a fraction
  or an exponent (found by the Rust regex engine jsonschema_rs ships, as for the redaction
  pre-filter: 16 us on a connectome, where `re` takes 120 us), a number at the top, or a
  `null`, is taken only if the value holds no float at all (`_plain`: a walk of 80 us on a
  trust bundle, whose nulls are common);
- integers past 64 bits, keys that are not strings, and subclasses, dataclasses and datetimes
  (passed through, so orjson refuses them) raise.
Anything refused is written by the standard library, which therefore still raises where it
raised before. Without orjson or jsonschema_rs every value takes the standard library.
"""
from __future__ import annotations

import json
from typing import Any

from publisher.rustregex import rust_search

try:
    import orjson
except ImportError:             # the standard library alone writes the same bytes, slower
    orjson = None  # type: ignore[assignment]

_COMPACT = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
_INDENTED = json.JSONEncoder(sort_keys=True, indent=2).encode

# A number token with a fraction or an exponent, after `:`, `,` or `[` and the indentation. A
# float written by orjson always has a `.` or an `e`; inside a string the same text only costs
# a walk. A number at the top is told by the first byte and `null` by `in`: in the same
# pattern either made the search several times slower (150 us on a connectome against 16).
_FLOAT = r"[:,\[][ \n]*-?[0-9]+[.eE]"
_NUMBER_FIRST = frozenset(b"-0123456789")


# Probes: a release that read the pattern otherwise is never used (`rust_search`).
_FLOAT_IN = rust_search(_FLOAT, found=['{"a":1.5}', '{"a":[\n  1e5]}', '[0,-2E+3]', '{\n  "a": -0.0\n}'],
                        clean=['{"a":"x1.5","b":[1,-20],"c":{"d":true,"e":false}}', '"1.5"',
                               '{\n  "a": [\n    7\n  ]\n}'])
# Sorted keys; dataclasses, datetimes and subclasses of builtins raise, as in the standard library.
_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
           | orjson.OPT_PASSTHROUGH_SUBCLASS) if orjson is not None else 0


def _by_orjson(value: Any, option: int) -> bytes | None:
    """orjson's text of `value` when it is the standard library's, else None."""
    try:
        text = orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:
        return None
    if not text.isascii() or b"\x7f" in text:
        return None
    if b"null" in text or text[0] in _NUMBER_FIRST or _FLOAT_IN(text.decode("ascii")):  # type: ignore[misc]
        # A null may be a NaN and a number a float: take the text only if the value has none.
        return text if _plain(value) else None
    return text


_PLAIN_SCALARS = frozenset((str, int, bool, type(None)))


def _plain(value: Any) -> bool:
    """True when `value` holds only dicts, lists, tuples, str, int, bool and None (no float)."""
    level = [value]
    while level:
        below: list[Any] = []
        for node in level:
            kind = type(node)
            if kind is dict:
                below.extend(node.values())
            elif kind is list or kind is tuple:
                below.extend(node)
            elif kind not in _PLAIN_SCALARS:
                return False
        level = below
    return True


def sorted_json(value: Any, *, indent: bool = False) -> bytes:
    """`json.dumps(value, sort_keys=True, separators=(",", ":"))` as UTF-8, or with
    `indent=True` `json.dumps(value, indent=2, sort_keys=True)`: the same bytes, faster."""
    if orjson is not None and _FLOAT_IN is not None:
        text = _by_orjson(value, _OPTIONS | orjson.OPT_INDENT_2 if indent else _OPTIONS)
        if text is not None:
            return text
    return (_INDENTED if indent else _COMPACT)(value).encode("utf-8")
