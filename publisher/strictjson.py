"""Strict JSON input (genesis-mesh `strict_json`, FORMATS §1.6), with size and depth limits.

`load_json` turns bytes into a JSON value or a (code, message) refusal. It never raises on
content: duplicate keys, NaN, huge numbers, `-0`, lone surrogates, a BOM, non-UTF-8 bytes and
deep nesting all become refusals. Fast paths keep the common case well under json.loads's
time: orjson reads a document, and its value is taken only when orjson writes it back as the
very same bytes (`_written_back`); otherwise the exact parser below decides.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from publisher.limits import DEFAULT_LIMITS, Limits

try:
    import orjson
except ImportError:             # the exact parser alone gives the same answers, three times slower
    orjson = None  # type: ignore[assignment]

_INT_MIN, _INT_MAX = -(2**63), 2**64 - 1
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


class _Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.refusal = Refusal(code, message)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Refused("json.duplicate_key", f"key {key!r} appears more than once in one object")
            seen.add(key)
    return obj


def _int(text: str) -> int:
    digits = text.lstrip("-")
    if text == "-0":
        raise _Refused("json.negative_zero", "the integer -0 is not allowed")
    if len(digits) > 20:
        raise _Refused("json.integer_out_of_range", f"integer with {len(digits)} digits (at most 20)")
    value = int(text)
    if not _INT_MIN <= value <= _INT_MAX:
        raise _Refused("json.integer_out_of_range", f"integer {text} outside -2^63 .. 2^64-1")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("json.non_finite_number", f"number {text[:40]} does not fit a finite double")
    return value


def _constant(name: str) -> Any:
    raise _Refused("json.invalid", f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def load_json(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Any | Refusal:
    """Parse `data` strictly; return the value, or a Refusal naming the first problem."""
    if len(data) > limits.max_file_bytes:
        return Refusal("limits.file_too_large", f"{len(data)} bytes (limit {limits.max_file_bytes})")
    if data.startswith(b"\xef\xbb\xbf"):
        return Refusal("json.not_utf8", "starts with a UTF-8 byte-order mark")
    written = _written_back(data)
    if written is not None:
        value, indented = written
        return _check_values(value, data, limits, shallow=indented and _indented_within(data, limits.max_depth))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Refusal("json.not_utf8", f"invalid UTF-8 at byte {exc.start}")
    try:
        value, end = _DECODER.raw_decode(text, _skip_ws(text, 0))
        if _skip_ws(text, end) != len(text):
            return Refusal("json.invalid", f"extra data after the JSON value at offset {end}")
    except _Refused as exc:
        return exc.refusal
    except RecursionError:
        return Refusal("json.too_deep", f"nesting deeper than {limits.max_depth}")
    except json.JSONDecodeError as exc:
        return Refusal("json.invalid", f"{exc.msg} at line {exc.lineno} column {exc.colno}")
    except ValueError as exc:  # e.g. int() digit limits the hooks did not catch
        return Refusal("json.invalid", str(exc)[:200])
    return _check_values(value, data, limits)


_WHITESPACE = b" \t\n\r"


def _written_back(data: bytes) -> tuple[Any, bool] | None:
    """orjson's value of `data` and whether it is indented, when orjson writes that value back
    as `data` itself (indented by 2, as the reference writes documents, or compact); else None.

    Equal bytes prove the value is the one the exact parser gives, whatever orjson does with
    the cases strict JSON refuses. A duplicate key would be written once (fewer key tokens than
    the same bytes hold); -0 comes back as `0`; an integer past 64 bits comes back as a float
    (orjson reads it so); a float comes back as the shortest text of the double orjson read,
    which equals the input only if the input reads as that double; bytes that are not UTF-8,
    or a lone surrogate, are never written. Everything else (NaN, a BOM, trailing data, other
    layouts and escapes orjson writes otherwise) is left to the exact parser."""
    if orjson is None:
        return None
    try:
        value = orjson.loads(data)
        body = data.strip(_WHITESPACE)
        indented = b"\n" in body
        written = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indented else 0)
    except (orjson.JSONDecodeError, orjson.JSONEncodeError):
        return None
    return (value, indented) if written == body else None


def _indented_within(data: bytes, limit: int) -> bool:
    """For a document orjson wrote back indented (`_written_back`): True when no container
    sits deeper than `limit`, read off the indentation. Each member of a container at depth d
    (the top is 1) starts a line with 2d spaces, and no string holds a raw newline; without a
    line indented by 2*limit, a container with members is at most limit-1 deep and an empty
    one, written on its parent's line, at most limit."""
    return b"\n" + b" " * (2 * limit) not in data


