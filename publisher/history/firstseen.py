"""First-seen roots without the full walk: what `handshake pin` needs, reading only genesis blobs.

I/O edge (through `publisher.gitrepo`). `first_seen_roots(root, rev)` gives the same
`FirstSeen` per sovereign as `walk.analyze(load_steps(root, rev)).first_seen` (tests compare
the two): the root a sovereign's folder first names, with the commit and time, on the
first-parent history of `rev`. It follows the same `git log --raw` stream but fetches only
`sovereigns/<id>/genesis.signed.json` blobs of sovereigns not seen yet (10,000 blobs instead
of 160,000 on a 10,000-sovereign registry) and parses nothing else. It reports no change and
checks nothing: the history checks are `load.read_history`.
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from pathlib import Path

from publisher import gitrepo
from publisher.cache import Cache
from publisher.history.load import kept_result
from publisher.history.logcache import history_log
from publisher.history.views import parse_document
from publisher.history.walk import FirstSeen
from publisher.layout import split_sovereign_path
from publisher.limits import DEFAULT_LIMITS

GENESIS = "genesis.signed.json"
BATCH_COMMITS = 2048


def _root_key(data: bytes) -> str | None:
    value = parse_document(data)
    key = value.get("root_public_key") if value is not None else None
    return key if isinstance(key, str) and key else None


class _Folders:
    """Per unseen sovereign: its genesis blob (id, mode) when present, and whether the folder
    has any file (a folder with files but no genesis names no root)."""

    def __init__(self) -> None:
        self.genesis: dict[str, tuple[str, str]] = {}
        self.seen: dict[str, FirstSeen] = {}

    def apply(self, entry: gitrepo.LogEntry) -> list[tuple[str, tuple[str, str]]]:
        """Apply one commit; the (sovereign, genesis blob) pairs whose root must be read now."""
        touched: set[str] = set()
        for change in entry.changes:
            split = split_sovereign_path(change.path)
            if split is None or split[0] in self.seen:
                continue
            touched.add(split[0])
            if split[1] != GENESIS:
                continue
            if change.new_blob is None:
                self.genesis.pop(split[0], None)
            else:
                self.genesis[split[0]] = (change.new_blob, change.new_mode)
        return [(sid, self.genesis[sid]) for sid in sorted(touched) if sid in self.genesis]


def _chunks(log: Iterator[gitrepo.LogEntry]) -> Iterator[list[gitrepo.LogEntry]]:
    while chunk := list(islice(log, BATCH_COMMITS)):
        yield chunk


def first_seen_roots(root: str | Path, rev: str = "HEAD", cache: Cache | None = None
                     ) -> tuple[dict[str, FirstSeen], int]:
    """{sovereign: FirstSeen} and the number of commits that changed trust files (raises
    gitrepo.GitError). Same semantics as the walk: the last state of a touched folder counts.
    `cache` keeps the log for the history checks and later runs (`logcache`); where it keeps
    the walk's result at this commit (a `verify` ran here), that result's first-seen roots are
    the answer and no git log is read."""
    if cache is not None and not gitrepo.is_shallow(root):
        kept = kept_result(root, gitrepo.resolve(root, rev), cache)
        if kept is not None:
            return dict(kept.first_seen), kept.commits
    folders, commits = _Folders(), 0
    with gitrepo.BlobReader(root) as reader:
        for chunk in _chunks(history_log(root, rev, cache, parts=gitrepo.log_parts())):
            # One pass over the chunk with the sovereigns seen before it: every genesis blob the
            # chunk could need (a superset: a sovereign first seen inside the chunk is skipped
            # below). Tracking such a sovereign further changes nothing for the others.
            seen_before = set(folders.seen)
            candidates = [folders.apply(entry) for entry in chunk]
            wanted = [blob for found in candidates for _, (blob, mode) in found
                      if mode in gitrepo.REGULAR_FILE_MODES]
            data = reader.read_many(wanted, max_bytes=DEFAULT_LIMITS.max_file_bytes)
            roots: dict[str, str | None] = {}
            for entry, found in zip(chunk, candidates, strict=True):
                commits += 1
                for sid, (blob, _) in found:
                    if sid in folders.seen:
                        continue                    # first seen earlier in this chunk
                    if blob not in roots:
                        roots[blob] = _root_key(data.get(blob, b""))
                    key = roots[blob]
                    if key is not None:
                        folders.seen[sid] = FirstSeen(key, entry.commit.sha, entry.commit.time)
            for sid in set(folders.seen) - seen_before:
                folders.genesis.pop(sid, None)
    return folders.seen, commits
