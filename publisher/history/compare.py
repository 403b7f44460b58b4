"""Compare two trust views of one sovereign: the changes, each with a level and one sentence.

Pure. `compare_sovereign(before, after, memory)` is used by both the history walk (memory is
everything seen so far on the branch) and review (memory is the base's view), so a history
attack and a pull request are judged by the same rules. `Memory` only grows: the first root,
every revoked treaty id, the highest feed sequence, every revoked feed id, the latest
issued_at per signed file, the longest NA succession chain. Sentences are plain English,
quote ids shortened, and never contain time read from a clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from collections.abc import Iterable

from publisher.history.model import Change, SovereignView, TreatyView
from publisher.history.rotation import rotation_verifies
from publisher.timestamps import day_text, zulu

ROWS_FILE = "recognition-treaties.json"   # the issuer's treaty rows, beside the treaties/ folder


def short(value: str | None, width: int = 12) -> str:
    if value is None:
        return "none"
    return value if len(value) <= width else value[:width] + "\u2026"


def day(moment: datetime | None) -> str:
    return day_text(moment) if moment else "an unreadable date"


def stamp(moment: datetime | None) -> str:
    return zulu(moment) if moment else "an unreadable time"


def roles_text(roles: Iterable[str]) -> str:
    roles = sorted(roles)
    return ", ".join(roles) if roles else "no role"


@dataclass
class Memory:
    """What one sovereign's history has shown so far (monotone: values only grow)."""

    first_root: str | None = None
    revoked: set[str] = field(default_factory=set)
    feed_max: int | None = None
    feed_ids: set[str] = field(default_factory=set)
    issued: dict[str, datetime] = field(default_factory=dict)
    successions: tuple[str, ...] = ()

    @classmethod
    def of(cls, view: SovereignView | None) -> Memory:
        memory = cls()
        if view is not None:
            memory.remember(view)
        return memory

    def remember(self, view: SovereignView) -> None:
        if self.first_root is None and view.root_key:
            self.first_root = view.root_key
        self.revoked |= {tid for tid, t in view.treaties.items() if t.revoked}
        if view.feed is not None:
            self.feed_max = max(view.feed.sequence, self.feed_max if self.feed_max is not None else view.feed.sequence)
            self.feed_ids |= view.feed.ids
        for path, moment in view.issued.items():
            if path not in self.issued or moment > self.issued[path]:
                self.issued[path] = moment
        # The chain only grows: a rewritten chain is never adopted as the new reference.
        if len(view.successions) > len(self.successions) \
                and view.successions[: len(self.successions)] == self.successions:
            self.successions = view.successions


def _path(view: SovereignView, name: str) -> str:
    return f"sovereigns/{view.sovereign_id}/{name}"


def _root(before: SovereignView | None, after: SovereignView, memory: Memory, anchor: str | None) -> list[Change]:
    sid, old, new = after.sovereign_id, before.root_key if before else None, after.root_key
    reference = anchor or memory.first_root or old
    if new is None or new == old or reference is None:
        return []
    path = _path(after, "genesis.signed.json")
    if rotation_verifies(reference, after.rotations, sid, new):
        if new == reference:
            return []
        return [Change("change.root_key_rotated", sid, path,
                       f"{sid} rotated its root key from {short(old or reference)} to {short(new)}; "
                       f"the rotation records are signed by the old and the new root.", sid)]
    return [Change("change.root_key_changed", sid, path,
                   f"{sid}'s genesis now names root key {short(new)} instead of {short(reference)}, "
                   "and no rotation record signed by the old root leads to it.", sid)]


def _keys(before: SovereignView | None, after: SovereignView, memory: Memory) -> list[Change]:
    sid, out = after.sovereign_id, []
    if before and before.root_key == after.root_key and before.na_key and after.na_key \
            and before.na_key != after.na_key:
        out.append(Change("change.genesis_na_changed", sid, _path(after, "genesis.signed.json"),
                          f"{sid}'s genesis was re-signed with NA key {short(after.na_key)} instead of "
                          f"{short(before.na_key)}, not through a succession record.", sid))
    chain, seen = after.successions, memory.successions
    path = _path(after, "key-history.json")
    if chain[: len(seen)] != seen:
        out.append(Change("change.na_history_rewritten", sid, path,
                          f"{sid}'s NA key history no longer contains the {len(seen)} succession(s) it "
                          f"published; it now has {len(chain)}.", sid))
        return out
    for index in range(len(seen), len(chain)):
        out.append(Change("change.na_key_succeeded", sid, path,
                          f"{sid} added NA key #{index + 2} through a root-signed succession.", f"#{index + 2}"))
    old_rotations = {p for p, _ in before.rotations} if before else set()
    for rpath, record in after.rotations:
        if rpath not in old_rotations:
            reason = record.get("reason") if isinstance(record.get("reason"), str) else ""
            out.append(Change("change.rotation_added", sid, rpath,
                              f"{sid} published root rotation record {rpath.rsplit('/', 1)[-1]}"
                              + (f" ({reason[:80]})." if reason else "."), rpath))
    return out


