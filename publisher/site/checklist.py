"""The healthy-coalition checklist on the coalition page: each item computed from the verified
model and findings where it can be, and marked "not computable" (with the reason) where a
static publisher cannot know (liveness, backups). Pure; returns plain dicts for the template.
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from collections.abc import Callable, Iterable

from publisher.site.context import SiteContext

EXPIRY_WINDOW = timedelta(days=7)


def _item(key: str, label: str, failing: Iterable[str] | None, detail: str, explain: str = "") -> dict[str, Any]:
    """`failing` None: not computable; empty: passes; else the offending names."""
    names = sorted(set(failing)) if failing is not None else None
    status = "unknown" if names is None else ("pass" if not names else "fail")
    return {"key": key, "label": label, "status": status, "failing": names or [], "detail": detail,
            "explain": explain}


def _codes(ctx: SiteContext, prefixes: tuple[str, ...]) -> Callable[[str], bool]:
    def has(sovereign_id: str) -> bool:
        return any(f.code.startswith(prefixes) for f in ctx.findings_by_sovereign.get(sovereign_id, ()))
    return has


def build_checklist(ctx: SiteContext) -> list[dict[str, Any]]:
    v = ctx.verification
    sovs = list(ctx.sovereigns.values())
    codes = {f.code for f in v.findings}
    at = ctx.at
    rollcall_issue = _codes(ctx, ("rollcall.missing", "rollcall.operator_count", "rollcall.id_mismatch"))
    expiring = [f"{t.issuer} → {t.subject}" for s in sovs for t in s.treaties
                if ctx.state(t).is_active and t.expires_at is not None and t.expires_at - at <= EXPIRY_WINDOW]
    listed = set(ctx.members)
    items = [
        _item("declared", "The coalition is declared in coalition.json",
              [] if v.coalition.declared else ["coalition.json"], "name, operator and members are published"),
        _item("members_published", "Every member publishes its sovereign folder",
              [m for m in listed if m not in ctx.sovereigns], "a folder under sovereigns/ for each member"),
        _item("no_strays", "Every published sovereign is a listed member",
              [s.id for s in sovs if v.coalition.declared and s.id not in listed], "no unlisted folders"),
        _item("pinned", "Every member's root key is pinned in trust.lock",
              [s.id for s in sovs if s.root_source != "trust.lock"], "the root key comes from the reviewed lock file"),
        _item("genesis", "Every member's genesis verifies under its pinned root key",
              [s.id for s in sovs if not s.verified], "root-signed genesis block (RFC-001)"),
        _item("genesis_pins", "Every member's genesis matches the coalition's pin",
              [f.path for f in v.findings if f.code == "coalition.genesis_pin_mismatch"],
              "genesis_sha256 in coalition.json"),
        _item("operators", "Every sovereign lists its operator with its role",
              [s.id for s in sovs if s.roll_call is None or rollcall_issue(s.id)
               or sum("operator" in p.roles for p in s.roll_call.parties) != 1],
              "a verified roll call with exactly one operator (RFC-008)"),
        _item("partners", "Managing partners hold no root or operator key",
              [s.id for s in sovs if s.roll_call is not None and any(
                  "managing-partner" in p.roles and {"root", "operator"} & set(p.holds_keys)
                  for p in s.roll_call.parties)], "RFC-008: partners assist, operators hold the keys"),
        _item("roll_calls_signed", "Every roll call verifies under its sovereign's NA key",
              [s.id for s in sovs if s.roll_call is not None and not s.roll_call.verified], "NA-signed roll call"),
        _item("no_expiry_7d", "No treaty in force expires within 7 days", expiring,
              "renew or let lapse deliberately (RFC-007 obligation 3)"),
        _item("vouching", "No treaty or feed is signed by an NA key that no longer vouches",
              [f.path for f in v.findings if f.code == "sig.outlives_key"], "re-issue under the current key"),
        _item("subject_keys", "Treaties pin their subjects' current NA keys",
              [f.path for f in v.findings if f.code in ("treaty.subject_keys_mismatch", "treaty.subject_key_retired")],
              "pins follow NA key successions"),
        _item("feeds", "Every member publishes a verified revocation feed",
              [s.id for s in sovs if s.feed is None or not s.feed.verified],
              "RFC-004: revocations are portable only through a feed"),
        _item("clean", "Verification reports no errors",
              sorted({f.path for f in v.findings if f.severity.value == "error"}), "handshake verify exits 0"),
        _item("change_channel", "A change channel is published",
              [] if v.coalition.change_channel else ["coalition.json"], "where announced changes appear"),
        _item("notice", "Notice commitments are published",
              [] if v.coalition.notice_commitments else ["coalition.json"], "how much notice members get"),
        _item("redaction", "No private key material is published",
              [f.path for f in v.findings if f.code.startswith("redaction.")], "redaction scan (RFC-007 obligation 8)"),
        _item("reachable", "Operators' endpoints answer", None, "",
              "not computable from published material: a static site cannot attest liveness"),
        _item("backups", "Backups keep each sovereign's identity", None, "",
              "not computable here: compare root keys over the repository's history (handshake history)"),
    ]
    if "layout.no_sovereigns" in codes:
        items[1]["status"] = "fail"
    return items
