"""Find private key material in written files: the redaction scan, plus seed leaks.

An Ed25519 seed and a public key look alike (32 bytes, base64 or hex). A token is a leaked
seed when the public key it derives is one the same files publish: that cannot happen by
chance, so the check has no false positives and needs no knowledge of the real seeds.
"""
from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path

from publisher import crypto
from publisher.checks.redaction import scan_bytes

_B64_32 = re.compile(rb"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{43}=")
_HEX_32 = re.compile(rb"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")


def tokens(data: bytes) -> set[bytes]:
    """Every 32-byte value written as padded base64 or as hex."""
    found = set()
    for match in _B64_32.findall(data):
        try:
            found.add(base64.b64decode(match, validate=True))
        except binascii.Error:
            continue
    found.update(bytes.fromhex(m.decode()) for m in _HEX_32.findall(data))
    return {t for t in found if len(t) == 32}


def seed_leaks(files: dict[str, bytes]) -> list[str]:
    """Paths holding a 32-byte value that is the seed of a public key the files publish."""
    values = {path: tokens(data) for path, data in files.items()}
    published = {base64.b64encode(t).decode() for found in values.values() for t in found}
    return sorted(path for path, found in values.items()
                  if any(crypto.public_key_of(t) in published for t in found))


def private_key_findings(files: dict[str, bytes]) -> list[str]:
    """Paths the redaction scan says hold a private key (PEM, key file, private-key field)."""
    return sorted({f.path for path, data in files.items() for f in scan_bytes(path, data)
                   if f.code == "redaction.private_key"})


def read_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file() and not p.is_symlink()}


_PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----\s+[A-Za-z0-9+/=\s]{40,}?-----END [A-Z ]*PRIVATE KEY-----")
_KEY_FILE = re.compile(rb"# Ed25519 Private Key\s*\n(?:#[^\n]*\n)*\s*[A-Za-z0-9+/]{43}=")


def real_private_keys(data: bytes) -> bool:
    """A complete PEM private-key block or a genesis-mesh private key file body (not merely
    the words, which source code and documentation may mention)."""
    return bool(_PEM_BLOCK.search(data) or _KEY_FILE.search(data))