def _scope(sid: str, path: str, label: str, old: TreatyView, new: TreatyView) -> list[Change]:
    out = []
    added = sorted(set(new.allowed_roles) - set(old.allowed_roles))
    removed = sorted(set(old.allowed_roles) - set(new.allowed_roles))
    if added:
        note = (" The old list was empty: no role for genesis-mesh >= 1.0, any role for a 0.52 verifier."
                if not old.allowed_roles else "")
        out.append(Change("change.scope_widened", sid, path,
                          f"{label} now also grants {roles_text(added)}.{note}", new.treaty_id))
    if removed and not new.allowed_roles:
        out.append(Change("change.scope_widened", sid, path,
                          f"{label} now has an empty allowed_roles: no role for genesis-mesh >= 1.0, "
                          f"but any role for a 0.52 verifier (it granted {roles_text(removed)}).", new.treaty_id))
    elif removed:
        out.append(Change("change.scope_narrowed", sid, path,
                          f"{label} no longer grants {roles_text(removed)}.", new.treaty_id))
    more = sorted(set(new.accepted_statuses) - set(old.accepted_statuses))
    fewer = sorted(set(old.accepted_statuses) - set(new.accepted_statuses))
    if more:
        out.append(Change("change.scope_widened", sid, path,
                          f"{label} now also accepts attestations with status {', '.join(more)}.", new.treaty_id))
    if fewer:
        out.append(Change("change.scope_narrowed", sid, path,
                          f"{label} no longer accepts attestations with status {', '.join(fewer)}.", new.treaty_id))
    if set(new.subject_keys) != set(old.subject_keys):
        out.append(Change("change.subject_keys_changed", sid, path,
                          f"{label} now trusts {len(new.subject_keys)} subject key(s) "
                          f"({', '.join(short(k) for k in new.subject_keys)}) instead of "
                          f"{', '.join(short(k) for k in old.subject_keys) or 'none'}.", new.treaty_id))
    return out


def _label(sid: str, treaty: TreatyView) -> str:
    return f"Treaty {short(treaty.treaty_id, 13)} ({sid} -> {treaty.subject})"


def _new_treaty(sid: str, path: str, new: TreatyView, known: dict[str, TreatyView]) -> list[Change]:
    label = _label(sid, new)
    if new.renew_of:
        return [Change("change.treaty_renewed", sid, path,
                       f"{label} renews {short(new.renew_of, 13)} until {day(new.expires_at)}.", new.treaty_id)]
    if new.replace_of:
        out = [Change("change.treaty_replaced", sid, path,
                      f"{label} replaces {short(new.replace_of, 13)}, granting {roles_text(new.allowed_roles)} "
                      f"until {day(new.expires_at)}.", new.treaty_id)]
        old = known.get(new.replace_of)
        return out + (_scope(sid, path, label, old, new) if old else [])
    return [Change("change.treaty_issued", sid, path,
                   f"{sid} now recognizes {new.subject} for {roles_text(new.allowed_roles)} until "
                   f"{day(new.expires_at)} (treaty {short(new.treaty_id, 13)}).", new.treaty_id)]


def _named_by_successor(treaty: TreatyView, known: dict[str, TreatyView]) -> bool:
    """Whether the treaty its row names as replacement says it renews or replaces this one (then
    the successor's change tells the story); a row may name a successor that does not."""
    successor = known.get((treaty.reason or "").split(":", 1)[-1])
    return successor is not None and treaty.treaty_id in (successor.renew_of, successor.replace_of)


def _lifecycle_path(path: str, rows: str, old: TreatyView | None, new: TreatyView) -> str:
    """The file a revocation (or its undoing) was written in: the issuer's row file `rows` when
    the row's status changed (the usual form, which leaves the treaty's document as it was),
    else the treaty's own document `path` (re-signed). A review's File column then names a file
    the pull request changed."""
    return rows if old is not None and old.row_status != new.row_status else path


