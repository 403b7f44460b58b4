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


def format_public_key_file(public_key: str, role: str, key_id: str | None = None) -> str:
    """The reference's public key file text."""
    lines = [PUBLIC_HEADER]
    if key_id:
        lines.append(f"# Key ID: {key_id}")
    lines.append(f"# Role: {role}")
    lines.append(public_key)
    return "\n".join(lines) + "\n"


def looks_like_private_key_file(data: bytes) -> bool:
    """True for genesis-mesh private key files and PEM private keys (redaction)."""
    head = data[:4096]
    return b"PRIVATE KEY" in head or b"# Ed25519 Private Key" in head
