"""genesis-mesh key files: `# ...` comment lines, then one base64 key (FORMATS §1.1).

Public files (`*.pub`) are read strictly: exactly one standard base64 32-byte key.
Private files hold the base64 32-byte seed; Handshake writes them with mode 0600 from the
first byte and never inside a repository (see `publisher.authoring`).
"""
from __future__ import annotations

from publisher.crypto import decode_b64


def parse_public_key_file(data: bytes) -> str | None:
    """The base64 public key in a `.pub` file, or None when the file is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    body = "".join(line.strip() for line in text.splitlines() if not line.lstrip().startswith("#"))
    return body if decode_b64(body, 32) is not None else None


PUBLIC_HEADER = "# Ed25519 Public Key"     # the first line of the reference's .pub files


MAX_LABEL = 256              # a key id's longest (common.schema.json keyId)


def key_file_label(key_id: object) -> str | None:
    """`key_id` when it fits a key file's `# Key ID:` line (one line of printable ASCII, at
    most MAX_LABEL characters, blanks around it dropped), else None: the line is left out.
    Key files are ASCII, and a key id comes from places nobody vouches for (a signature's
    key_id is not signed; a key file's own comment line may hold any text): a non-ASCII one
    raised UnicodeEncodeError out of the commands writing key files, and one with a newline
    would have written comment lines of its own."""
    if isinstance(key_id, str) and len(key_id) <= MAX_LABEL and all(" " <= ch <= "~" for ch in key_id):
        return key_id.strip() or None
    return None


def format_key_file(header: str, key_b64: str, role: str, key_id: str | None = None) -> str:
    """The reference's key file text under `header` (public or private: the same lines), the
    `# Key ID:` line only for a `key_file_label`. Every key file Handshake writes goes through
    here, so no writer can skip the label rule."""
    lines = [header]
    label = key_file_label(key_id)
    if label:
        lines.append(f"# Key ID: {label}")
    lines.append(f"# Role: {role}")
    lines.append(key_b64)
    return "\n".join(lines) + "\n"


def format_public_key_file(public_key: str, role: str, key_id: str | None = None) -> str:
    """The reference's public key file text (`format_key_file`)."""
    return format_key_file(PUBLIC_HEADER, public_key, role, key_id)


def looks_like_private_key_file(data: bytes) -> bool:
    """True for genesis-mesh private key files and PEM private keys (redaction)."""
    head = data[:4096]
    return b"PRIVATE KEY" in head or b"# Ed25519 Private Key" in head
