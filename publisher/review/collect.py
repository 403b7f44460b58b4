"""Review's I/O edge: read only what a change touches, at the base and at the head.

`git diff --raw BASE HEAD` names the changed paths; the folders of the sovereigns they touch
are listed with one `ls-tree` per commit and read through one `cat-file --batch` process
with a cache by blob id (an unchanged file is read once for both commits). Verification runs
per affected sovereign (`verify_sovereign`, pure) plus the coalition-stage checks on plain
mappings; treaty subjects contribute only what their keys are built from. Cost follows the
changed files, not the repository, and, where a change touches a sovereign's key files, the
folders that name that sovereign (review/referrers.py).
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from publisher import gitrepo
from publisher.findings import Finding
from publisher.gitsource import GitSource
from publisher.history.repository import pins
from publisher.history.views import needs_content, parse_document
from publisher.jsonshape import arr, obj
from publisher.layout import COALITION_FILE, LOCK_FILE, GENESIS_FILE, split_sovereign_path, undecodable
from publisher.limits import DEFAULT_LIMITS, Limits, read_bound, read_bounded
from publisher.model import Sovereign
from publisher.review.analysis import Review, build_review
from publisher.review.referrers import SUBJECT_PATHS, ReferrerSearch, folder_name, keyed_sovereigns, searchable
from publisher.verify import coalition as stage
from publisher.verify import load_root_json, loose_findings, not_regular, root_files
from publisher.verify.dispatch import failed
from publisher.source import Entry, group_by_sovereign
from publisher.verify.sovereign import SovereignResult, split_undecodable, verify_sovereign


class _Parsed:
    """Parsed documents by blob id: a file unchanged between base and head (trust.lock and
    coalition.json, a megabyte each at 10,000 sovereigns, in most reviews) is parsed once.
    A blob past its size bound is never read (git stores gigabytes of spaces in a few
    megabytes, so a pull request can add them for free): its document is None."""

    def __init__(self, limits: Limits) -> None:
        self._by_blob: dict[tuple[str, str], Any] = {}
        self._limits = limits

    def get(self, source: GitSource, path: str) -> Any:
        blob = source.blob_id(path)
        if blob is None:
            return None
        key = (blob, path)         # the path too: it decides the limits a document is read under
        if key not in self._by_blob:
            data = source.read_objects([blob], max_bytes=read_bound(self._limits, path)).get(blob)
            self._by_blob[key] = parse_document(data, self._limits, path=path)
        return self._by_blob[key]


def _documents(source: GitSource, sovereigns: list[str], coalition_changed: bool, parsed: _Parsed,
               limits: Limits) -> dict[str, Any]:
    """path -> parsed document (None for files a view does not read) for the affected folders."""
    paths = [e.path for sid in sovereigns for e in source.entries(f"sovereigns/{sid}")
             if e.type == "file" and not undecodable(e.path)]
    paths += [p for p in (LOCK_FILE,) + ((COALITION_FILE,) if coalition_changed else ()) if source.blob_id(p)]
    wanted = {p for p in paths if needs_content(p)}     # a set: a change may touch 190,000 paths
    # One cat-file round trip per size bound, into the source's cache, which parsed.get reads.
    read_bounded(source.read_objects, [(p, blob) for p in sorted(wanted) if (blob := source.blob_id(p))], limits)
    return {p: (parsed.get(source, p) if p in wanted else None) for p in paths}


def _subjects(source: GitSource, results: list[SovereignResult], affected: set[str], limits: Limits,
              lock_pins: dict[str, str]) -> dict[str, Sovereign]:
    """Key material of the sovereigns the changed folders pin keys for or name, outside the
    change: their treaties' subjects, their recognition policies' issuers, and the sovereigns a
    document no key of its own verifies names (whose key may explain it: `sig.foreign_key`).
    Their findings are not reported."""
    named = {t.subject for r in results for t in r.sovereign.treaties}
    named |= {sid for r in results for u in r.unexplained for sid in u.mentioned}
    named |= {issuer["sovereign_id"] for r in results for issuer in arr(obj(r.sovereign.recognition_policy)
              .get("recognized_issuers")) if isinstance(issuer, dict) and isinstance(issuer.get("sovereign_id"), str)}
    names = sorted({sid for sid in named if folder_name(sid)} - affected)
    paths = {sid: [f"sovereigns/{sid}/{name}" for name in SUBJECT_PATHS] for sid in names}
    source.prefetch([p for group in paths.values() for p in group])
    out = {}
    for sid, group in paths.items():
        entries = [e for p in group for e in source.entries(p)]
        if entries:
            out[sid] = verify_sovereign(sid, entries, source.read, lock_pins.get(sid), limits).sovereign
    return out


def _verify(source: GitSource, sovereigns: list[str], members: _Members, reviewed: set[str], at: datetime,
            limits: Limits, lock_raw: Any, lock_pins: dict[str, str], coalition_raw: Any
            ) -> tuple[list[Finding], dict[str, Sovereign]]:
    """The findings on the changed folders, and their models (by id); `members` are read only
    for their membership."""
    results, refused = _results(source, sovereigns, lock_pins, limits)
    out = refused + [f for r in results for f in r.findings]
    models = {r.sovereign.id: r.sovereign for r in results}
    try:
        present = members.models(source)
        return _across(out, source, results, present, reviewed, at, limits, lock_pins, lock_raw,
                       coalition_raw), models
    except gitrepo.GitError:
        raise                 # git itself failed (reading the subjects): `handshake review` says so, exit 2
    except Exception as exc:  # boundary: report, never crash, as verify does
        return [*out, stage.stage_failure(exc)], models


def _results(source: GitSource, sovereigns: list[str], lock_pins: dict[str, str],
             limits: Limits) -> tuple[list[SovereignResult], list[Finding]]:
    """Each folder's result, and the refusal of each name that is not UTF-8 (no model)."""
    folders, refused = _folders(source, sovereigns)
    return [_verified(source, sid, folders[sid], lock_pins.get(sid), limits)
            for sid in sovereigns if sid in folders], refused


