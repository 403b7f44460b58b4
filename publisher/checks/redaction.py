"""RFC-003 redaction: nothing private is published (FORMATS §10, §12).

Scans every file under sovereigns/ (and, from the site builder, every built file): private
keys, secret-bearing field names, admin request material, local filesystem and database
paths. A byte-level pre-filter keeps clean files at regex speed; JSON is walked only when
the filter fires.

Decision (FORMATS §14.10): the reference flags any key whose name *contains* `token`,
`secret`... so `token_id` is an error there. Handshake matches name segments and exempts
identifier-like suffixes (`_id`, `_ids`, `_count`, `_url`, `_type`, `_hash`, `_prefix`).
"""
from __future__ import annotations

import dataclasses
import json
import re
from functools import lru_cache
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from publisher import crypto
from publisher.findings import Finding, finding, pointer
from publisher.keyfile import looks_like_private_key_file, parse_public_key_file
from publisher.rustregex import rust_search

# Byte pre-filter: a file is walked only when one of these occurs (lower-cased). Every field
# name and value rule below must be reachable through one of them. They are searched in one
# pass by the Rust `regex` engine jsonschema_rs already ships (a `pattern` keyword compiled for
# its linear-time backend, RegexOptions, whose match cannot fail or give up the way
# fancy-regex's backtrack limit can). On the full-scale corpus (1.4 KB documents, same run):
# 2.2 us a document, lowering and decoding included, against 16.5 us for a pyahocorasick
# automaton (kept as the fallback where the jsonschema_rs wheel is missing), 35 us for one
# `re` alternation and 39 us for 36 `in` tests. A two-stage filter in the standard library
# (bytes.translate folding the rarest letter of every trigger onto one byte, so that `re`
# scans for a literal, the automaton confirming) measured 7 us: base64 signatures and hex ids
# make every letter and most bigrams common, so no test on a few rare bytes rules out a
# clean document, and only the full triggers are selective.
_TRIGGERS = (
    b"private", b"secret", b"passw", b"passphrase", b"bearer", b"credential", b"token", b"nonce",
    b"authoriz", b"authoris", b"cookie", b"seed", b"begin", b"apikey", b"api-key", b"api_key",
    b"x-admin", b"admin", b"header",
    b"/home/", b"/users/", b"/root/", b"/var/", b"/tmp/", b"/etc/", b"/opt/", b"/srv/",
    b"~/", b":\\\\", b"file:", b"sqlite", b".db", b"postgres", b"mysql", b"mongodb",
    # A \u escape can spell any name ("pass\u0077ord"), and JSON may write every / as \/ (hiding
    # /home/, ~/...): files holding either escape are always walked.
    b"\\u", b"\\/",
)


def _regex_search() -> Callable[[str], bool] | None:
    """Whether a text holds a trigger, by the Rust regex engine; None without jsonschema_rs.
    Every byte that is not a letter or digit is written `\\xHH`, which means that byte in
    ECMA-262 and in Rust's syntax alike, so the pattern is the literals and nothing else. A
    release that read the pattern differently must not let a trigger through unseen: every
    trigger inside clean text must be found, and the clean text alone must not."""
    pattern = "|".join("".join(chr(byte) if chr(byte).isalnum() else f"\\x{byte:02x}" for byte in literal)
                       for literal in _TRIGGERS)
    clean = "x0\"=:{[ ,\t\n" * 4
    return rust_search(pattern, found=[clean + t.decode("latin-1") + clean for t in _TRIGGERS], clean=[clean])


def _automaton_search() -> Callable[[str], bool]:
    """The same answer by an Aho-Corasick automaton (pyahocorasick)."""
    import ahocorasick  # type: ignore[import-not-found]  # C extension without stubs

    automaton = ahocorasick.Automaton(ahocorasick.STORE_LENGTH)
    for literal in _TRIGGERS:
        automaton.add_word(literal.decode("latin-1"))   # latin-1: one character per byte
    automaton.make_automaton()
    find = automaton.iter
    return lambda text: next(find(text), None) is not None


_SEARCH = _regex_search() or _automaton_search()


_WINDOW = 1 << 22                                      # bytes lowered and searched at a time
_OVERLAP = max(len(literal) for literal in _TRIGGERS) - 1   # so no match straddles two windows unseen


def _triggered(data: bytes) -> bool:
    """True when the lower-cased bytes contain one of `_TRIGGERS`. A large file (a coalition
    export is 80 MB at 10,000 sovereigns) is searched in overlapping windows instead of as
    two lowered copies of the whole."""
    for start in range(0, max(len(data), 1), _WINDOW):
        window = data[max(0, start - _OVERLAP):start + _WINDOW] if len(data) > _WINDOW else data
        if _SEARCH(window.lower().decode("latin-1")):
            return True
    return False