def _treaty(sid: str, path: str, rows: str, old: TreatyView | None, new: TreatyView | None, memory: Memory,
            known: dict[str, TreatyView], when: datetime | None) -> list[Change]:
    if new is None:
        assert old is not None
        if old.revoked or old.treaty_id in memory.revoked:
            return [Change("change.treaty_removed", sid, path,
                           f"{_label(sid, old)} was removed after it had been revoked.", old.treaty_id)]
        if when is not None and old.expires_at is not None and old.expires_at <= when:
            return [Change("change.treaty_removed", sid, path,
                           f"{_label(sid, old)} was removed after it expired on {day(old.expires_at)}.",
                           old.treaty_id)]
        return [Change("change.treaty_deleted", sid, path,
                       f"{_label(sid, old)} was deleted while active instead of being revoked.", old.treaty_id)]
    label = _label(sid, new)
    was_revoked = (old is not None and old.revoked) or new.treaty_id in memory.revoked
    if was_revoked and not new.revoked:
        return [Change("change.treaty_unrevoked", sid, _lifecycle_path(path, rows, old, new),
                       f"{label} had been revoked and is {new.state} again.", new.treaty_id)]
    if old is None:
        return [] if new.revoked else _new_treaty(sid, path, new, known)
    out = []
    ended = new.state == "revoked" or (new.state == "replaced" and not _named_by_successor(new, known))
    if not old.revoked and ended:
        out.append(Change("change.treaty_revoked", sid, _lifecycle_path(path, rows, old, new),
                          f"{label} is revoked ({new.reason[:80] if new.reason else 'no reason given'}).",
                          new.treaty_id))
    elif old.state == "active" and new.state == "suspended":
        out.append(Change("change.treaty_suspended", sid, path, f"{label} is suspended.", new.treaty_id))
    elif old.state == "suspended" and new.state == "active":
        out.append(Change("change.treaty_resumed", sid, path, f"{label} is active again after a suspension.",
                          new.treaty_id))
    if new.revoked:
        return out
    if old.expires_at and new.expires_at and new.expires_at > old.expires_at:
        out.append(Change("change.validity_extended", sid, path,
                          f"{label} now expires on {day(new.expires_at)} instead of {day(old.expires_at)}.",
                          new.treaty_id))
    return out + _scope(sid, path, label, old, new)


def _treaties(before: SovereignView | None, after: SovereignView, memory: Memory, at: datetime | None,
              expiring_within: timedelta, when: datetime | None) -> list[Change]:
    sid, out = after.sovereign_id, []
    rows = _path(after, ROWS_FILE)
    old_all = dict(before.treaties) if before else {}
    known = {**old_all, **after.treaties}
    for tid in sorted(set(old_all) | set(after.treaties)):
        old, new = old_all.get(tid), after.treaties.get(tid)
        if new is not None and old is new and not (tid in memory.revoked and not new.revoked):
            continue        # the very view a walk's memo kept: `_treaty` finds nothing, nor the expiry note
        paths = after.treaty_paths if new else (before.treaty_paths if before else {})
        path = paths.get(tid, rows)
        found = _treaty(sid, path, rows, old, new, memory, known, when)
        out += found
        if at is not None and new is not None and not new.revoked and new.state == "active" \
                and new.expires_at and at < new.expires_at and new.expires_at - at <= expiring_within \
                and (found or old is None or old.expires_at != new.expires_at):
            out.append(Change("change.treaty_expiring", sid, path,
                              f"{_label(sid, new)} expires on {stamp(new.expires_at)}, within "
                              f"{expiring_within.days} days.", tid))
    return out


def _feed(before: SovereignView | None, after: SovereignView, memory: Memory) -> list[Change]:
    sid, feed, out = after.sovereign_id, after.feed, []
    path = _path(after, "revocation-feed.json")
    if feed is not None and memory.feed_max is not None and feed.sequence < memory.feed_max:
        out.append(Change("change.feed_sequence_decreased", sid, path,
                          f"{sid}'s revocation feed went back to sequence {feed.sequence} after "
                          f"{memory.feed_max} had been published.", sid))
    current = feed.ids if feed else frozenset()
    for gone in sorted(memory.feed_ids - current):
        out.append(Change("change.feed_entry_removed", sid, path,
                          f"{sid}'s revocation feed no longer revokes {short(gone, 40)}.", gone))
    earlier = (before.feed.ids if before and before.feed else frozenset()) | memory.feed_ids
    for added in sorted(current - earlier):
        out.append(Change("change.feed_entry_added", sid, path,
                          f"{sid}'s revocation feed now revokes {short(added, 40)}.", added))
    return out


