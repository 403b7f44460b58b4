"""The review-level table of the pull-request guide, from the code registry.

`handshake review` ranks each trust change on a five-level scale. The level of every change
code lives beside the code (`publisher.codes.history.LEVELS`, with `LEVEL_ORDER`); this
module lists the codes under their level and links each to the reason-code reference.
"""
from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence

from docgen.text import code, plain

LEVEL_MODULE = "publisher.codes.history"


def load_levels() -> tuple[Sequence[str], Mapping[str, str]] | None:
    """(level order, code -> level) from the history code module, or None when not installed."""
    try:
        module = importlib.import_module(LEVEL_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != LEVEL_MODULE:
            raise
        return None
    return tuple(module.LEVEL_ORDER), dict(module.LEVELS)


def render_levels(order: Sequence[str], levels: Mapping[str, str], titles: Mapping[str, str],
                  codes_page: str = "../reference/reason-codes.md") -> str:
    """One row per level: every change code at that level, linked to its reference entry."""
    lines = ["| Level | Changes at this level |", "| --- | --- |"]
    for level in order:
        names = sorted(name for name, value in levels.items() if value == level)
        cells = [f"[{code(name)}]({codes_page}#{name}) {plain(titles.get(name, ''))}" for name in names]
        lines.append(f"| {level} | " + ("<br>".join(cells) if cells else "—") + " |")
    unknown = sorted(set(levels.values()) - set(order))
    if unknown:
        raise ValueError(f"levels outside LEVEL_ORDER: {unknown}")
    return "\n".join(lines) + "\n"


def render_review_levels() -> str:
    """The table, or a plain statement that this installation has no review command."""
    loaded = load_levels()
    if loaded is None:
        return ("*This build of Handshake has no change codes yet (`publisher.codes.history` is "
                "not installed), so the per-level list is empty.*\n")
    from publisher.codes import REGISTRY

    order, levels = loaded
    titles = {name: REGISTRY[name].title for name in levels if name in REGISTRY}
    return render_levels(order, levels, titles)
