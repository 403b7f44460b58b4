"""History from git: the I/O edge that turns a repository into `Step`s, and verify's findings.

One `git log --raw` stream (first parent, oldest first) lists what each commit changed under
sovereigns/, trust.lock and coalition.json; the new blobs of the files a view reads are
fetched through one `git cat-file --batch` process in pipelined batches. `read_history`
spreads the walk over up to 2 processes (`parallel`: same result, sovereigns split between
workers). A shallow clone is a `git.shallow` finding, an unreadable history a `git.unreadable`
finding, never a traceback.
"""
from __future__ import annotations

import hashlib
import multiprocessing
from itertools import islice
from pathlib import Path
from collections.abc import Iterator, Sequence
from datetime import datetime

from publisher import collector, gitrepo
from publisher.cache import Cache, code_version
from publisher.findings import Finding, finding
from publisher.history.views import needs_content
from publisher.history.changes import ChangeEntry, change_entries
from publisher.history.logcache import history_log
from publisher.history.model import Change
from publisher.history.sides import side_attacks
from publisher.history.walk import HistoryResult, Step, Walk, deleted_while_active
from publisher.limits import DEFAULT_LIMITS, read_bounded
from publisher.timestamps import day_text

BATCH_COMMITS = 512


def load_steps(root: str | Path, rev: str = "HEAD", *, blobs: gitrepo.BlobReader | None = None,
               cache: Cache | None = None) -> Iterator[Step]:
    """The first-parent history of `rev` as Steps (raises gitrepo.GitError on git failures)."""
    log = history_log(root, rev, cache)
    reader = blobs or gitrepo.BlobReader(root)
    try:
        while True:
            chunk = list(islice(log, BATCH_COMMITS))
            if not chunk:
                return
            yield from read_steps(reader, [(entry.commit.sha, entry.commit.time,
                                            [(c.path, c.new_blob, c.new_mode) for c in entry.changes])
                                           for entry in chunk])
    finally:
        if blobs is None:
            reader.close()


# One commit's changed files: (commit id, commit time, [(path, new blob id or None, mode)]).
CommitFiles = tuple[str, datetime, list[tuple[str, str | None, str]]]


def read_steps(reader: gitrepo.BlobReader, commits: Sequence[CommitFiles]) -> list[Step]:
    """Steps for a batch of commits, reading every blob a view needs in one pipelined request per size bound
    (a deleted file is None; an unreadable or oversized one is b"")."""
    wanted = [(path, blob) for _, _, files in commits for path, blob, mode in files
              if blob and mode in gitrepo.REGULAR_FILE_MODES and needs_content(path)]
    data = read_bounded(reader.read_many, wanted, DEFAULT_LIMITS)
    return [Step(sha, time, {path: None if blob is None else data.get(blob, b"") for path, blob, _ in files})
            for sha, time, files in commits]


def default_workers() -> int:
    """Processes for the history walk: the cores this process may use, at most 2 (the walk's
    parent reads git log and the repository files; beyond 2 workers git log is the bottleneck).
    One where processes cannot be forked (the workers inherit the walk's state)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return gitrepo.log_parts()          # the same count: the cores this process may use, at most 2


def _walk(root: str | Path, rev: str, workers: int,
          cache: Cache | None = None) -> tuple[HistoryResult, gitrepo.GitError | None]:
    if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
        from publisher.history.parallel import analyze_parallel
        try:
            return analyze_parallel(root, rev, workers=workers, cache=cache), None
        except gitrepo.GitError:
            pass                    # walk again in one process: the same partial result and error
    walk = Walk()
    try:
        for step in load_steps(root, rev, cache=cache):
            walk.step(step)
    except gitrepo.GitError as exc:
        return walk.finish(), exc
    return walk.finish(), None


RESULT_KIND, FINDINGS_KIND = "history", "history-findings"


def kept_key(kind: str, commit: str) -> str:
    """The cache key of what the history gives at `commit` (the walk's result, or verify's
    findings): a pure function of the commit id and the code."""
    return hashlib.sha256(repr((kind, "v1", code_version(), commit)).encode("utf-8")).hexdigest()


def _result_slot(root: str | Path) -> str:
    """Where a repository's walk result is kept: one slot per repository, holding the latest
    commit's. The result weighs 33 MB at 10,000 commits and is read back only by the `build`
    or `pin` that follows a `verify` of the same commit (verify keeps its findings apart, per commit), so
    keeping one per commit would grow a persisted CI cache by that much on every push."""
    return hashlib.sha256(repr((RESULT_KIND, "slot", str(Path(root).resolve()))).encode("utf-8")).hexdigest()


def kept_result(root: str | Path, commit: str, cache: Cache) -> HistoryResult | None:
    """The walk's result at `commit` (a full commit id) when the cache keeps it, else None.
    Only a complete walk of a full clone is ever kept (`read_history`)."""
    kept = cache.get(RESULT_KIND, _result_slot(root), tuple)
    if kept is not None and len(kept) == 2 and kept[0] == kept_key(RESULT_KIND, commit) \
            and isinstance(kept[1], HistoryResult):
        return kept[1]
    return None


def read_history(root: str | Path, rev: str = "HEAD", *, workers: int | None = None,
                 cache: Cache | None = None) -> tuple[HistoryResult, list[Finding]]:
    """Walk the history of `rev`; git problems become findings next to the partial result.

    `workers` > 1 spreads the walk over processes (`parallel`), same result; default: up to 2.
    `cache` keeps the walk's result of the latest commit walked (walked again, it is read back)
    and the log (`logcache`); a shallow clone's history is never kept."""
    out: list[Finding] = []
    walk = Walk()
    if rev == "HEAD" and gitrepo.head_commit(root) is None:
        if gitrepo.has_head(root):              # HEAD names a commit git cannot read: say so
            out.append(finding(".git", "", "git.unreadable",
                               "cannot read the history of HEAD (a corrupt or missing git object); "
                               "history checks did not run"))
        return walk.finish(), out               # a repository before its first commit has no history
    key = None
    try:
        if gitrepo.is_shallow(root):
            out.append(finding(".git", "", "git.shallow",
                               "shallow clone: history checks and first-seen pins start at the "
                               "oldest fetched commit; fetch the full history (fetch-depth: 0)"))
            cache = None
        if cache is not None:
            rev = gitrepo.resolve(root, rev)        # the walk reads the commit the key names
            key = kept_key(RESULT_KIND, rev)
            kept = kept_result(root, rev, cache)
            if kept is not None:
                return kept, out
        with collector.paused():            # documents and views live until the walk ends
            result, error = _walk(root, rev, default_workers() if workers is None else workers, cache)
            if error is None and result.head is not None:
                _add_side_attacks(root, gitrepo.resolve(root, rev), result)
    except gitrepo.GitError as exc:
        out.append(finding(".git", "", "git.unreadable", str(exc)[:300]))
        return walk.finish(), out
    if error is not None:
        out.append(finding(".git", "", "git.unreadable", str(error)[:300]))
    elif cache is not None and key is not None:
        cache.put(RESULT_KIND, _result_slot(root), (key, result))
    return result, out


