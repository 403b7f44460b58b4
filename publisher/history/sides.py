"""Merged branches: the attacks a first-parent walk cannot see, checked at the head.

The history walk follows first parents, which is the published line only when every merge
kept it first. A branch that forks from an old commit and merges the main line with its own
tree kept (`git merge -s ours main`, then a fast-forward push) would leave a revocation, a
feed sequence or a newer document only on a second parent, and their loss unreported. So
every commit reachable from the head but off the first-parent chain adds what it showed to a
per-sovereign `Memory` (high-water marks: they do not depend on order), and the head is
compared against it. Only the attack codes the walk keeps open are reported; root keys are
left to the walk (a merge that changes the root key changes it against its first parent).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher import gitrepo
from publisher.history.compare import Memory, compare_sovereign
from publisher.history.model import Change
from publisher.history.views import build_view, needs_content, parse_document
from publisher.history.walk import CHECKS
from publisher.layout import split_sovereign_path
from publisher.limits import DEFAULT_LIMITS, read_bound

SIDE_NOTE = " (against a branch merged in off the first-parent line)."


def side_attacks(root: str | Path, commit: str, time: datetime, known: Iterable[tuple[str, str, str]],
                 blobs: gitrepo.BlobReader) -> list[Change]:
    """Attacks in effect at `commit` against states only merged branches showed, stamped with
    `commit`; none when the first-parent chain holds every ancestor (raises GitError)."""
    if not gitrepo.first_parent_merges(root, commit):
        return []
    chain = set(gitrepo.first_parent_chain(root, commit))
    memory: dict[str, Memory] = {}
    for entry in gitrepo.iter_all_log(root, commit, ["sovereigns"]):
        if entry.commit.sha in chain:
            continue
        touched = {split[0] for c in entry.changes if (split := split_sovereign_path(c.path)) is not None}
        if touched:
            for sid, view in _views(root, entry.commit.sha, touched, blobs).items():
                memory.setdefault(sid, Memory()).remember(view)
    if not memory:
        return []
    heads = _views(root, commit, set(memory), blobs)
    seen, out = set(known), []
    for sid in sorted(memory):
        head = heads.get(sid)
        if head is None:
            continue                        # a removed sovereign: the walk reports the removal
        for change in compare_sovereign(head, head, memory[sid], when=time):
            key = (change.code, change.sovereign, change.subject)
            if change.code in CHECKS and change.code != "change.root_key_changed" and key not in seen:
                seen.add(key)
                out.append(Change(change.code, change.sovereign, change.path, change.sentence.rstrip(".") + SIDE_NOTE,
                                  change.subject).at(commit, time))
    return out


def _views(root: str | Path, commit: str, sovereigns: set[str], blobs: gitrepo.BlobReader) -> dict[str, Any]:
    """The views of `sovereigns` at `commit` (one ls-tree of sovereigns/, filtered here: a
    folder name is never a pathspec)."""
    folders: dict[str, dict[str, Any]] = {}
    wanted: dict[str, tuple[str, str]] = {}
    for row in gitrepo.ls_tree(root, commit, ["sovereigns"]):
        split = split_sovereign_path(row.path)
        if split is None or split[0] not in sovereigns or row.type != "blob":
            continue
        folder = folders.setdefault(split[0], {})
        folder[row.path] = None
        if row.mode in gitrepo.REGULAR_FILE_MODES and needs_content(row.path):
            wanted[row.path] = (row.object_id, split[0])
    data = _read(blobs, {path: oid for path, (oid, _) in wanted.items()})
    for path, (_, sid) in wanted.items():
        folders[sid][path] = parse_document(data.get(path))
    return {sid: build_view(sid, docs) for sid, docs in folders.items()}


def _read(blobs: gitrepo.BlobReader, ids: Mapping[str, str]) -> dict[str, bytes]:
    by_bound: dict[int, list[str]] = {}
    for path, oid in ids.items():
        by_bound.setdefault(read_bound(DEFAULT_LIMITS, path), []).append(oid)
    found: dict[str, bytes] = {}
    for bound, oids in by_bound.items():
        found.update(blobs.read_many(oids, max_bytes=bound))
    return {path: found.get(oid, b"") for path, oid in ids.items()}
