"""Render a `Review`: markdown for a pull-request comment, JSON for machines (pure, to text).

Markdown: a marker line (so CI can update one sticky comment), the counts, a ranked table of
the most severe changes, then the changes folded per level in `<details>`, most severe first,
within a budget of characters a pull-request comment holds: what does not fit is counted by
code (`--format json` has every change), so a flood of low-level changes can neither hide a
critical one nor make the comment too long to post. Every string from
a trust document is attacker-controlled: it is escaped so it cannot close the table, inject
HTML or links, or mention people (@). JSON: sorted keys, stable order, no wall-clock time.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import Any

from publisher.codes.history import LEVEL_ORDER
from publisher.history.model import Change
from publisher.layout import printable
from publisher.review.analysis import Review
from publisher.timestamps import zulu

MARKER = "<!-- handshake-review -->"
TABLE_ROWS = 15
MARKDOWN_BUDGET = 58_000      # characters; a GitHub comment holds 65,536 (the CI template cuts at 60,000)
LINE_CHARACTERS = 600         # one change's line at most (its sentence quotes document strings)
ICONS = {"critical": "\U0001F534", "high": "\U0001F7E0", "medium": "\U0001F7E1", "low": "\U0001F535", "info": "\u26AA"}
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_",
            "[": "\\[", "]": "\\]", "@": "&#64;", "~": "\\~", "\\": "\\\\", "#": "&#35;", "!": "\\!"}
_PIPE = "\\|"


def md(text: str, limit: int | None = None) -> str:
    """Inline-safe markdown text: one line, no HTML, no links, no mentions, no table breaks, and
    no hidden character (a terminal escape for the CI log, a bidi control reordering the line).
    At most `limit` characters as written: escapes grow hostile text up to fivefold (`#`)."""
    flat = printable(" ".join(text.split()))
    return _clip([_ESCAPES.get(ch, ch) for ch in flat], limit)


def code_span(text: str, limit: int | None = None) -> str:
    """A code span (contents literal, so no HTML or mention); `|` still needs escaping in tables,
    and hidden characters are written visibly as in `md`."""
    flat = printable(" ".join(text.split())).replace("`", "'")
    inside = _clip([_PIPE if ch == "|" else ch for ch in flat], limit)
    return f"`{inside}`"


def _clip(pieces: list[str], limit: int | None) -> str:
    """The escaped pieces joined, cut between two pieces (never inside an escape) to at most
    `limit` characters, the last one an ellipsis."""
    if limit is None or sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, size = [], 0
    for piece in pieces:
        if size + len(piece) > limit - 1:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + "…"


def _row(change: Change) -> str:
    return (f"| {ICONS[change.level]} {change.level} | {md(change.sentence, LINE_CHARACTERS)} | "
            f"{code_span(change.path, LINE_CHARACTERS)} |")


def _item(change: Change) -> str:
    sovereign = f"**{md(change.sovereign, LINE_CHARACTERS)}** · " if change.sovereign else ""
    return (f"- {sovereign}{md(change.sentence, LINE_CHARACTERS)} ({code_span(change.code)}, "
            f"{code_span(change.path, LINE_CHARACTERS)})")


def _fold(level: str, group: list[Change]) -> tuple[list[str], list[str]]:
    """The lines that open and close one level's `<details>`."""
    return ["<details>", f"<summary>{ICONS[level]} {len(group)} {level}</summary>", ""], ["", "</details>", ""]


def _cost(lines: list[str]) -> int:
    """Characters the lines take in the comment (each with its newline)."""
    return sum(len(line) + 1 for line in lines)


def _left_out(counts: Counter[str]) -> str:
    """The line counting, by code, the changes not listed (`counts`: how many of each code)."""
    by_code = ", ".join(f"{code_span(code)} × {n}" for code, n in sorted(counts.items()) if n)
    return f"- … and {counts.total()} more not listed here: {by_code} (`--format json` lists every change)"


def render_markdown(review: Review) -> str:
    counts = review.counts()
    total = len(review.changes)
    lines = [MARKER, "## Handshake trust review", ""]
    summary = ", ".join(f"{counts[level]} {level}" for level in LEVEL_ORDER if counts[level])
    # The folders a key change reaches without touching them (review/referrers.py): saying how
    # many were checked tells the reviewer the blast radius was looked at, even when clean.
    reached = review.stats.get("referrers", 0)
    lines.append(f"`{review.base[:12]}` → `{review.head[:12]}` · {review.changed_paths} changed file(s) · "
                 f"{len(review.sovereigns)} sovereign(s)"
                 + (f" · {reached} other folder(s) that name them checked" if reached else "")
                 + f" · evaluated at {zulu(review.at)}")
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
    folds = [(group, *_fold(level, group), Counter(c.code for c in group))
             for level in LEVEL_ORDER if (group := [c for c in review.changes if c.level == level])]
    # Room kept for what closes the comment: each level's folding, and its left-out line if
    # every change of the level were left out (an upper bound: fewer left out, fewer digits).
    reserve = sum(_cost(opening + closing) + len(_left_out(by_code)) + 1 for _, opening, closing, by_code in folds)
    used = _cost(lines)
    for group, opening, closing, unlisted in folds:     # unlisted: counts by code, kept up to date
        reserve -= _cost(opening + closing) + len(_left_out(unlisted)) + 1
        used += _cost(opening + closing)
        lines += opening
        for change in group:
            item = _item(change)
            if used + len(item) + 1 + reserve + len(_left_out(unlisted)) + 1 > MARKDOWN_BUDGET:
                lines.append(_left_out(unlisted))
                used = MARKDOWN_BUDGET        # nothing more is listed, only counted
                break
            lines.append(item)
            used += len(item) + 1
            unlisted[change.code] -= 1
        lines += closing
    return "\n".join(lines).rstrip("\n") + "\n"


def review_payload(review: Review) -> dict[str, Any]:
    return {
        "base": review.base, "head": review.head,
        "evaluated_at": zulu(review.at),
        "changed_paths": review.changed_paths, "sovereigns": list(review.sovereigns),
        "summary": review.counts(), "changes": [c.to_dict() for c in review.changes],
    }


def render_json(review: Review) -> str:
    return json.dumps(review_payload(review), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
