"""The redaction scan's byte pre-filter never hides a finding: scanning the bytes of any JSON
document, in any spelling (upper case, \\u escapes), finds exactly what walking it finds."""
from __future__ import annotations

import json

import pytest
from typing import Any

from hypothesis import given, strategies as st

from property_support import SCALARS
from publisher.checks.redaction import _scan_value, scan_bytes

NAMES = ["private_key", "privateKey", "seed", "signing_key_seed", "password", "Passphrase", "api-key",
         "ApiKey", "bearer", "client_secret", "token", "token_id", "admin_nonce", "X-Admin-Signature",
         "authorization", "cookie", "credentials", "raw_headers", "display_name", "endpoint", "path", "db"]
VALUES = ["/home/alice/keys", "C:\\Users\\x", "sqlite:///na.db", "~/na.key", "file:///etc/x", "Bearer abcdefghij",
          "-----BEGIN PRIVATE KEY-----", "https://ok.example", "na.db", "plain text"]
DOCS = st.recursive(
    SCALARS | st.sampled_from(VALUES),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def spelled(draw: st.DrawFn, value: Any) -> bytes:
    """`value` as JSON with some characters of its strings written as \\u escapes."""
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    escape = draw(st.sets(st.sampled_from("abcdeiknoprstwyABCDEIKNOPRSTWY/:\\.~"), max_size=4))
    out, in_string, index = [], False, 0
    while index < len(text):
        ch = text[index]
        if ch == "\\" and in_string:                 # keep existing escapes intact
            width = 6 if text[index + 1] == "u" else 2
            out.append(text[index:index + width])
            index += width
            continue
        if ch == '"':
            in_string = not in_string
        out.append(f"\\u{ord(ch):04x}" if in_string and ch in escape and ch != '"' else ch)
        index += 1
    return "".join(out).encode("utf-8")


def codes(findings: Any) -> list[tuple[str, str]]:
    return sorted((f.pointer, f.code) for f in findings)


@given(st.data(), st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=8), DOCS, max_size=5))
def test_prefilter_never_hides_a_finding(data: st.DataObject, document: dict[str, Any]) -> None:
    raw = data.draw(spelled(document))
    assert json.loads(raw) == document
    field_level = [f for f in scan_bytes("doc.json", raw, document) if f.pointer]   # "" is the file-level PEM check
    assert codes(field_level) == codes(_scan_value("doc.json", document))


@pytest.mark.parametrize("name", ["raw_headers", "Raw-Header", "rawheaders", "admin_signature", "adminSignature",
                                  "admin-nonce", "x-admin-key", "authorization", "set-cookie"])
def test_every_admin_name_gets_through_the_prefilter(name: str) -> None:
    """Regression (found by the property above in CI): admin field names the pre-filter missed."""
    document = {name: None}
    data = json.dumps(document).encode()
    assert [f.code for f in scan_bytes("x.json", data, document)] == ["redaction.admin_material"]


@given(st.binary(max_size=120), st.sampled_from([1, 2, 7, 16]), st.data())
def test_the_windowed_pre_filter_finds_what_one_pass_finds(data: bytes, window: int, draw: st.DataObject) -> None:
    from publisher.checks import redaction
    if draw.draw(st.booleans()):
        literal = draw.draw(st.sampled_from(redaction._TRIGGERS))
        at = draw.draw(st.integers(0, len(data)))
        data = data[:at] + literal.upper() + data[at:]
    whole = any(literal in data.lower() for literal in redaction._TRIGGERS)
    saved = redaction._WINDOW
    redaction._WINDOW = window
    try:
        assert redaction._triggered(data) == whole
    finally:
        redaction._WINDOW = saved


@given(head=st.dictionaries((st.sampled_from(NAMES) | st.text(max_size=8)).filter(lambda k: k > "active_treaties"),
                           DOCS, max_size=3),
       items=st.lists(DOCS, max_size=4))
def test_an_export_scanned_item_by_item_finds_what_scanning_it_whole_finds(head: dict[str, Any],
                                                                           items: list[Any]) -> None:
    from publisher.checks.redaction import scan_site, scan_spliced
    from publisher.site.lean import spliced
    from publisher.site.sink import json_bytes
    head = {**head, "active_treaties": []}
    texts = [json.dumps(i, sort_keys=True, separators=(",", ":")).encode("ascii") for i in items + items[:1]]
    data = spliced(head, texts)
    memo: dict[bytes, list[Any]] = {}
    for _ in range(2):          # the second time from the memo
        got = scan_spliced("recognition-graph.json", data, json_bytes(head), "active_treaties", texts, memo)
        assert sorted(map(repr, got)) == sorted(map(repr, scan_site({"recognition-graph.json": data})))