_PRIVATE_NAME = re.compile(r"private[_-]?key|^seed$|_seed$|^signing[_-]?key[_-]?seed", re.I)
_SECRET_SEGMENTS = {"secret", "secrets", "password", "passwd", "passphrase", "bearer",
                    "credential", "credentials", "token", "apikey", "api-key"}
_EXEMPT_SUFFIX = ("id", "ids", "count", "url", "type", "hash", "prefix", "name", "endpoint")
_ADMIN_NAME = re.compile(r"admin[_-]?nonce|^x-admin-|^authorization$|^cookie$|^set-cookie$|"
                         r"^admin[_-]?signature$|^raw[_-]?headers?$", re.I)
_LOCAL_PATH = re.compile(          # the definition; scans use `_local_path`, which answers the same
    r"^(?:/home/|/Users/|/root/|/var/lib/|/var/tmp/|/tmp/|/etc/|/opt/|/srv/|[A-Za-z]:\\|file:/|~/)"
    r"|^(?:sqlite|postgres(?:ql)?|mysql|mongodb)(?:\+\w+)?://|\.(?:sqlite3?|db)$"
)
# `_LOCAL_PATH.search` as an anchored match and a suffix test: the unanchored suffix branch made
# `re` try the whole alternation at every position of every string, two thirds of the scan of
# an 80 MB export. `$` also matches before one final newline.
_LOCAL_PREFIX = re.compile(
    r"(?:/home/|/Users/|/root/|/var/lib/|/var/tmp/|/tmp/|/etc/|/opt/|/srv/|[A-Za-z]:\\|file:/|~/)"
    r"|(?:sqlite|postgres(?:ql)?|mysql|mongodb)(?:\+\w+)?://"
)
_LOCAL_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def _local_path(text: str) -> bool:
    """True exactly when `_LOCAL_PATH.search(text)` finds a match."""
    end = text[:-1] if text.endswith("\n") else text
    return end.endswith(_LOCAL_SUFFIXES) or _LOCAL_PREFIX.match(text) is not None


_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_BEARER = re.compile(r"^\s*Bearer\s+\S{8,}", re.I)


def _segments(name: str) -> list[str]:
    return [s for s in re.split(r"[_\-.\s]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()) if s]


def _secret_name(name: str) -> bool:
    parts = _segments(name)
    if not parts or parts[-1] in _EXEMPT_SUFFIX:
        return False
    return any(p in _SECRET_SEGMENTS for p in parts) or "apikey" in "".join(parts)


def _name_rule(name: str) -> str | None:
    """The redaction code a field name calls for by itself, if any."""
    if _PRIVATE_NAME.search(name):
        return "redaction.private_key"
    if _ADMIN_NAME.search(name):
        return "redaction.admin_material"
    if _secret_name(name):
        return "redaction.secret_field"
    return None


# A site repeats the same few hundred field names millions of times (the regular expressions
# above were a quarter of a cold build); long names, which only hostile input has, are not kept.
_name_rule_memo = lru_cache(maxsize=4096)(_name_rule)
MEMO_NAME_LENGTH = 128


def scan_bytes(path: str, data: bytes, parsed: Any = None, *, triggered: bool | None = None) -> list[Finding]:
    """Redaction findings for one file; `parsed` is its JSON value when it is a JSON document,
    `triggered` the pre-filter's answer when the caller already has it."""
    out: list[Finding] = []
    if looks_like_private_key_file(data):
        out.append(finding(path, "", "redaction.private_key",
                           "the file contains a private key (PEM block or genesis-mesh private key file)"))
    elif path.endswith(".key") and parse_public_key_file(data) is not None:
        # A genesis-mesh .key file stripped of its comment header is a bare base64 seed.
        out.append(finding(path, "", "redaction.private_key",
                           "a .key file holding one 32-byte base64 value: a private key seed"))
    if parsed is not None and (triggered if triggered is not None else _triggered(data)):
        out.extend(_scan_value(path, parsed))
    return out


def scan_key_files(key_files: Mapping[str, str], known_public_keys: Iterable[str],
                   signed_public_keys: Collection[str] = ()) -> list[Finding]:
    """`redaction.private_key` for a published key file whose 32 bytes are the seed of one of
    the sovereign's known public keys (a .key file pasted into a .pub file). A value that a
    signed document names as a public key (`signed_public_keys`: the genesis block's, the key
    history's) is one, so no key is derived from it: a scalar multiplication per key file was
    2% of a cold verify."""
    known = set(known_public_keys)
    out: list[Finding] = []
    for path, value in sorted(key_files.items()):
        if value in signed_public_keys:
            continue
        seed = crypto.decode_public_key(value)
        if seed is not None and crypto.public_key_of(seed) in known:
            out.append(finding(path, "", "redaction.private_key",
                               "the file holds the private seed of one of this sovereign's keys, "
                               "not a public key"))
    return out


def _scan_value(path: str, value: Any) -> Iterator[Finding]:
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, ())]
    while stack:
        node, where = stack.pop()
        if isinstance(node, dict):
            for key, item in node.items():
                here = where + (key,)
                rule = _name_rule_memo(key) if len(key) <= MEMO_NAME_LENGTH else _name_rule(key)
                if rule == "redaction.private_key":
                    yield finding(path, pointer(*here), "redaction.private_key",
                                  f"field {key!r} is named like private key material")
                elif rule == "redaction.admin_material":
                    yield finding(path, pointer(*here), "redaction.admin_material",
                                  f"field {key!r} carries admin request material")
                elif rule == "redaction.secret_field" and item not in (None, "", [], {}):
                    yield finding(path, pointer(*here), "redaction.secret_field",
                                  f"field {key!r} is named like a secret, password, token or credential")
                stack.append((item, here))
        elif isinstance(node, list):
            stack.extend((item, where + (i,)) for i, item in enumerate(node))
        elif isinstance(node, str):
            if _PEM.search(node):
                yield finding(path, pointer(*where), "redaction.private_key",
                              "a string value holds a PEM private key")
            elif _BEARER.match(node):
                yield finding(path, pointer(*where), "redaction.admin_material",
                              "a string value holds a bearer credential")
            elif _local_path(node):
                yield finding(path, pointer(*where), "redaction.local_path",
                              f"{node[:80]!r} looks like a local filesystem or database path")


