"""The redaction scan's byte pre-filter never hides a finding: scanning the bytes of any JSON
document, in any spelling (upper case, \\u escapes), finds exactly what walking it finds."""
from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from typing import Any

from hypothesis import given, settings, strategies as st

from property_support import SCALARS
from publisher.checks import redaction
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
    """`value` as JSON with some characters of its strings written as \\u escapes, and some or
    every slash as the two-character escape \\/ (JSON allows both)."""
    text = json.dumps(value, ensure_ascii=draw(st.booleans()))
    escape = draw(st.sets(st.sampled_from("abcdeiknoprstwyABCDEIKNOPRSTWY/:\\.~"), max_size=4))
    solidus = draw(st.sampled_from(["", "", "\\/"]))
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
        if in_string and ch == "/" and solidus and "/" not in escape:
            out.append(solidus)
        else:
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


# The byte pre-filter (`_triggered`) against its definition, for each way it can search: the
# Rust regex of jsonschema_rs and the pyahocorasick automaton it falls back to.
SEARCHES = {"regex": redaction._regex_search(), "automaton": redaction._automaton_search()}
BYTES_NEAR_TRIGGERS = sorted(set(b"".join(redaction._TRIGGERS).lower() + b"".join(redaction._TRIGGERS).upper()
                                 + b"\x00\x80\xc0\xc9\xdf\xe9\xff\"\\ :/.-_"))


def reference(data: bytes) -> bool:
    """The pre-filter's definition: a trigger occurs in the bytes lower-cased (ASCII only)."""
    low = data.lower()
    return any(literal in low for literal in redaction._TRIGGERS)


@contextmanager
def searching_with(name: str, window: int | None = None) -> Iterator[None]:
    if SEARCHES[name] is None:
        pytest.skip(f"{name}: its engine is not installed")
    saved = redaction._SEARCH, redaction._WINDOW
    redaction._SEARCH, redaction._WINDOW = SEARCHES[name], window or redaction._WINDOW
    try:
        yield
    finally:
        redaction._SEARCH, redaction._WINDOW = saved


@st.composite
def spelled_trigger(draw: st.DrawFn) -> bytes:
    """A trigger in mixed case, or a near miss: one byte dropped, changed or doubled."""
    literal = bytes(c - 32 if 97 <= c <= 122 and draw(st.booleans()) else c
                    for c in draw(st.sampled_from(redaction._TRIGGERS)))
    at = draw(st.integers(0, len(literal) - 1))
    miss = draw(st.sampled_from(["none", "none", "drop", "change", "double"]))
    if miss == "drop":
        return literal[:at] + literal[at + 1:]
    if miss == "change":
        return literal[:at] + bytes([draw(st.sampled_from(BYTES_NEAR_TRIGGERS))]) + literal[at + 1:]
    if miss == "double":
        return literal[:at + 1] + literal[at:]
    return literal


@st.composite
def hostile_bytes(draw: st.DrawFn) -> bytes:
    """Random bytes, or bytes made of the triggers' own letters, with triggers and near misses
    embedded at random positions."""
    data = draw(st.binary(max_size=200) | st.lists(st.sampled_from(BYTES_NEAR_TRIGGERS), max_size=200).map(bytes))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(spelled_trigger()) + data[at:]
    return data


@pytest.mark.parametrize("name", sorted(SEARCHES))
@given(data=hostile_bytes())
def test_the_pre_filter_fires_exactly_when_a_trigger_occurs(name: str, data: bytes) -> None:
    with searching_with(name):
        assert redaction._triggered(data) == reference(data)


@pytest.mark.parametrize("name", sorted(SEARCHES))
@given(literal=st.sampled_from(redaction._TRIGGERS), noise=st.binary(max_size=64), data=st.data())
def test_every_trigger_fires_in_any_case_anywhere(name: str, literal: bytes, noise: bytes,
                                                  data: st.DataObject) -> None:
    spelled = bytes(c - 32 if 97 <= c <= 122 and data.draw(st.booleans()) else c for c in literal)
    at = data.draw(st.integers(0, len(noise)))
    with searching_with(name):
        assert redaction._triggered(noise[:at] + spelled + noise[at:])


@pytest.mark.parametrize("name", sorted(SEARCHES))
@given(data=hostile_bytes(), window=st.sampled_from([1, 2, 7, 16]))
def test_the_windowed_pre_filter_finds_what_one_pass_finds(name: str, data: bytes, window: int) -> None:
    with searching_with(name, window):
        assert redaction._triggered(data) == reference(data)


@pytest.mark.parametrize("name", sorted(SEARCHES))
@settings(max_examples=12)
@given(spelled=spelled_trigger(), data=st.data())
def test_a_trigger_across_the_real_window_boundary(name: str, spelled: bytes, data: st.DataObject) -> None:
    """A trigger (or near miss) cut by the boundary of the first window of a large input. NUL
    bytes are in no trigger, so around them the answer is the spelled bytes' own."""
    before = data.draw(st.integers(1, max(1, len(spelled) - 1)))      # its bytes in the first window
    big = bytes(redaction._WINDOW - before) + spelled + bytes(64)
    with searching_with(name):
        assert redaction._triggered(big) == reference(spelled)


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


LOCAL_PIECES = ["/home/", "/Users/", "/root/", "/var/lib/", "/var/tmp/", "/tmp/", "/etc/", "/opt/", "/srv/", "C:\\",
                "z:\\", "file:/", "~/", "sqlite://", "postgresql+psycopg://", "postgres://", "mysql://",
                "mongodb+srv://", "+", ".db", ".sqlite", ".sqlite3", ".DB", "db", "\n", "\r", " ", "x", "/", ":"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(LOCAL_PIECES) | st.text(max_size=3), max_size=6).map("".join))
def test_local_path_answers_as_the_regular_expression_it_replaces(text: str) -> None:
    assert redaction._local_path(text) == (redaction._LOCAL_PATH.search(text) is not None)


@pytest.mark.parametrize("raw", [b'{"p": "\\/home\\/alice\\/na.key"}', b'{"p": "~\\/na.key"}',
                                 b'{"p": "\\/etc\\/handshake"}', b'{"p": "C:\\\\Users\\/x"}'])
def test_a_slash_written_as_an_escape_does_not_hide_a_local_path(raw: bytes) -> None:
    """Regression: JSON may write / as \\/, and the pre-filter's path triggers (/home/, ~/...)
    then never occur in the bytes, so the document was not walked."""
    document = json.loads(raw)
    assert [f.code for f in scan_bytes("doc.json", raw, document)] == ["redaction.local_path"]
