"""The first-parent log, kept by commit: git log runs once per new commit, not once per command.

I/O edge (git and the verification cache). `history_log(root, rev, cache)` yields exactly what
`gitrepo.iter_log(root, rev, parts=...)` yields. The log of a commit (its first-parent history,
filtered to the trust paths) never changes, so it is kept in the cache as segments: the entries
after a base commit up to an end commit, keyed by the end commit, naming the base whose segment
holds the entries before. `handshake pin`, the history checks of `handshake verify` and the
site's change channel then share one git log per commit, and a run at a new commit diffs only
the commits after the newest one cached on its first-parent chain. Over 10,000 commits git log
and its parsing take 6.9 s of CPU; reading the kept log back takes 0.4 s.

Why a hit can be trusted: keys are commit ids, content addresses of the whole history behind
them; entries are authenticated like every cache entry (publisher.cache); a segment that does
not load, or a chain of segments that does not end at the first commit, is a miss. A shallow
clone is never cached: its oldest commit reads as adding every file, and the same commit ids
have a longer history once the clone is deepened.
"""
from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from publisher import gitrepo
from publisher.cache import Cache, code_version
from publisher.layout import TRUST_PATHS

KIND = "log"
FORMAT = "log-segment/v2"    # v2: the change lines listed up to the end commit
BATCH_ENTRIES = 1024        # entries pickled together, as the log streams past
MAX_PROBES = 20_000         # commits looked up, newest first, for a cached ancestor

# One entry as stored: (commit id, commit seconds, parents, ((path, old blob, new blob, mode), ...)).
# Plain tuples: they pickle several times faster than the dataclasses they stand for.
Compact = tuple[str, int, tuple[str, ...], tuple[tuple[str, "str | None", "str | None", str], ...]]


def segment_key(commit: str, paths: Sequence[str] = TRUST_PATHS) -> str:
    """The segment ending at `commit`, as this code reads and filters git log (another version
    of Handshake reads git log again rather than trust another parser's entries)."""
    return hashlib.sha256(repr((FORMAT, code_version(), commit, tuple(paths))).encode("utf-8")).hexdigest()


def _compact(entry: gitrepo.LogEntry) -> Compact:
    # Each change as the plain tuple it is: pickled as a RawChange it would name its class.
    changes = cast(tuple[tuple[str, "str | None", "str | None", str], ...], tuple(map(tuple, entry.changes)))
    return entry.commit.sha, int(entry.commit.time.timestamp()), entry.parents, changes


def _entries(batch: bytes) -> list[gitrepo.LogEntry]:
    return [gitrepo.LogEntry(gitrepo.Commit(sha, datetime.fromtimestamp(seconds, UTC)), parents,
                             tuple(map(gitrepo.RawChange._make, changes)))
            for sha, seconds, parents, changes in pickle.loads(batch)]


def _segment(cache: Cache, commit: str) -> tuple[str | None, list[bytes], int] | None:
    """(base commit or None for the first commit, pickled batches, change lines git listed up to
    `commit`) of the segment ending at `commit`."""
    value = cache.get(KIND, segment_key(commit), tuple)
    if value is None or len(value) != 5 or value[0] != FORMAT or value[1] != commit:
        return None
    base, batches, lines = value[2], value[3], value[4]
    if not (base is None or isinstance(base, str)) or not isinstance(batches, list) \
            or not all(isinstance(batch, bytes) for batch in batches) or type(lines) is not int or lines < 0:
        return None
    return base, batches, lines


def cached_log(cache: Cache, commit: str) -> tuple[list[bytes], int] | None:
    """Every batch of the log up to `commit`, oldest first, and the change lines git listed up
    to it; None unless the segments reach back to the first commit."""
    found: list[tuple[list[bytes], int]] = []     # newest segment first
    seen: set[str] = set()
    current: str | None = commit
    while current is not None:
        segment = _segment(cache, current) if current not in seen else None
        if segment is None:
            return None
        seen.add(current)
        current, batches, listed = segment
        found.append((batches, listed))
    # The newest segment's count runs from the first commit: it is the whole log's.
    return [batch for batches, _ in reversed(found) for batch in batches], found[0][1]


def cached_batches(cache: Cache, commit: str) -> list[bytes] | None:
    """Every batch of the log up to `commit`, oldest first (see cached_log)."""
    found = cached_log(cache, commit)
    return None if found is None else found[0]


def _cached_ancestor(root: str | Path, cache: Cache, commit: str) -> tuple[str | None, list[bytes], int]:
    """The newest commit before `commit` on its first-parent chain whose log is cached, with that
    log and its change lines; (None, [], 0) when there is none."""
    try:
        chain = gitrepo.first_parent_chain(root, commit)
    except gitrepo.GitError:
        return None, [], 0
    for candidate in reversed(chain[-MAX_PROBES - 1:-1]):
        if cache.has(KIND, segment_key(candidate)):
            found = cached_log(cache, candidate)
            return (candidate, *found) if found is not None else (None, [], 0)
    return None, [], 0


def history_log(root: str | Path, rev: str = "HEAD", cache: Cache | None = None, *,
                parts: int = 1) -> Iterator[gitrepo.LogEntry]:
    """`gitrepo.iter_log(root, rev, parts=parts)`, from the cache where it holds the log (raises
    gitrepo.GitError as iter_log does). The new segment is stored once the log was read to its end."""
    if cache is None or gitrepo.is_shallow(root):
        yield from gitrepo.iter_log(root, rev, parts=parts)
        return
    commit = gitrepo.resolve(root, rev)
    batches = cached_batches(cache, commit)
    if batches is not None:
        for batch in batches:
            yield from _entries(batch)
        return
    base, known, lines = _cached_ancestor(root, cache, commit)
    for batch in known:
        yield from _entries(batch)
    fresh: list[Compact] = []
    stored: list[bytes] = []
    tally = gitrepo.Tally(lines)       # the whole log's bound counts the kept log's lines too
    for entry in gitrepo.iter_log(root, commit, parts=parts, since=base, tally=tally):
        fresh.append(_compact(entry))
        if len(fresh) >= BATCH_ENTRIES:
            stored.append(pickle.dumps(fresh, pickle.HIGHEST_PROTOCOL))
            fresh = []
        yield entry
    if fresh:
        stored.append(pickle.dumps(fresh, pickle.HIGHEST_PROTOCOL))
    cache.put(KIND, segment_key(commit), (FORMAT, commit, base, stored, tally.lines))