PUBLISH_REFUSED = frozenset({"redaction.private_key", "redaction.secret_field", "redaction.admin_material"})


def scan_site(files: Mapping[str, bytes]) -> list[Finding]:
    """Findings that forbid publishing a built site: private keys, secrets and admin material in
    any file about to be written (raw documents, exports, pages), whatever verification allowed.

    JSON files are parsed only when the byte pre-filter fires; a file that does not parse is
    scanned as bytes."""
    out: list[Finding] = []
    for path, data in files.items():
        parsed = None
        if path.endswith(".json") and _triggered(data):
            try:
                parsed = json.loads(data)
            except ValueError:
                parsed = None
        # parsed only when the pre-filter fired: scan_bytes need not run it again
        out.extend(f for f in scan_bytes(path, data, parsed, triggered=True) if f.code in PUBLISH_REFUSED)
    return out


def scan_spliced(path: str, data: bytes, skeleton: bytes, member: str, items: Sequence[bytes],
                 memo: dict[bytes, list[Finding]]) -> list[Finding]:
    """`scan_site({path: data})` for a JSON export `data` that is the object `skeleton` with the
    JSON texts `items` as the list under its key `member` (`publisher.site.lean.spliced`): the
    same walk, but each distinct item is parsed and walked once (`memo`, shared by the exports
    that hold the same items, relative to the item), and only when the byte pre-filter fires on
    it, as it must for a file (a treaty has no trigger word unless it holds something to look
    at), instead of parsing the whole file. The skeleton, a JSON text of its own, is walked only
    when the pre-filter fires on it too: the exports' skeletons (edges, states, ids: 60 MB at
    10,000 sovereigns) hold no trigger word, and walking them was 2.8 s of a cold build's
    single-core tail. Anything else (a file the filter passes, an item or skeleton that is not
    as described) is `scan_site` itself."""
    if not _triggered(data) or _name_rule(member) is not None:
        return scan_site({path: data})
    try:
        head = json.loads(skeleton)
        if not isinstance(head, dict) or head.get(member) != []:
            return scan_site({path: data})
        out = [f for f in scan_bytes(path, data, head, triggered=_triggered(skeleton)) if f.code in PUBLISH_REFUSED]
        for index, item in enumerate(items):
            found = memo.get(item)
            if found is None:      # the pre-filter per item, as for a file: no trigger, nothing to find
                found = memo[item] = [f for f in _scan_value(path, json.loads(item)) if f.code in PUBLISH_REFUSED] \
                    if _triggered(item) else []
            out.extend(dataclasses.replace(f, path=path, pointer=pointer(member, index) + f.pointer) for f in found)
    except ValueError:
        return scan_site({path: data})
    return out
