"""View models of the change channel: changes.html, changes.atom and each sovereign's history.

Input is the pure list of `publisher.history.changes.ChangeEntry` the CLI read from git at the
source commit (None when the repository has no history to read). Entries are attacker-influenced
text (ids, sentences); templates escape them. Deterministic: order comes from the entries.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from publisher.site.format import fmt_z
from publisher.site.views import page

if TYPE_CHECKING:
    from publisher.history.changes import ChangeEntry
    from publisher.site.context import SiteContext

PAGE_LIMIT = 1000       # entries on changes.html (the newest); the rest stay in git
FEED_LIMIT = 200        # entries in changes.atom
SOVEREIGN_LIMIT = 50    # entries in a sovereign's history section


def _entry(ctx: SiteContext, entry: ChangeEntry, root: str) -> dict[str, Any]:
    href = ctx.sovereign_href(entry.sovereign) if entry.sovereign in ctx.slugs else None
    return {"commit": entry.commit, "short": entry.commit[:12], "time": fmt_z(entry.time),
            "severity": entry.severity, "code": entry.code, "path": entry.path, "sentence": entry.sentence,
            "sovereign": entry.sovereign, "sovereign_href": (root + href) if href else None}


def changes_page_view(ctx: SiteContext, entries: Sequence[ChangeEntry] | None) -> dict[str, Any]:
    view = page("changes.html", "Trust changes", "changes",
                "Every trust change in the repository's history, newest commit first.")
    commits: list[dict[str, Any]] = []
    for entry in (entries or [])[:PAGE_LIMIT]:
        if not commits or commits[-1]["commit"] != entry.commit:
            commits.append({"commit": entry.commit, "short": entry.commit[:12], "time": fmt_z(entry.time),
                            "entries": []})
        commits[-1]["entries"].append(_entry(ctx, entry, view["root"]))
    return {"page": view, "available": entries is not None, "commits": commits,
            "total": len(entries or []), "shown": min(len(entries or []), PAGE_LIMIT)}


def changes_feed_view(ctx: SiteContext, entries: Sequence[ChangeEntry] | None, base_url: str) -> dict[str, Any]:
    """Atom 1.0 (RFC 4287). `updated` is the newest change, else the evaluation time."""
    items = list(entries or [])[:FEED_LIMIT]
    coalition = ctx.verification.coalition
    author = coalition.operator.get("name") if isinstance(coalition.operator.get("name"), str) else coalition.name
    return {
        "title": f"{coalition.name}: trust changes", "author": author,
        "id": f"urn:handshake:{(coalition.fingerprint or 'coalition').replace(':', '-')}:changes",
        "updated": fmt_z(items[0].time) if items else fmt_z(ctx.at),
        "base": base_url.rstrip("/") + "/" if base_url else "",
        "entries": [{**_entry(ctx, e, ""), "id": f"urn:handshake:change:{e.commit}:{index}"}
                    for index, e in enumerate(items)],
    }


def sovereign_history(ctx: SiteContext, by_sovereign: Mapping[str, Sequence[ChangeEntry]] | None,
                      sovereign_id: str, root: str) -> dict[str, Any]:
    entries = list((by_sovereign or {}).get(sovereign_id, ()))
    return {"available": by_sovereign is not None, "total": len(entries),
            "entries": [_entry(ctx, e, root) for e in entries[:SOVEREIGN_LIMIT]]}