def _skip_ws(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\n\r":
        index += 1
    return index


def _check_values(value: Any, data: bytes, limits: Limits, *, shallow: bool = False) -> Any | Refusal:
    """Depth, string length and lone surrogates; walks the value only when bytes say it may fail.
    `shallow`: the caller proved no container sits deeper than the limit."""
    need_depth = not shallow and data.count(b"{") + data.count(b"[") > limits.max_depth \
        and not _nests_at_most(data, limits.max_depth)
    need_strings = (b"\\" in data and _SURROGATE_ESCAPE.search(data) is not None) \
        or (len(data) > limits.max_string_chars and not _strings_at_most(data, limits.max_string_chars))
    if not (need_depth or need_strings):
        return value
    if not need_strings:
        # No string can be refused (none is longer than the limit: the file is shorter, or
        # `_strings_at_most` proved it; lone surrogates need a \uD8xx escape), so only depth is
        # left: walk containers level by level, skip scalars.
        return Refusal("json.too_deep", f"nesting deeper than {limits.max_depth}") \
            if _deeper_than(value, limits.max_depth) else value
    return _walk_values(value, limits)


def _walk_values(value: Any, limits: Limits) -> Any | Refusal:
    """Depth, string length and lone surrogates by walking every node: what the byte proofs
    above spare most documents (tests/perf/test_strictjson_proofs.py holds them to it)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            if depth > limits.max_depth:
                return Refusal("json.too_deep", f"nesting deeper than {limits.max_depth}")
            for key, item in node.items():
                refusal = _check_string(key, limits)
                if refusal:
                    return refusal
                stack.append((item, depth + 1))
        elif isinstance(node, list):
            if depth > limits.max_depth:
                return Refusal("json.too_deep", f"nesting deeper than {limits.max_depth}")
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, str):
            refusal = _check_string(node, limits)
            if refusal:
                return refusal
    return value


# The proofs below read the bytes of a document that parsed. In valid JSON a raw `"` byte is
# either a string delimiter or part of a `\"` escape; without `\"` anywhere (a `\\"` ending
# also counts, conservatively) every `"` is a delimiter and they alternate open, close.
_BRACKETS = bytes.maketrans(b"{[}]", b"(())")
_NOT_BRACKET_OR_QUOTE = bytes(b for b in range(256) if b not in b'{}[]"')


def _escaped_quote(data: bytes) -> bool:
    return b"\\" in data and b'\\"' in data       # one byte first: memchr, most documents have none


def _nests_at_most(data: bytes, limit: int) -> bool:
    """True only if no container of the (valid JSON) `data` sits deeper than `limit`; False
    when that is not proved (the caller then walks the value).

    Keep brackets and quotes only: a string without brackets is then `""`, removed pairwise
    from the left (a string holding a bracket leaves a quote: not proved). What is left is the
    bracket structure; each pass removing every innermost `()` lowers its height by one."""
    if _escaped_quote(data):
        return False
    shape = data.translate(_BRACKETS, _NOT_BRACKET_OR_QUOTE).replace(b'""', b"")
    if b'"' in shape:
        return False
    for _ in range(limit):
        if not shape:
            return True
        shape = shape.replace(b"()", b"")
    return not shape


@lru_cache(maxsize=8)
def _long_gap(limit: int) -> re.Pattern[bytes]:
    return re.compile(rb'"[^"]{%d}' % (limit + 1))


def _strings_at_most(data: bytes, limit: int) -> bool:
    """True only if every string (keys included) of the (valid JSON) `data` has at most `limit`
    characters: a string's characters are at most its bytes between its two quotes."""
    if _escaped_quote(data):
        return False
    return _quote_in_every_block(data, (limit + 1) // 2) or _long_gap(limit).search(data) is None


def _quote_in_every_block(data: bytes, size: int) -> bool:
    """True when every whole block of `size` bytes from the start holds a `"`. A run of 2*size
    bytes or more without one would hold a whole block, so with size (limit+1)//2 no string is
    longer than `limit`. One memchr per block: 35 us for a 1.6 MB trust.lock, where the regex
    scan took 2.2 ms (0.7 s of a 10,000-commit history walk, which parses 200 such versions)."""
    if size < 1:
        return False
    find = data.find
    return all(find(b'"', start, start + size) >= 0 for start in range(0, len(data) - size + 1, size))


def _deeper_than(value: Any, limit: int) -> bool:
    """True when a container sits deeper than `limit` (the top value is at depth 1)."""
    level = [value] if type(value) in (dict, list) else []
    for _ in range(limit):
        level = [child for node in level for child in (node.values() if type(node) is dict else node)
                 if type(child) is dict or type(child) is list]
        if not level:
            return False
    return bool(level)


def _check_string(text: str, limits: Limits) -> Refusal | None:
    if len(text) > limits.max_string_chars:
        return Refusal("limits.string_too_long",
                       f"a string of {len(text)} characters (limit {limits.max_string_chars})")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return Refusal("json.lone_surrogate", "a string contains a lone UTF-16 surrogate escape")
    return None
