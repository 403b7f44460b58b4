"""Render a `Review`: markdown for a pull-request comment, JSON for machines (pure, to text).

Markdown: a marker line (so CI can update one sticky comment), the counts, a ranked table of
the most severe changes, then every change folded per level in `<details>`. Every string from
a trust document is attacker-controlled: it is escaped so it cannot close the table, inject
HTML or links, or mention people (@). JSON: sorted keys, stable order, no wall-clock time.
"""
from __future__ import annotations

import json
from typing import Any

from publisher.codes.history import LEVEL_ORDER
from publisher.history.model import Change
from publisher.review.analysis import Review

MARKER = "<!-- handshake-review -->"
TABLE_ROWS = 15
ICONS = {"critical": "\U0001F534", "high": "\U0001F7E0", "medium": "\U0001F7E1", "low": "\U0001F535", "info": "\u26AA"}
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_",
            "[": "\\[", "]": "\\]", "@": "&#64;", "~": "\\~", "\\": "\\\\", "#": "&#35;", "!": "\\!"}


def md(text: str) -> str:
    """Inline-safe markdown text: one line, no HTML, no links, no mentions, no table breaks."""
    flat = " ".join(text.split())
    return "".join(_ESCAPES.get(ch, ch) for ch in flat)


def code_span(text: str) -> str:
    """A code span (contents literal, so no HTML or mention); `|` still needs escaping in tables."""
    flat = " ".join(text.split()).replace("`", "'").replace("|", "\\|")
    return f"`{flat}`"


def _row(change: Change) -> str:
    return f"| {ICONS[change.level]} {change.level} | {md(change.sentence)} | {code_span(change.path)} |"


def render_markdown(review: Review) -> str:
    counts = review.counts()
    total = len(review.changes)
    lines = [MARKER, "## Handshake trust review", ""]
    summary = ", ".join(f"{counts[level]} {level}" for level in LEVEL_ORDER if counts[level])
    lines.append(f"`{review.base[:12]}` → `{review.head[:12]}` · {review.changed_paths} changed file(s) · "
                 f"{len(review.sovereigns)} sovereign(s) · evaluated at {review.at:%Y-%m-%dT%H:%M:%SZ}")
    lines.append("")
    if not total:
        lines.append("No trust change: nothing under `sovereigns/`, `trust.lock` or `coalition.json` "
                     "changes what anyone trusts.")
        return "\n".join(lines) + "\n"
    lines += [f"**{total} change(s): {summary}.**", "", "| Level | Change | File |", "| --- | --- | --- |"]
    lines += [_row(c) for c in review.changes[:TABLE_ROWS]]
    if total > TABLE_ROWS:
        lines.append(f"| | … and {total - TABLE_ROWS} more below | |")
    lines.append("")
    for level in LEVEL_ORDER:
        group = [c for c in review.changes if c.level == level]
        if not group:
            continue
        lines += ["<details>", f"<summary>{ICONS[level]} {len(group)} {level}</summary>", ""]
        for change in group:
            sovereign = f"**{md(change.sovereign)}** · " if change.sovereign else ""
            lines.append(f"- {sovereign}{md(change.sentence)} ({code_span(change.code)}, {code_span(change.path)})")
        lines += ["", "</details>", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def review_payload(review: Review) -> dict[str, Any]:
    return {
        "base": review.base, "head": review.head,
        "evaluated_at": review.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "changed_paths": review.changed_paths, "sovereigns": list(review.sovereigns),
        "summary": review.counts(), "changes": [c.to_dict() for c in review.changes],
    }


def render_json(review: Review) -> str:
    return json.dumps(review_payload(review), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