def _add_side_attacks(root: str | Path, commit: str, result: HistoryResult) -> None:
    """Open the attacks at `commit` against states only a merged branch showed (`sides`)."""
    known = {(c.code, c.sovereign, c.subject) for c in result.open}
    with gitrepo.BlobReader(root) as blobs:
        found = side_attacks(root, commit, known, blobs)
    if found:
        result.open = sorted([*result.open, *found], key=Change.sort_key)


def history_findings(result: HistoryResult) -> list[Finding]:
    """The attacks still in effect at the head, as verification findings."""
    return [_finding(change) for change in result.open]


def _finding(change: Change) -> Finding:
    when = f" (commit {change.commit[:12]}, {day_text(change.time)})" if change.commit and change.time else ""
    return finding(change.path, "", change.code, change.sentence + when)


def dated_findings(removals: Sequence[tuple[Change, datetime]], now: datetime) -> list[Finding]:
    """Treaties removed "after they expired" that have not expired at `now`, as findings
    (`walk.deleted_while_active`)."""
    return [_finding(change) for change in deleted_while_active(removals, now)]


def check_history(root: str | Path, rev: str = "HEAD", *, cache: Cache | None = None,
                  now: datetime | None = None) -> list[Finding]:
    """What `handshake verify` adds for history: git problems and the attacks still in effect at
    `rev` (evaluated at `now`: a removal dated past it is a deletion; default: no such check).
    Kept per commit on their own: a verify run again on the same commit reads a few findings,
    not the walk's whole result (every change of 10,000 commits, 33 MB)."""
    commit = None
    if cache is not None:
        try:
            commit = None if gitrepo.is_shallow(root) else gitrepo.resolve(root, rev)
        except gitrepo.GitError:
            commit = None               # no commit to name: read_history reports why
        kept = cache.get(FINDINGS_KIND, kept_key(FINDINGS_KIND, commit), tuple) if commit is not None else None
        if kept is not None and len(kept) == 2 and all(isinstance(f, Finding) for f in kept[0]):
            return list(kept[0]) + (dated_findings(kept[1], now) if now is not None else [])
    result, problems = read_history(root, commit or rev, cache=cache)
    found = problems + history_findings(result)
    if commit is not None and cache is not None and not problems:
        cache.put(FINDINGS_KIND, kept_key(FINDINGS_KIND, commit), (found, result.dated_removals))
    return found + (dated_findings(result.dated_removals, now) if now is not None else [])


def read_change_channel(root: str | Path, commit: str | None, cache: Cache | None = None, *,
                        at: datetime | None = None) -> list[ChangeEntry] | None:
    """The change channel at `commit` for the site (newest first), or None when `root` has no
    git history to read. Read at the source commit, not HEAD, so `verify-site` rebuilds the
    same changes.html and changes.atom; `at` is the site's evaluation time (`change_entries`)."""
    if commit is None or not gitrepo.is_repository(root):
        return None
    result, problems = read_history(root, commit, cache=cache)
    if any(f.code == "git.unreadable" for f in problems):
        return None                             # a partial channel would read as complete
    return change_entries(result, at=at)
