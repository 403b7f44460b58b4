"""The repository layout: which path holds which kind of document (pure, no I/O).

`classify(path)` maps a repo-relative POSIX path to a document kind, or None for a path the
layout does not define. File names follow what a genesis-mesh Network Authority writes or
serves, so a sovereign folder can be filled from the reference's outputs.
"""
from __future__ import annotations

import re
import unicodedata

SOVEREIGNS_DIR = "sovereigns"
COALITION_FILE = "coalition.json"     # the coalition: name, operator, members
LOCK_FILE = "trust.lock"              # each sovereign's pinned root key

ROOT_FILES = {
    COALITION_FILE: "coalition",
    LOCK_FILE: "trust-lock",
}
# Everything verification reads: what a fingerprint, a git walk or a cache key must cover.
TRUST_PATHS = (SOVEREIGNS_DIR, LOCK_FILE, COALITION_FILE)

SOVEREIGN_FILES = {
    "genesis.signed.json": "genesis",
    "genesis.json": "genesis-unsigned",
    "sovereign.json": "sovereign",
    "key-history.json": "key-history",
    "recognition-treaties.json": "recognition-treaties",
    "revocation-feed.json": "revocation-feed",
    "recognition-policy.json": "recognition-policy",
    "policy.json": "policy-manifest",
    "roll-call.json": "roll-call",
    "na-cosigners.json": "na-cosigners",
    "README.md": "note",
    "keys/root.pub": "key-root",
    "keys/na.pub": "key-na",
}

GENESIS_FILE = "genesis.signed.json"
REQUIRED_SOVEREIGN_FILES = (GENESIS_FILE, "sovereign.json")

# Trust bundle import receipts (`handshake bundle import`): review evidence, never trust.
IMPORTS_DIR = "imports"


def import_receipt_path(sovereign_id: str, bundle_hash: str) -> str:
    """imports/<sovereign_id>/sha256-<hex>.receipt.json for a bundle hash `sha256:<hex>`."""
    return f"{IMPORTS_DIR}/{sovereign_id}/{bundle_hash.replace(':', '-')}.receipt.json"

_SAFE_ID = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,126}[A-Za-z0-9])?")
_OPERATOR_KEY = re.compile(r"keys/operator[A-Za-z0-9._-]{0,64}\.pub")
_NA_HISTORY_KEY = re.compile(r"keys/na-[A-Za-z0-9._-]{1,64}\.pub")
_TREATY = re.compile(r"treaties/[^/]{1,200}\.json")
# Handshake's own root rotation records (schemas/root-rotation.schema.json): <n> is the sequence.
_ROOT_ROTATION = re.compile(r"root-rotations/[1-9][0-9]{0,8}\.json")


def is_safe_id(sovereign_id: str) -> bool:
    """Folder names double as URL path segments: a conservative ASCII set, no dot-only names."""
    return _SAFE_ID.fullmatch(sovereign_id) is not None and ".." not in sovereign_id


def classify_sovereign_file(relative: str) -> str | None:
    """Kind of a path relative to `sovereigns/<id>/`, or None when outside the layout."""
    kind = SOVEREIGN_FILES.get(relative)
    if kind:
        return kind
    if _TREATY.fullmatch(relative):
        return "recognition-treaty"
    if _OPERATOR_KEY.fullmatch(relative):
        return "key-operator"
    if _NA_HISTORY_KEY.fullmatch(relative):
        return "key-na-history"
    if _ROOT_ROTATION.fullmatch(relative):
        return "root-rotation"
    return None


def classify(path: str) -> str | None:
    """Kind of a repo-relative path (a root file or a sovereign folder's file), or None."""
    if path in ROOT_FILES:
        return ROOT_FILES[path]
    split = split_sovereign_path(path)
    return classify_sovereign_file(split[1]) if split else None


def split_sovereign_path(path: str) -> tuple[str, str] | None:
    """('<id>', '<relative>') for a path under sovereigns/<id>/, else None."""
    parts = path.split("/", 2)
    if len(parts) == 3 and parts[0] == SOVEREIGNS_DIR and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None


_UNDECODED = re.compile("[\ud800-\udfff]")


def undecodable(path: str) -> bool:
    """True when a listed name held bytes that are not UTF-8: the listing decodes them as
    surrogate escapes (U+DC80..U+DCFF), which no UTF-8 writer (a site page, a report file, a
    pull-request comment) can encode."""
    return not path.isascii() and _UNDECODED.search(path) is not None


def shown_name(path: str) -> str:
    """`path` with each undecodable byte written `\\xNN` (any other surrogate `\\uNNNN`), as
    `bytes` reprs do: a spelling every writer can encode, for findings and messages."""
    def spell(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code - 0xDC00:02x}" if 0xDC80 <= code <= 0xDCFF else f"\\u{code:04x}"
    return _UNDECODED.sub(spell, path)


def printable(text: str) -> str:
    """`text` safe for one terminal line: paths and messages quote attacker-controlled names, so
    control, bidi, invisible and line-separator characters are escaped (no terminal escape
    sequences, no forged report lines)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" if ord(ch) < 0x10000
                   else f"\\U{ord(ch):08x}" for ch in text)


_BIDI_AND_INVISIBLE = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202b", "\u202c", "\u202d",
    "\u202e", "\u2060", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\u00ad", "\u061c",
}


def deceptive_text(text: str) -> str | None:
    """Why an identifier could display as another one, or None.

    Bidirectional controls and invisible characters are always deceptive; a non-ASCII letter
    whose compatibility decomposition or skeleton is ASCII (Cyrillic 'а' for Latin 'a',
    fullwidth forms) is a confusable.
    """
    if text.isascii() and text.isprintable():   # the common case: no control, nothing confusable
        return None
    for ch in text:
        if ch in _BIDI_AND_INVISIBLE or unicodedata.category(ch) in ("Cf", "Cc"):
            return f"contains the invisible or bidirectional control character U+{ord(ch):04X}"
    if text.isascii():
        return None
    for ch in text:
        if ord(ch) < 128:
            continue
        if unicodedata.normalize("NFKC", ch).isascii():
            return f"contains U+{ord(ch):04X}, a compatibility form of an ASCII character"
        name = unicodedata.name(ch, "")
        if any(script in name for script in ("CYRILLIC", "GREEK")) and _CONFUSABLE_NAMES.search(name):
            return f"contains U+{ord(ch):04X} ({name}), which looks like a Latin letter"
    return None


_CONFUSABLE_NAMES = re.compile(
    r"LETTER (SMALL |CAPITAL )?(A|BE|VE|GHE|IE|ES|O|ER|HA|U|I|JE|DZE|KA|EM|EN|TE|"
    r"ALPHA|BETA|EPSILON|ETA|IOTA|KAPPA|MU|NU|OMICRON|RHO|TAU|UPSILON|CHI|ZETA|SHHA|PALOCHKA)$"
)
