"""A `publisher.source.Source` over one git commit: the tree as committed, not the checkout.

Listing is one `git ls-tree -r -l` call; bytes come from one shared `git cat-file --batch`
process (see `publisher.gitrepo.BlobReader`), cached by blob id, so the same blob at two
commits is read once. Symbolic links are listed with whether their target leaves the tree and
are never read through; submodules are `other`. Picklable: a worker process re-opens its own
cat-file process.
"""
from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from publisher import gitrepo
from publisher.layout import TRUST_PATHS
from publisher.source import Entry


# The longest symbolic link target a file system takes (PATH_MAX, its NUL included). A link is a
# blob, which git bounds by nothing.
LINK_MAX = 4096
# From this many folders of one parent, `prefetch` lists the parent whole: git matches every
# entry it meets against every path asked for, so listing folders by name grows with the square
# of their number (at 10,000 sovereigns: 4,000 folders by name 1.1 s, all 10,000 by name 3.9 s,
# the whole of sovereigns/ 1.7 s).
WHOLE_PARENT_AT = 2_000


def _escapes(path: str, target: str) -> bool:
    if target.startswith("/"):
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(path), target))
    return resolved == ".." or resolved.startswith("../")


class GitSource:
    """The files of `commit` in the repository at `root`."""

    def __init__(self, root: str | Path, commit: str, *, blobs: gitrepo.BlobReader | None = None,
                 cache: dict[str, bytes] | None = None) -> None:
        self.root = Path(root)
        self.commit = gitrepo.resolve(root, commit)
        self._blobs = blobs
        self._cache: dict[str, bytes] = cache if cache is not None else {}
        self._listed: dict[str, dict[str, gitrepo.TreeEntry]] = {}
        self._ids: dict[str, str] = {}

    def fingerprint(self) -> str:
        """The git ids of everything verification reads (the `sovereigns` tree, the two root
        files), so a cache can recognise a commit it has verified without listing it."""
        rows = gitrepo.top_level(self.root, self.commit, list(TRUST_PATHS))
        return repr([(row.path, row.mode, row.type, row.object_id) for row in rows])

    def forget(self) -> None:
        """Drop the blob bytes kept so far (a verification worker reads each blob once; keeping
        them all held ~200 MB per worker at 10,000 sovereigns)."""
        self._cache.clear()

    def describe(self) -> str:
        return f"{self.root}@{self.commit[:12]}"

    @property
    def blobs(self) -> gitrepo.BlobReader:
        if self._blobs is None:
            self._blobs = gitrepo.BlobReader(self.root)
        return self._blobs

    def root_names(self) -> list[str]:
        """The names at the top of the commit's tree (one ls-tree of the root tree object; none
        when git cannot list it, which the listing of the trust paths reports)."""
        try:
            return [row.path for row in gitrepo.top_level(self.root, self.commit, [])]
        except gitrepo.GitError:
            return []

    def tree(self, prefix: str = "") -> list[gitrepo.TreeEntry]:
        """Raw ls-tree rows under `prefix` (one git call per prefix, remembered)."""
        if prefix not in self._listed:
            rows = gitrepo.ls_tree(self.root, self.commit, [prefix] if prefix else ["."])
            self._listed[prefix] = {row.path: row for row in rows}
            for row in rows:
                if row.type == "blob":
                    self._ids[row.path] = row.object_id
        return list(self._listed[prefix].values())

    def prefetch(self, prefixes: list[str]) -> None:
        """List several folders with one ls-tree call (review lists only affected sovereigns)."""
        wanted = [p.rstrip("/") for p in prefixes if p.rstrip("/") not in self._listed]
        if not wanted:
            return
        rows = self._rows_under(wanted)
        for prefix in wanted:
            self._listed[prefix] = {}
        asked = set(wanted)
        for row in rows:
            # The row's own path and each folder above it, among those asked for: one set
            # lookup a level, so listing a thousand folders is not a thousand tests a row.
            parts = row.path.split("/")
            kept = False
            for depth in range(1, len(parts) + 1):
                prefix = "/".join(parts[:depth])
                if prefix in asked:
                    self._listed[prefix][row.path] = row
                    kept = True
            if kept and row.type == "blob":
                self._ids[row.path] = row.object_id

    def _rows_under(self, wanted: list[str]) -> list[gitrepo.TreeEntry]:
        """The ls-tree rows under `wanted`; where thousands of them are folders of one parent,
        that parent listed whole instead (the caller keeps only the rows it asked for)."""
        children: dict[str, int] = {}
        for path in wanted:
            parent, _, name = path.rpartition("/")
            if parent and "/" not in parent and name:
                children[parent] = children.get(parent, 0) + 1
        whole = {parent for parent, count in children.items() if count >= WHOLE_PARENT_AT}
        if not whole:
            return gitrepo.ls_tree(self.root, self.commit, wanted)
        specs = sorted({path for path in wanted if path.rpartition("/")[0] not in whole} | whole)
        try:
            return gitrepo.ls_tree(self.root, self.commit, specs)
        except gitrepo.TooManyPaths:    # the parent holds more than the folders asked for may
            return gitrepo.ls_tree(self.root, self.commit, wanted)

    def entries(self, prefix: str = "") -> list[Entry]:
        rows = self.tree(prefix)
        links = [r.object_id for r in rows if r.mode == "120000"]
        targets = self.read_objects(links, LINK_MAX)
        found = []
        for row in rows:
            if row.mode == "120000":
                # A target past LINK_MAX is left unread: no checkout holds it, so where it
                # leads is unknown, and taken as out of the tree.
                target = targets.get(row.object_id)
                escapes = target is None or _escapes(row.path, target.decode("utf-8", "replace"))
                found.append(Entry(row.path, "symlink", 0, escapes, row.object_id))
            elif row.type == "blob" and row.mode in gitrepo.REGULAR_FILE_MODES:
                found.append(Entry(row.path, "file", row.size or 0, False, row.object_id))
            else:
                found.append(Entry(row.path, "other", 0, False, row.object_id))
        return found

    def blob_id(self, path: str) -> str | None:
        if path not in self._ids:
            self.tree(path)
        return self._ids.get(path)

    def read_objects(self, object_ids: list[str], max_bytes: int | None = None) -> dict[str, bytes]:
        """Bytes by blob id. With `max_bytes`, a larger blob is left out (and not kept)."""
        missing = [oid for oid in object_ids if oid not in self._cache]
        if missing:
            found = self.blobs.read_many(missing, max_bytes=max_bytes)
            # read_many gives b"" for a blob over max_bytes: keep only what was really read
            self._cache.update((oid, data) for oid, data in found.items() if data or max_bytes is None)
        return {oid: self._cache[oid] for oid in object_ids if oid in self._cache}

    def read_many(self, paths: list[str], max_bytes: int) -> dict[str, bytes]:
        """Bytes of several listed files in one cat-file round trip (a sovereign folder); a
        blob over `max_bytes` is left out, and any failure leaves it all to `read`."""
        ids = {path: self._ids[path] for path in paths if path in self._ids}
        try:
            blobs = self.read_objects(list(ids.values()), max_bytes)
        except (gitrepo.GitError, OSError):
            return {}
        return {path: blobs[oid] for path, oid in ids.items() if oid in blobs}

    def read(self, path: str) -> bytes:
        object_id = self.blob_id(path)
        if object_id is None:
            raise FileNotFoundError(f"{path} is not in commit {self.commit[:12]}")
        try:
            return self.read_objects([object_id])[object_id]
        except gitrepo.GitError as exc:
            raise OSError(str(exc)) from exc

    def for_worker(self) -> GitSource:
        """A copy for a forked worker: same listing, its own cat-file process (started on first
        read), none of the parent's blobs."""
        copy = object.__new__(GitSource)
        copy.__dict__.update(self.__getstate__())
        return copy

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_blobs"] = None
        state["_cache"] = {}
        return state
