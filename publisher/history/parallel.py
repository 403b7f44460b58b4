"""The history walk spread over processes: the same `HistoryResult` as `walk.analyze`, faster.

I/O edge. Sovereigns are independent in the walk (each has its own documents, views and
memory); only coalition.json and trust.lock are repository-wide. So the parent reads the one
`git log --raw` stream and deals out each commit's changed files (path, blob id, mode: no
bytes): a sovereign's to the worker that owns it (a stable hash of its id), coalition.json and
trust.lock to one more process that walks the repository files alone. Each process reads its
blobs through its own `git cat-file --batch` (git inflates in parallel too), walks its files
with an ordinary `Walk`, and returns its changes per commit index. The parent merges them in
the order the single walk produces (per commit: the repository's changes, then each sovereign
by id), so the result is identical; the tests compare the two. The parent does nothing else:
git log paces the whole walk, so the parent keeps up with it. Memory is split too: each
worker holds only its sovereigns' documents.

Refuses nothing itself: a git failure anywhere stops every worker and is raised as
`gitrepo.GitError` (the caller re-walks sequentially for the exact partial result).
"""
from __future__ import annotations

import multiprocessing
import zlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher import collector, gitrepo
from publisher.cache import Cache
from publisher.history.model import Change
from publisher.history.load import read_steps
from publisher.history.logcache import history_log
from publisher.history.walk import FirstSeen, HistoryResult, Step, Walk
from publisher.layout import ROOT_FILES, split_sovereign_path

FLUSH_FILES = 4096          # send a worker its batch once this many changed files are queued
FLUSH_COMMITS = 512

# (commit index, commit id, commit time, [(path, blob id or None, mode)])
Batch = list[tuple[int, str, datetime, list[tuple[str, str | None, str]]]]


def owner(sovereign_id: str, workers: int) -> int:
    return zlib.crc32(sovereign_id.encode("utf-8", "surrogateescape")) % workers


def _steps(reader: gitrepo.BlobReader, batch: Batch) -> Iterator[tuple[int, Step]]:
    steps = read_steps(reader, [(sha, time, files) for _, sha, time, files in batch])
    return zip((index for index, _, _, _ in batch), steps, strict=True)


def _worker(root: str, conn: Any, inherited: list[Any]) -> None:
    """Walk the sovereigns this worker owns; reply (groups by index, open, first seen) or an error.
    `inherited`: the parent's ends of this worker's pipe and of the workers forked before it,
    closed here, so that when the parent closes them (a failed walk) every worker reads EOF
    instead of waiting out `close`'s timeout."""
    for other in inherited:
        other.close()
    walk, groups = Walk(keep_changes=False), []
    try:
        with collector.paused(), gitrepo.BlobReader(root) as reader:
            while (batch := conn.recv()) is not None:
                for index, step in _steps(reader, batch):
                    walk.step(step)
                    if walk.groups:
                        groups.append((index, [(sid, [_fields(c) for c in found]) for sid, found in walk.groups]))
        result = walk.finish()
        conn.send(("ok", groups, result.open, result.first_seen, result.dated_removals))
    except gitrepo.GitError as exc:
        conn.send(("error", str(exc)))
    except (EOFError, OSError):
        return                      # the parent stopped (its own error): nothing to report
    finally:
        conn.close()


# A change without the commit and time of its step (the parent knows them by index): plain
# tuples pickle several times faster than dataclasses, and a walk sends every change it found.
Fields = tuple[str, str, str, str, str, str]


def _fields(change: Change) -> Fields:
    return change.code, change.sovereign, change.path, change.sentence, change.subject, change.level