def _folders(source: GitSource, sovereigns: list[str]) -> tuple[dict[str, list[Entry]], list[Finding]]:
    """The entries of each of `sovereigns` that has a folder at this commit, grouped as verify
    groups them (a file or link named sovereigns/<id> is no folder: verify gives it no model),
    and the refusal of each name that is not UTF-8."""
    source.prefetch([f"sovereigns/{sid}" for sid in sovereigns])
    listed, refused = split_undecodable([e for sid in sovereigns for e in source.entries(f"sovereigns/{sid}")])
    return group_by_sovereign(listed)[0], refused


class _Members:
    """The sovereigns whose only change is their coalition.json entry (a member added, dropped
    or re-pinned; every folder when coalition.json comes or goes), read for membership and
    trust.lock coverage only: those checks ask whether the folder exists and what its genesis
    hashes to, nothing else. So only the genesis is read, as the folder's verification reads it
    (the same entry, under the same bounds), and checked once for both commits where it is the
    same blob. Verifying such folders whole made a review of a coalition.json removed at
    10,000 sovereigns a cold verify of both commits (72 s, 2.2 GB)."""

    def __init__(self, ids: list[str], limits: Limits) -> None:
        self.ids = ids
        self._limits = limits
        self._known: dict[tuple[str, tuple[Entry, ...]], Sovereign] = {}

    def models(self, source: GitSource) -> dict[str, Sovereign]:
        if not self.ids:
            return {}
        genesis = {sid: tuple(e for e in entries[:self._limits.max_files_per_sovereign]
                              if e.path == f"sovereigns/{sid}/{GENESIS_FILE}")
                   for sid, entries in _folders(source, self.ids)[0].items()}
        unread = {(sid, found) for sid, found in genesis.items() if (sid, found) not in self._known}
        read_bounded(source.read_objects, [(e.path, blob) for _, found in unread for e in found
                                           if e.type == "file" and (blob := source.blob_id(e.path))], self._limits)
        for sid, found in unread:
            self._known[(sid, found)] = verify_sovereign(sid, list(found), source.read, None, self._limits).sovereign
        return {sid: self._known[(sid, found)] for sid, found in genesis.items()}


