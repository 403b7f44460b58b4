"""Markdown text helpers shared by the generators: escaping and anchors.

Everything a generator takes from the code (titles, help texts, schema descriptions) is
treated as plain text: HTML is escaped and Markdown punctuation is backslash-escaped, so a
`<id>` in a help string is shown, never parsed as a tag.
"""
from __future__ import annotations

import html
import re

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|#])")
_ANCHOR_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def plain(text: object) -> str:
    """Text shown literally in Markdown: HTML-escaped, Markdown punctuation escaped, one line."""
    value = " ".join(str(text).split())
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(value, quote=False))


def code(text: object) -> str:
    """Inline code span safe for any content (backticks inside are fenced by longer runs)."""
    value = " ".join(str(text).split())
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def anchor(text: str) -> str:
    """A stable HTML id: letters, digits, dot, underscore and hyphen; other runs become '-'."""
    return _ANCHOR_UNSAFE.sub("-", text).strip("-").lower()


def fenced(body: str, language: str = "text") -> str:
    """A fenced code block whose fence cannot be closed by the body."""
    longest = max((len(run) for run in re.findall(r"^`{3,}", body, flags=re.M)), default=2)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{body.rstrip()}\n{fence}"
