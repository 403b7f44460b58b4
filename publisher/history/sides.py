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
from pathlib import Path

from publisher import gitrepo
from publisher.history.compare import Memory, compare_sovereign
from publisher.history.model import Change, SovereignView
from publisher.history.views import build_view, needs_content, parse_document
from publisher.history.walk import CHECKS
from publisher.layout import split_sovereign_path
from publisher.limits import DEFAULT_LIMITS, read_bounded

SIDE_NOTE = " (against a branch merged in off the first-parent line)."


def side_attacks(root: str | Path, commit: str, known: Iterable[tuple[str, str, str]],
                 blobs: gitrepo.BlobReader) -> list[Change]:
    """Attacks in effect at `commit` against states only merged branches showed, stamped with
    `commit` and its time; none when the first-parent chain holds every ancestor, which costs
    one `git rev-list` (raises GitError)."""
    if not gitrepo.first_parent_merges(root, commit):
        return []
    time = gitrepo.commit_info(root, commit).time
    chain = set(gitrepo.first_parent_chain(root, commit))
    memory: dict[str, Memory] = {}
    folders = _Folders(blobs)
    for entry in gitrepo.iter_all_log(root, commit, ["sovereigns"]):
        if entry.commit.sha in chain:
            continue
        touched = {split[0] for c in entry.changes if (split := split_sovereign_path(c.path)) is not None}
        for sid in sorted(touched):
            view = folders.view(entry.commit.sha, sid, fresh=True)
            if view is not None:
                memory.setdefault(sid, Memory()).remember(view)
    heads = {sid: folders.view(commit, sid, fresh=False) for sid in memory}
    seen, out = set(known), []
    for sid in sorted(memory):
        head = heads[sid]
        if head is None:
            continue                        # a removed sovereign: the walk reports the removal
        for change in compare_sovereign(head, head, memory[sid], when=time):
            key = (change.code, change.sovereign, change.subject)
            if change.code in CHECKS and change.code != "change.root_key_changed" and key not in seen:
                seen.add(key)
                out.append(Change(change.code, change.sovereign, change.path, change.sentence.rstrip(".") + SIDE_NOTE,
                                  change.subject).at(commit, time))
    return out


class _Folders:
    """Sovereign folders at any commit, read as git objects through the one `cat-file --batch`
    (no process per commit); a folder whose tree was already read is not read again. One folder
    lists at most MAX_PATHS paths, and all of them together the whole log's bound: a branch of
    many commits, each folder just under the first bound, would otherwise be listed without end."""

    def __init__(self, blobs: gitrepo.BlobReader) -> None:
        self._blobs = blobs
        self._seen: set[str] = set()
        self._listed = 0            # paths listed by every folder walked so far

    def view(self, commit: str, sid: str, *, fresh: bool) -> SovereignView | None:
        """The view of sovereigns/<sid>/ at `commit`; None when it is absent, or (`fresh`) when
        that exact tree was read before (what it shows is already remembered)."""
        width = len(commit) // 2
        tree = self._tree_id(self._read(commit), b"tree ")
        for name in ("sovereigns", sid):
            tree = next((oid for mode, entry, oid in _rows(self._read(tree), width)
                         if entry == name and mode == "40000"), None) if tree else None
        if tree is None or (fresh and tree in self._seen):
            return None
        self._seen.add(tree)
        files: dict[str, str | None] = {}
        self._list(tree, f"sovereigns/{sid}", files, width)
        wanted = {path: oid for path, oid in files.items() if oid is not None}
        data = _read(self._blobs, wanted)
        return build_view(sid, {path: parse_document(data[path]) if path in data else None for path in files})

    def _read(self, oid: str) -> bytes:
        return self._blobs.read_many([oid]).get(oid, b"")

    @staticmethod
    def _tree_id(commit: bytes, prefix: bytes) -> str | None:
        first = commit.split(b"\n", 1)[0]
        return first[len(prefix):].decode("ascii", "replace") if first.startswith(prefix) else None

    def _list(self, tree: str, prefix: str, files: dict[str, str | None], width: int) -> None:
        """Every file under `tree`, depth first in tree order, by a stack of its own: a pushed
        tree may nest deeper than Python's recursion limit."""
        stack = [(prefix, iter(_rows(self._read(tree), width)))]
        listed = 0                  # paths, folders included: a folder may repeat its own subtrees
        while stack:
            prefix, rows = stack[-1]
            row = next(rows, None)
            if row is None:
                stack.pop()
                continue
            listed += 1
            self._listed += 1
            if listed > gitrepo.MAX_PATHS:
                raise gitrepo.TooManyPaths(f"folder {prefix.split('/', 2)[1] if '/' in prefix else prefix}")
            if self._listed > gitrepo.LOG_PATHS_FACTOR * gitrepo.MAX_PATHS:
                raise gitrepo.TooManyPaths("the folders of merged branches",
                                           gitrepo.LOG_PATHS_FACTOR * gitrepo.MAX_PATHS)
            mode, name, oid = row
            path = f"{prefix}/{name}"
            if mode == "40000":
                stack.append((path, iter(_rows(self._read(oid), width))))
            elif mode != "160000":          # a submodule is no file
                readable = mode in gitrepo.REGULAR_FILE_MODES and needs_content(path)
                files[path] = oid if readable else None


def _rows(tree: bytes, width: int) -> list[tuple[str, str, str]]:
    """(mode, name, object id) of each entry of a raw git tree object (ids of `width` bytes:
    20 for SHA-1, 32 for SHA-256); a malformed tree is GitError, never a traceback."""
    rows, at = [], 0
    try:
        while at < len(tree):
            space, nul = tree.index(b" ", at), tree.index(b"\0", at)
            if nul + 1 + width > len(tree) or space > nul:
                raise ValueError("truncated entry")
            rows.append((tree[at:space].decode("ascii"), tree[space + 1:nul].decode("utf-8", "surrogateescape"),
                         tree[nul + 1:nul + 1 + width].hex()))
            at = nul + 1 + width
    except ValueError as exc:
        raise gitrepo.GitError(f"malformed tree object: {exc}") from exc
    return rows


def _read(blobs: gitrepo.BlobReader, ids: Mapping[str, str]) -> dict[str, bytes]:
    found = read_bounded(blobs.read_many, ids.items(), DEFAULT_LIMITS)
    return {path: found.get(oid, b"") for path, oid in ids.items()}