def _referrer_findings(source: GitSource, referrers: list[str], keyed: list[str], changed: dict[str, Sovereign],
                       limits: Limits, lock_pins: dict[str, str]) -> list[Finding]:
    """What verification says of the referrers' treaties and policies toward the keyed
    sovereigns (see review/referrers.py), on this side's models of both: the keys they pin,
    and whether a keyed sovereign's key explains a signature nothing else verifies (verify's
    `sig.foreign_key`, or else its `sig.invalid`). Their other findings are the same on both
    sides and left out."""
    if not referrers:
        return []
    try:
        named = set(keyed)
        results = [dataclasses.replace(r, unexplained=tuple(u for u in r.unexplained if named & set(u.mentioned)))
                   for r in _results(source, referrers, lock_pins, limits)[0]]
        models = {r.sovereign.id: r.sovereign for r in results}
        everyone = stage.crossings({**models, **{sid: changed[sid] for sid in keyed if sid in changed}})
        unexplained = {u.path for r in results for u in r.unexplained}
        foreign, replaced = stage.check_foreign_signers(map(stage.result_crossing, results), everyone)
        invalid = [f for r in results for f in r.findings if f.code == "sig.invalid" and f.path in unexplained
                   and (f.path, f.pointer) not in replaced]
        return invalid + foreign + stage.check_cross_references(everyone, issuers=referrers, subjects=named)
    except gitrepo.GitError:
        raise                 # git itself failed: `handshake review` says so, exit 2
    except Exception as exc:  # boundary: report, never crash, as verify does
        return [stage.stage_failure(exc)]


def _verified(source: GitSource, sovereign_id: str, entries: list[Entry], pin: str | None,
              limits: Limits) -> SovereignResult:
    """One folder's result; an unexpected exception is its `internal.check_failed`, as in verify."""
    try:
        return verify_sovereign(sovereign_id, entries, source.read, pin, limits)
    except gitrepo.GitError:
        raise                 # git itself failed: `handshake review` says so, exit 2
    except Exception as exc:  # boundary: report, never crash (see publisher.verify)
        return failed(sovereign_id, pin, exc)


def _across(out: list[Finding], source: GitSource, results: list[SovereignResult], present: dict[str, Sovereign],
            reviewed: set[str], at: datetime, limits: Limits, lock_pins: dict[str, str], lock_raw: Any,
            coalition_raw: Any) -> list[Finding]:
    """`out` with the coalition-stage checks on the affected sovereigns and their treaties'
    subjects (a foreign signer's finding replaces the folder's `sig.invalid`), and the pin and
    membership checks on every `reviewed` id (a removed folder's stale pin and missing member
    included; `present` adds the folders read for their membership only)."""
    affected = {r.sovereign.id: r.sovereign for r in results}
    listed = {**present, **affected}
    everyone = stage.crossings({**_subjects(source, results, set(affected), limits, lock_pins), **affected})
    out = out + stage.check_cross_references(everyone)
    foreign, replaced = stage.check_foreign_signers(map(stage.result_crossing, results), everyone)
    out = [f for f in out if not (f.code == "sig.invalid" and (f.path, f.pointer) in replaced)] + foreign
    out += stage.check_time(affected, at)
    out += stage.check_lock_coverage(lock_raw is not None, {s: p for s, p in lock_pins.items() if s in reviewed},
                                     listed)
    if isinstance(coalition_raw, dict):
        # Only the reviewed members: validating a 10,000-member coalition.json per review would
        # make cost follow the repository (coalition.json's own changes are compared separately).
        members = coalition_raw.get("members")
        entries = members if isinstance(members, list) else []
        at_index = [i for i, m in enumerate(entries) if isinstance(m, dict)
                    and isinstance(m.get("sovereign_id"), str) and m["sovereign_id"] in reviewed]
        coalition, _ = stage.build_coalition({**coalition_raw, "members": [entries[i] for i in at_index]},
                                             sorted(listed))
        # Each finding points at the member's entry in the whole file, as verify's does.
        coalition = dataclasses.replace(coalition, members=tuple(
            dataclasses.replace(m, index=at_index[m.index]) if m.index is not None else m for m in coalition.members))
        out += stage.check_membership(coalition, stage.crossings(listed))
    return out


