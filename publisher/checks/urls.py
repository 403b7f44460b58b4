"""Links published from documents are shown as links only when they are plainly safe."""
from __future__ import annotations

from urllib.parse import urlsplit

SAFE_SCHEMES = ("https", "http")
SAFE_CONTACT_SCHEMES = ("https", "http", "mailto")


def is_safe_url(value: object, schemes: tuple[str, ...] = SAFE_SCHEMES) -> bool:
    """True for an absolute URL with an allowed scheme and no whitespace, control, bidi or
    invisible characters."""
    if not isinstance(value, str) or not value or len(value) > 2048:
        return False
    if not value.isprintable() or any(ch.isspace() for ch in value):
        return False            # controls, bidi overrides and invisible characters disguise a link
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    if parts.scheme.lower() not in schemes:
        return False
    return bool(parts.netloc) if parts.scheme.lower() != "mailto" else bool(parts.path)
