"""Strict JSON input: every refusal has its code, and nothing raises."""
from __future__ import annotations

import pytest

from publisher.limits import Limits
from publisher.strictjson import Refusal, load_json


@pytest.mark.parametrize("data, code", [
    (b'{"a": 1, "a": 2}', "json.duplicate_key"),
    (b'{"a": {"b": 1, "b": 1}}', "json.duplicate_key"),
    (b'{"a": NaN}', "json.invalid"),
    (b'{"a": Infinity}', "json.invalid"),
    (b'{"a": 1e400}', "json.non_finite_number"),
    (b'{"a": -0}', "json.negative_zero"),
    (b'{"a": 18446744073709551616}', "json.integer_out_of_range"),
    (b'{"a": -9223372036854775809}', "json.integer_out_of_range"),
    (b'{"a": 1' + b"0" * 5000 + b"}", "json.integer_out_of_range"),
    (b'{"a": "\\ud800"}', "json.lone_surrogate"),
    (b'{"\\udfff": 1}', "json.lone_surrogate"),
    (b"\xef\xbb\xbf{}", "json.not_utf8"),
    (b'{"a": "\xff"}', "json.not_utf8"),
    (b'{"a": 1', "json.invalid"),
    (b'{"a": 1} {}', "json.invalid"),
    (b"[" * 100_000 + b"]" * 100_000, "json.too_deep"),
    (b'{"a":' * 65 + b"1" + b"}" * 65, "json.too_deep"),
], ids=["dup", "nested-dup", "nan", "infinity", "huge-float", "neg-zero", "u64-overflow", "i64-underflow",
        "many-digits", "lone-high", "lone-in-key", "bom", "bad-utf8", "truncated", "trailing", "deep-100k", "depth-65"])
def test_refusals(data, code):
    result = load_json(data)
    assert isinstance(result, Refusal) and result.code == code


@pytest.mark.parametrize("data, value", [
    (b'{"a": 18446744073709551615}', {"a": 2**64 - 1}),
    (b'{"a": "\\ud83d\\ude00"}', {"a": "\U0001F600"}),
    (b'{"a":' * 63 + b"1" + b"}" * 63, None),
    (b' \n{"a": [1, 2.5, true, null]}\n', {"a": [1, 2.5, True, None]}),
], ids=["u64-max", "surrogate-pair", "depth-64", "whitespace"])
def test_accepted(data, value):
    result = load_json(data)
    assert not isinstance(result, Refusal)
    if value is not None:
        assert result == value


def test_size_and_string_limits():
    limits = Limits(max_file_bytes=100, max_string_chars=10)
    assert load_json(b'{"a": "' + b"x" * 200 + b'"}', limits).code == "limits.file_too_large"
    assert load_json(b'{"a": "' + b"x" * 11 + b'"}', limits).code == "limits.string_too_long"