def _root_files(source: GitSource, changed: set[str], limits: Limits) -> list[Finding]:
    """verify's own findings on trust.lock and coalition.json (unreadable, schema, duplicate
    members, unsafe links, no coalition.json), for those the change touches, read as verify
    reads them: a member's id made a list is `doc.malformed` there, whichever member it is. An
    untouched file gives the same findings on both sides, so it is not read whole (at 10,000
    sovereigns each is a megabyte). One that is not a regular file is _outside_folders'."""
    out: list[Finding] = []
    try:
        listed = {e.path: e for path in sorted(changed) for e in root_files(source.entries(path), path)
                  if e.type == "file"}
        if LOCK_FILE in changed:
            out += stage.parse_lock(load_root_json(source, listed, LOCK_FILE, limits, out))[1]
        if COALITION_FILE in changed:
            out += stage.build_coalition(load_root_json(source, listed, COALITION_FILE, limits, out), [])[1]
    except gitrepo.GitError:
        raise                 # git itself failed: `handshake review` says so, exit 2
    except Exception as exc:  # boundary: report, never crash, as verify does
        out.append(stage.stage_failure(exc))
    return out


def _outside_folders(source: GitSource, loose: list[str]) -> list[Finding]:
    """verify's findings for what is not in a sovereign folder: the changed paths that are
    `sovereigns` itself or lie directly in it (a file, a link, a git submodule named like a
    sovereign folder), and trust.lock or coalition.json that is not a regular file. A path that
    is a folder at this commit is a sovereign folder (or sovereigns/), listed by nobody here."""
    rows = gitrepo.top_level(source.root, source.commit, loose) if loose else []
    named = [row.path for row in rows if row.type != "tree"]
    source.prefetch(named)
    listed, out = split_undecodable([e for path in named for e in source.entries(path)])
    out += loose_findings(listed)
    for path in (LOCK_FILE, COALITION_FILE):
        out += [not_regular(e) for e in root_files(source.entries(path), path) if e.type != "file"]
    return out


def _member_entries(coalition_raw: Any) -> dict[str, Any] | None:
    """coalition.json's member entries by id (each id's first), or None when it declares none."""
    if not isinstance(coalition_raw, dict):
        return None
    members = coalition_raw.get("members")
    out: dict[str, Any] = {}
    for item in members if isinstance(members, list) else []:
        if isinstance(item, dict) and isinstance(item.get("sovereign_id"), str):
            out.setdefault(item["sovereign_id"], item)
    return out