def _roll_call(before: SovereignView | None, after: SovereignView) -> list[Change]:
    sid, out = after.sovereign_id, []
    path = _path(after, "roll-call.json")
    old = before.parties if before else {}
    if not old:
        # A first roll call lists who holds keys; that is news only for a managing partner.
        return [Change("change.rollcall_partner_added", sid, path, f"{name} is now a managing partner of {sid}.", name)
                for name, party in sorted(after.parties.items()) if "managing-partner" in party.roles]
    for name, party in sorted(after.parties.items()):
        previous = old.get(name)
        gained = sorted(set(party.holds_keys) - set(previous.holds_keys if previous else ()))
        if gained:
            out.append(Change("change.rollcall_keys_gained", sid, path,
                              f"{name} now holds {', '.join(gained)} key(s) for {sid}.", name))
        if "managing-partner" in party.roles and (previous is None or "managing-partner" not in previous.roles):
            out.append(Change("change.rollcall_partner_added", sid, path,
                              f"{name} is now a managing partner of {sid}.", name))
        elif previous is None and not gained:
            out.append(Change("change.rollcall_changed", sid, path,
                              f"{name} joins {sid}'s roll call as {', '.join(party.roles) or 'a party'}.", name))
        elif previous is not None and not gained and set(previous.roles) != set(party.roles):
            out.append(Change("change.rollcall_changed", sid, path,
                              f"{name}'s roles for {sid} are now {', '.join(party.roles) or 'none'}.", name))
    for name in sorted(set(old) - set(after.parties)):
        out.append(Change("change.rollcall_changed", sid, path, f"{name} left {sid}'s roll call.", name))
    if before and after.threshold < before.threshold:
        out.append(Change("change.rollcall_threshold_lowered", sid, path,
                          f"{sid}'s roll call lowers its signature threshold from {before.threshold} to "
                          f"{after.threshold}: fewer NA keys now suffice to sign its treaties and feed.", sid))
    elif before and after.threshold > before.threshold:
        out.append(Change("change.rollcall_changed", sid, path,
                          f"{sid}'s roll call raises its signature threshold from {before.threshold} to "
                          f"{after.threshold}.", sid))
    if before and before.custody and after.custody and before.custody != after.custody:
        out.append(Change("change.rollcall_changed", sid, path,
                          f"{sid}'s custody model changed from {before.custody} to {after.custody}.", sid))
    return out


def _issued(after: SovereignView, memory: Memory) -> list[Change]:
    out = []
    for path, moment in sorted(after.issued.items()):
        latest = memory.issued.get(path)
        if latest is not None and moment < latest:
            out.append(Change("change.issued_at_regressed", after.sovereign_id, path,
                              f"{path.rsplit('/', 1)[-1]} was replaced by a version issued at {stamp(moment)}, "
                              f"older than the {stamp(latest)} version already published.", path))
    return out


def compare_sovereign(before: SovereignView | None, after: SovereignView | None, memory: Memory, *,
                      anchor: str | None = None, at: datetime | None = None,
                      expiring_within: timedelta = timedelta(days=30), when: datetime | None = None) -> list[Change]:
    """Changes from `before` to `after` of one sovereign (None: the folder does not exist).

    `anchor` is the pinned root (trust.lock), else the first root `memory` saw; `at` enables
    the expiring-soon notes (review), None leaves them out (history). `when` is the time of the
    change (the commit time; default `at`): a treaty deleted after it expired is not an attack.
    """
    if after is None:
        if before is None:
            return []
        return [Change("change.sovereign_removed", before.sovereign_id, f"sovereigns/{before.sovereign_id}",
                       f"{before.sovereign_id} was removed with everything it published.", before.sovereign_id)]
    out = []
    if before is None:
        out.append(Change("change.sovereign_added", after.sovereign_id, f"sovereigns/{after.sovereign_id}",
                          f"{after.sovereign_id} joins with root key {short(after.root_key)}.", after.sovereign_id))
    out += _root(before, after, memory, anchor)
    out += _keys(before, after, memory)
    out += _treaties(before, after, memory, at, expiring_within, when or at)
    out += _feed(before, after, memory)
    out += _roll_call(before, after)
    out += _issued(after, memory)
    return out