class _Pool:
    def __init__(self, root: str | Path, workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self.conns: list[Any] = []
        self.procs: list[Any] = []
        for _ in range(workers):
            mine, theirs = context.Pipe()
            proc = context.Process(target=_worker, args=(str(root), theirs, [*self.conns, mine]), daemon=True)
            proc.start()
            theirs.close()
            self.conns.append(mine)
            self.procs.append(proc)
        self.pending: list[Batch] = [[] for _ in range(workers)]
        self.queued = 0

    def add(self, index: int, entry: gitrepo.LogEntry, files: list[list[tuple[str, str | None, str]]]) -> None:
        for worker, mine in enumerate(files):
            if mine:
                self.pending[worker].append((index, entry.commit.sha, entry.commit.time, mine))
                self.queued += len(mine)

    @staticmethod
    def _send(conn: Any, message: Any) -> None:
        """Send to a worker; one that stopped (a git error: it replied and closed its end) is
        left alone, and `finish` reads its reply. A send to it would raise BrokenPipeError
        whenever the worker was quicker than this process."""
        try:
            conn.send(message)
        except OSError:
            pass

    def flush(self) -> None:
        for worker, batch in enumerate(self.pending):
            if batch:
                self._send(self.conns[worker], batch)
        self.pending = [[] for _ in self.conns]
        self.queued = 0

    def finish(self) -> list[Any]:
        self.flush()
        for conn in self.conns:
            self._send(conn, None)
        replies = []
        for conn in self.conns:
            try:
                replies.append(conn.recv())
            except (EOFError, OSError):
                replies.append(("error", "a history worker stopped unexpectedly"))
        self.close()
        for reply in replies:
            if reply[0] == "error":
                raise gitrepo.GitError(reply[1])
        return replies

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        for proc in self.procs:
            proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


def _split(entry: gitrepo.LogEntry, workers: int) -> list[list[tuple[str, str | None, str]]]:
    """Per process, the commit's files it walks: sovereigns by owner, then coalition.json and
    trust.lock for the last process."""
    files: list[list[tuple[str, str | None, str]]] = [[] for _ in range(workers + 1)]
    for change in entry.changes:
        if change.path in ROOT_FILES:
            files[workers].append((change.path, change.new_blob, change.new_mode))
        elif (split := split_sovereign_path(change.path)) is not None:
            files[owner(split[0], workers)].append((change.path, change.new_blob, change.new_mode))
    return files


def _merge(replies: list[Any], order: dict[str, int], times: list[datetime], head: str | None) -> HistoryResult:
    """The single walk's result from the replies (the repository walker's first: the single
    walk puts the repository's changes before the sovereigns' in each commit)."""
    by_index: dict[int, list[tuple[str, list[Fields]]]] = {}
    for _, groups, *_ in replies:
        for index, found in groups:
            by_index.setdefault(index, []).extend(found)
    commits = list(order)
    result = HistoryResult(head=head, commits=len(order))
    result.changes = [Change(*fields, commits[index], times[index]) for index in sorted(by_index)
                      for _, found in sorted(by_index[index], key=lambda g: g[0]) for fields in found]
    result.open = sorted([c for reply in replies for c in reply[2]], key=Change.sort_key)
    result.dated_removals = sorted([d for reply in replies for d in reply[4]], key=lambda d: d[0].sort_key())
    seen: dict[str, FirstSeen] = {sid: s for reply in replies for sid, s in reply[3].items()}
    result.first_seen = {sid: seen[sid] for sid in sorted(seen, key=lambda s: (order[seen[s].commit], s))}
    return result


def analyze_parallel(root: str | Path, rev: str = "HEAD", *, workers: int = 2,
                     cache: Cache | None = None) -> HistoryResult:
    """`walk.analyze(load_steps(root, rev))` over `workers` processes, plus one for coalition.json
    and trust.lock (raises gitrepo.GitError). This process only reads the log and deals it out:
    git log is the pace of the whole walk, so nothing else runs here meanwhile. `cache` keeps
    the log (`logcache`)."""
    pool = _Pool(root, workers + 1)
    order: dict[str, int] = {}
    times: list[datetime] = []
    head = None
    try:
        since_flush = 0
        for index, entry in enumerate(history_log(root, rev, cache, parts=gitrepo.log_parts())):
            order[entry.commit.sha] = index
            times.append(entry.commit.time)
            head = entry.commit.sha
            pool.add(index, entry, _split(entry, workers))
            since_flush += 1
            if pool.queued >= FLUSH_FILES or since_flush >= FLUSH_COMMITS:
                pool.flush()
                since_flush = 0
        replies = pool.finish()
    except BaseException:
        pool.close()
        raise
    return _merge([replies[-1], *replies[:-1]], order, times, head)