def _moved(sources: dict[str, GitSource], lock_pins: dict[str, dict[str, str]],
           coalitions: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The sovereigns whose pin (trust.lock) or member entry (coalition.json) the change rewrote,
    though their folders may be untouched: a new pin changes the root a folder is verified
    under, a member added, dropped or re-pinned changes what membership says of it. Returns
    (every such id, those whose pin moved). A coalition.json added or removed changes every
    folder's membership."""
    before, after = lock_pins["base"], lock_pins["head"]
    repinned = {sid for sid in before.keys() | after.keys() if before.get(sid) != after.get(sid)}
    old, new = _member_entries(coalitions["base"]), _member_entries(coalitions["head"])
    moved = set(repinned)
    if old is not None and new is not None:
        moved |= {sid for sid in old.keys() | new.keys() if old.get(sid) != new.get(sid)}
    elif old is not None or new is not None:
        moved |= set(old or new or {}) | {row.path.split("/", 1)[1] for source in sources.values()
                                          for row in gitrepo.top_level(source.root, source.commit, ["sovereigns/"])}
    return moved, repinned


def collect_review(root: str | Path, base_ref: str, head_ref: str = "HEAD", *, at: datetime | None = None,
                   use_merge_base: bool = False, expiring_within: timedelta = timedelta(days=30),
                   limits: Limits = DEFAULT_LIMITS) -> Review:
    """Review the trust changes from `base_ref` to `head_ref` (raises gitrepo.GitError)."""
    head, base = gitrepo.resolve_many(root, [head_ref, base_ref])
    if use_merge_base:
        base = gitrepo.merge_base(root, base, head)
    when = at or gitrepo.commit_info(root, head).time
    changed = gitrepo.diff_raw(root, base, head)
    folders = {s[0] for c in changed if (s := split_sovereign_path(c.path))}
    coalition_changed = any(c.path == COALITION_FILE for c in changed)
    changed_roots = {c.path for c in changed} & {LOCK_FILE, COALITION_FILE}
    loose = sorted({c.path for c in changed if not split_sovereign_path(c.path)} - {LOCK_FILE, COALITION_FILE})
    reader, cache, parsed = gitrepo.BlobReader(root), dict[str, bytes](), _Parsed(limits)
    search = None
    try:
        sources = {name: GitSource(root, commit, blobs=reader, cache=cache)
                   for name, commit in (("base", base), ("head", head))}
        locks, coalitions = {}, {}
        for name, source in sources.items():
            source.prefetch([LOCK_FILE, COALITION_FILE])
            locks[name], coalitions[name] = parsed.get(source, LOCK_FILE), parsed.get(source, COALITION_FILE)
        lock_pins = {name: pins(lock) for name, lock in locks.items()}
        moved, repinned = _moved(sources, lock_pins, coalitions) if changed_roots else (set(), set())
        reviewed = folders | moved              # whose pin and membership are checked
        sovereigns = sorted(folders | {sid for sid in repinned if searchable(sid)})
        members = _Members(sorted({sid for sid in moved - repinned - folders if searchable(sid)}), limits)
        named = [sid for sid in sovereigns if not undecodable(sid)]   # the others: one finding each, no model
        keyed = sorted(set(keyed_sovereigns(c.path for c in changed)) | (repinned & set(sovereigns)))
        search = ReferrerSearch(str(root), base, keyed)   # it runs beside what follows
        docs, findings, models = {}, {}, {}
        for name, source in sources.items():
            source.prefetch([f"sovereigns/{sid}" for sid in sovereigns + members.ids])
            docs[name] = _documents(source, named, coalition_changed, parsed, limits)
            findings[name], models[name] = _verify(source, sovereigns, members, reviewed, when, limits,
                                                   locks[name], lock_pins[name], coalitions[name])
            findings[name] += _outside_folders(source, loose) + _root_files(source, changed_roots, limits)
        referrers = search.folders(sources["base"], sovereigns, limits)
        for name, source in sources.items():
            findings[name] += _referrer_findings(source, referrers, keyed, models[name], limits, lock_pins[name])
        stats = {"blobs_read": reader.requests, "changed_paths": len(changed), "referrers": len(referrers)}
    finally:
        if search is not None:
            search.close()
        reader.close()
    return build_review(base, head, when, docs["base"], docs["head"], named + members.ids, findings["base"],
                        findings["head"], changed_paths=len(changed), expiring_within=expiring_within,
                        stats=stats)
