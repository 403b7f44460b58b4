"""The git adapter: the only module that runs git.

Everything else works on plain values (commit ids, times, paths, blob ids, bytes). Reads go
through one `git` process per call (plain `subprocess`, no GitPython: importing it costs
~0.1 s of every command's start-up): one `git log --raw` stream for history, one
`git cat-file --batch` process for blobs, `ls-tree` / `diff --raw` for trees. No per-commit
object walks (about ten times slower on a 5,000-commit repository). Every git failure
(not a repository, unknown ref, shallow or corrupt history) is a `GitError` with a message a
person can act on, never a traceback.
"""
from __future__ import annotations

import difflib
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

try:                    # POSIX only: elsewhere git's pipes keep their size
    import fcntl
except ImportError:     # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from publisher.layout import TRUST_PATHS
from publisher.limits import DEFAULT_LIMITS

REGULAR_FILE_MODES = ("100644", "100755")     # tree modes of files whose bytes are read
_ZERO = "0" * 40
_CHUNK = 1 << 16


class GitError(Exception):
    """A git operation failed (not a repository, shallow or corrupt history, unknown ref)."""


# The most paths one listing (ls-tree, diff) or one commit of `git log --raw` may hold. Trees
# that share subtrees make a few kilobytes of pushed objects stand for 2^depth paths, which git
# would list for hours and Python hold in memory: reading stops here, and git is killed.
MAX_PATHS = DEFAULT_LIMITS.max_total_files


# One whole `git log --raw` may list this many times MAX_PATHS change lines: fifteen times the
# 200,000 of the 10,000-commit benchmark history, and a bound on what a history of many
# commits just under MAX_PATHS each would hold in memory.
LOG_PATHS_FACTOR = 3


class TooManyPaths(GitError):
    """A listing or one commit's diff past MAX_PATHS paths; nothing past them was read."""

    def __init__(self, what: str, bound: int | None = None) -> None:
        super().__init__(f"{what}: more than {bound or MAX_PATHS:,} paths (a tree that repeats its own "
                         "folders?); nothing past them was read")


@dataclass(frozen=True)
class Commit:
    sha: str
    time: datetime          # committer time, UTC


class RawChange(NamedTuple):
    """One line of `git log --raw` / `git diff --raw`: a path's blob before and after.

    A named tuple, not a dataclass: a 10,000-commit log has 200,000 of them, made twice as
    fast, and kept in the log cache as the plain tuples they are (`history.logcache`)."""

    path: str
    old_blob: str | None    # None: the path did not exist before
    new_blob: str | None    # None: the path was deleted
    new_mode: str = "100644"


@dataclass(frozen=True)
class LogEntry:
    commit: Commit
    parents: tuple[str, ...]
    changes: tuple[RawChange, ...]


@dataclass
class Tally:
    """Change lines a log has listed, trust paths or not, from its first commit: a log read
    after a kept one (`since`) starts from the kept one's, so the whole log's bound is the same
    however the log is read (at once, split in ranges, or continued from a cache)."""

    lines: int = 0


@dataclass(frozen=True)
class TreeEntry:
    """One row of `git ls-tree -r -l`: mode, object type, object id, size (None for non-blobs)."""

    path: str
    mode: str
    type: str
    object_id: str
    size: int | None


# What is kept of a git process's stderr: its last bytes, which hold git's own "fatal:" line.
STDERR_TAIL = 1 << 16


class _Handle:
    """A running git process (its stdout/stderr are pipes). stderr is drained as git writes it,
    on a thread of its own: read only after stdout, a git that writes more than the pipe holds
    (64 KB) to stderr before finishing stdout would wait on the reader, and the reader on it."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc
        self._tail = bytearray()
        self._overflowed = False
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        if stream is None:
            return
        try:
            while chunk := (stream.read1(_CHUNK) if hasattr(stream, "read1") else stream.read(_CHUNK)):
                self._tail += chunk
                if len(self._tail) > STDERR_TAIL:
                    del self._tail[:len(self._tail) - STDERR_TAIL]
                    self._overflowed = True
        except (OSError, ValueError):       # closed under it: the process was killed
            pass

    def stderr(self, timeout: float | None = None) -> bytes:
        """What git wrote to stderr (its last STDERR_TAIL bytes), once it closed it (`timeout`:
        at most that long a wait, for a killed git whose children may hold the pipe open)."""
        self._drain.join(timeout)
        return bytes(self._tail)

    def message(self, timeout: float | None = None) -> str:
        """git's stderr as a message: its first 300 characters, or, when it wrote more than is
        kept, the whole lines among its last 300 (its own "fatal:" line comes last)."""
        text = self.stderr(timeout).decode("utf-8", "replace").strip()
        if not self._overflowed:
            return text[:300]
        last = text[-300:]
        return last.split("\n", 1)[1].strip() if "\n" in last else last

    def close(self) -> None:
        """Close stdout, and stderr once it is drained (a daemon thread still reading it, from
        a git whose children hold it open, closes nothing)."""
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._drain.join(1.0)
        if not self._drain.is_alive() and self.proc.stderr is not None:
            self.proc.stderr.close()


def _command(root: str | Path, args: Sequence[str]) -> list[str]:
    # The grafts file is read from os.devnull (see _env): without the advice off, git would
    # print its deprecation hint for that empty file on every call.
    return ["git", "-C", str(root), "-c", "core.quotepath=off", "-c", "advice.graftFileDeprecated=false", *args]


def _env(root: str | Path) -> dict[str, str]:
    # Never search the parent directories: `root` itself is the repository or nothing is.
    env = dict(os.environ)
    env["GIT_CEILING_DIRECTORIES"] = str(Path(root).absolute().parent)
    # Objects as they are: a local replace ref (refs/replace/) or a grafts file (.git/info/grafts,
    # deprecated but still honoured by git) must not make a commit id stand for another history
    # (the log and history kept by commit id rely on it, and so does a review).
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env["GIT_GRAFT_FILE"] = os.devnull
    env.pop("GIT_DIR", None)
    env.pop("GIT_WORK_TREE", None)
    return env


def _error(root: str | Path, stderr: bytes | str, what: str) -> GitError:
    text = (stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr).strip()
    if "not a git repository" in text.lower():
        return GitError(f"{root} is not a git repository")
    return GitError(text[:300] or f"git {what} failed")


def _run(root: str | Path, *args: str, env: dict[str, str] | None = None) -> bytes:
    """stdout of `git ARGS` in `root` (`env`: variables added); a failure is GitError carrying
    git's message."""
    try:
        done = subprocess.run(_command(root, args), stdin=subprocess.DEVNULL, capture_output=True,
                              check=False, env={**_env(root), **(env or {})})
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    if done.returncode != 0:
        raise _error(root, done.stderr, args[0])
    return done.stdout


def _text(root: str | Path, *args: str) -> str:
    return _run(root, *args).decode("utf-8", "surrogateescape").strip()


def _spawn(root: str | Path, *args: str, stdin: bool = False) -> _Handle:
    try:
        proc = subprocess.Popen(_command(root, args), stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(root))
    except OSError as exc:
        raise GitError(f"cannot run git: {exc}") from exc
    _widen(proc.stdout)
    return _Handle(proc)


_PIPE_BYTES = 1 << 20


def _widen(stream: Any) -> None:
    """Give a streamed git output pipe 1 MB instead of Linux's 64 KB: a history walk moves
    440 MB of blobs through cat-file, and larger pipes mean fewer writer and reader wakeups
    (measured in four pairs of runs: 0.4-1.0 s less CPU to read those 440 MB, 4-14% less
    time; within the noise of a whole walk). Nothing where the system has no such call or
    refuses the size (it caps unprivileged pipes, by default at 1 MB): the pipe keeps its
    size, which is only slower."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if setsize is None or stream is None:
        return
    try:
        fcntl.fcntl(stream.fileno(), setsize, _PIPE_BYTES)
    except (OSError, ValueError):
        pass


def open_repo(root: str | Path) -> Path:
    """`root` when it is a git repository itself (never a folder inside one), else GitError."""
    path = Path(root)
    if not path.is_dir():
        raise GitError(f"{root} is not a git repository")
    _run(path, "rev-parse", "--git-dir")
    return path


def superproject(root: str | Path) -> Path | None:
    """The work tree of the repository that has `root` as a submodule, or None."""
    out = _text(root, "rev-parse", "--show-superproject-working-tree")
    return Path(out) if out else None


class TrustPathStatus:
    """`git status` of the trust paths, started beside other work (a build) and read at its
    end: the paths the working tree holds otherwise than HEAD (changed, added, removed or
    untracked). It takes no lock (GIT_OPTIONAL_LOCKS=0), so the user's own git never finds
    the index held, and writes into a temporary file, so nobody has to read while it runs."""

    def __init__(self, root: str | Path) -> None:
        self._out = tempfile.TemporaryFile()
        # One thread (no preloaded index) at the lowest priority: it stats every trust file
        # (0.5-1 s of CPU at 190,000 files), which the build's own work must not wait for.
        args = ["-c", "core.preloadIndex=false", "status", "--porcelain", "-z", "--untracked-files=all",
                "--no-renames", "--", *TRUST_PATHS]
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                _command(root, args), stdin=subprocess.DEVNULL, stdout=self._out, stderr=subprocess.DEVNULL,
                env={**_env(root), "GIT_OPTIONAL_LOCKS": "0"})
        except OSError:
            self._proc = None
            return
        try:
            os.setpriority(os.PRIO_PROCESS, self._proc.pid, 19)
        except (OSError, AttributeError):      # not permitted, or not POSIX: it runs at ours
            pass

    def differing(self) -> list[str] | None:
        """The differing paths, sorted; None when git could not tell."""
        with self._out:
            if self._proc is None or self._proc.wait() != 0:
                return None
            self._out.seek(0)
            records = self._out.read().split(b"\0")
        # Each record is "XY path" (--no-renames: never a second path).
        return sorted({record[3:].decode("utf-8", "surrogateescape") for record in records if len(record) > 3})

    def close(self) -> None:
        """Stop git when nobody will ask (the build failed first)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()
        self._out.close()


def is_repository(root: str | Path) -> bool:
    return (Path(root) / ".git").exists()


def _refuse_options(*refs: str) -> None:
    """A ref starting with "-" would reach git as an option, and one holding NUL cannot be
    passed at all (a ref read from a file, such as a site's manifest): refused as unknown."""
    for ref in refs:
        if ref.startswith("-") or "\0" in ref:
            raise GitError(f"unknown revision {ref!r}")


def _fail(what: str, exc: GitError) -> GitError:
    return GitError(f"{what}: {str(exc).strip()[:300]}")


_FIRST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_TIME = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)


def commit_time(seconds: str) -> datetime:
    """A committer time from git's `%ct`. The date is the committer's claim: one git prints as
    nothing (before 1970) or past what a datetime holds is clamped to 1970 or 9999, so a hostile
    date neither raises nor stops the history checks."""
    try:
        value = int(seconds)
    except ValueError:
        return _FIRST_TIME
    if value <= 0:
        return _FIRST_TIME
    if value >= int(_LAST_TIME.timestamp()):
        return _LAST_TIME
    return datetime.fromtimestamp(value, UTC)


def _commit(out: str) -> Commit:
    sha, _, seconds = out.strip().partition(" ")
    return Commit(sha, commit_time(seconds.strip()))


def head_commit(root: str | Path) -> Commit | None:
    """HEAD's id and committer time, or None outside a repository or before the first commit."""
    if not is_repository(root):
        return None
    try:
        return _commit(_text(root, "log", "-1", "--format=%H %ct", "HEAD"))
    except (GitError, ValueError):
        return None


def has_head(root: str | Path) -> bool:
    """True when HEAD names a commit id, readable or not (False before the first commit). Reads
    no object, so a corrupt HEAD commit still counts: its history is unreadable, not empty."""
    if not is_repository(root):
        return False
    try:
        _run(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except GitError:
        return False
    return True


def commit_info(root: str | Path, ref: str) -> Commit:
    """Full id and committer time of `ref`."""
    commit = resolve(root, ref)
    try:
        return _commit(_text(root, "log", "-1", "--format=%H %ct", commit))
    except GitError as exc:
        raise _fail(f"cannot read commit {ref!r}", exc) from exc


def resolve(root: str | Path, ref: str) -> str:
    """Full commit id of `ref`."""
    return resolve_many(root, [ref])[0]


def resolve_many(root: str | Path, refs: Sequence[str]) -> list[str]:
    """Full commit ids of `refs`, with one git process."""
    _refuse_options(*refs)
    try:
        out = _text(root, "rev-parse", "--verify", "--quiet", f"{refs[0]}^{{commit}}") if len(refs) == 1 \
            else _text(root, "rev-parse", *[f"{ref}^{{commit}}" for ref in refs])
    except GitError as exc:
        if "is not a git repository" in str(exc):
            raise
        bad = next((r for r in refs if not _exists(root, r)), refs[0])
        raise GitError(f"unknown revision {bad!r}") from exc
    ids = out.split()
    if len(ids) != len(refs):
        raise GitError(f"unknown revision {refs[0]!r}")
    return ids


def unknown_ref_hint(root: str | Path, ref: str) -> str:
    """What to do about a ref git does not know, or "": a remote-tracking branch that was never
    fetched (a CI checkout of one commit has none) says how to fetch it; otherwise the closest
    branch or tag names are offered."""
    try:
        remotes = _text(root, "remote").split()
        names = _text(root, "for-each-ref", "--format=%(refname:short)", "refs/heads", "refs/remotes",
                      "refs/tags").split()
    except GitError:
        return ""
    # The longest remote name the ref starts with ("team/upstream/main" under a remote "team/upstream").
    remote = max((r for r in remotes if ref.startswith(r + "/") and len(ref) > len(r) + 1), key=len, default=None)
    if remote is not None:
        branch = ref[len(remote) + 1:]
        return (f"{ref} is not in this clone; if {remote} has it, fetch it: git fetch {remote} {branch} "
                "(in CI, check out with the full history: actions/checkout fetch-depth: 0)")
    close = difflib.get_close_matches(ref, names, n=3)
    if close:
        return f"did you mean {' or '.join(repr(name) for name in close)}?"
    return f"branches here: {', '.join(names[:8])}" if names else "the repository has no branch yet"


def _exists(root: str | Path, ref: str) -> bool:
    try:
        _run(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except GitError:
        return False
    return True


def merge_base(root: str | Path, a: str, b: str) -> str:
    first, second = resolve_many(root, [a, b])
    try:
        return _text(root, "merge-base", first, second)
    except GitError as exc:
        raise _fail(f"no merge base of {a!r} and {b!r}", exc) from exc


def is_shallow(root: str | Path) -> bool:
    """True for a shallow clone, whose history is cut off (first-seen pins would be wrong)."""
    try:
        return _text(root, "rev-parse", "--is-shallow-repository") == "true"
    except GitError as exc:
        raise _fail("cannot inspect the repository", exc) from exc


def _tokens(stream: Iterable[bytes]) -> Iterator[bytes]:
    """NUL-separated tokens of a `-z` output stream, read in chunks."""
    rest = b""
    for chunk in stream:
        rest += chunk
        *done, rest = rest.split(b"\0")
        yield from done
    if rest:
        yield rest


def _raw_change(meta: bytes, path: bytes) -> RawChange:
    # ":<old mode> <new mode> <old id> <new id> <status>"
    old_mode, new_mode, old_id, new_id, _status = meta.lstrip(b"\n:").decode("ascii").split(" ")
    return RawChange(path.decode("utf-8", "surrogateescape"),
                     None if old_id == _ZERO else old_id, None if new_id == _ZERO else new_id, new_mode)


def _read_chunks(proc: subprocess.Popen[bytes]) -> Iterator[bytes]:
    assert proc.stdout is not None
    while True:
        chunk = proc.stdout.read1(_CHUNK) if hasattr(proc.stdout, "read1") else proc.stdout.read(_CHUNK)
        if not chunk:
            return
        yield chunk


def _finish(handle: _Handle, what: str) -> None:
    if handle.proc.wait() != 0:
        raise GitError(f"{what}: {handle.message() or 'git failed'}")


def _wanted(path: bytes, exact: frozenset[bytes], prefixes: tuple[bytes, ...]) -> bool:
    return path in exact or path.startswith(prefixes)


def iter_log(root: str | Path, rev: str = "HEAD", paths: Sequence[str] = TRUST_PATHS, *,
             parts: int = 1, since: str | None = None, tally: Tally | None = None) -> Iterator[LogEntry]:
    """First-parent history of `rev`, oldest first, each commit with the raw changes under `paths`.

    One `git log --raw -z` process; merges are diffed against their first parent, so the
    sequence of states is the sequence the branch actually published. The paths are filtered
    here, not by a git pathspec (which makes git log about 2.5 times slower); commits that
    change nothing under `paths` are left out, as a pathspec would.

    `parts` > 1 cuts a long history (`SPLIT_LOG_COMMITS` or more) into that many consecutive
    ranges, each diffed by its own git log on its own core: a commit's diff does not depend on
    the commits before it, and tree diffs are what git log spends its time on. The entries
    come out in the same order; a git failure is raised where its range ends.

    `since` (a commit on the first-parent chain of `rev`) leaves out that commit and everything
    before it: the commits a cached log does not hold yet (publisher.history.logcache).
    `tally` then holds the change lines listed before it, and is counted on: past
    LOG_PATHS_FACTOR x MAX_PATHS from the first commit, TooManyPaths at the same commit however
    the log is read.
    """
    commit = resolve(root, rev)
    exclude = [f"^{resolve(root, since)}"] if since is not None else []
    tally = tally if tally is not None else Tally()
    ranges = _ranges(root, commit, parts, exclude) if parts > 1 else None
    if ranges is None:
        yield from _counted(_stream_log(root, _log_args([commit, *exclude]), paths), tally)
    else:
        yield from _counted(_split_log(root, ranges, paths), tally)


_Counted = tuple[str, int, "LogEntry | None"]       # a commit id, its change lines, its entry


def _counted(commits: Iterator[_Counted], tally: Tally) -> Iterator[LogEntry]:
    """The entries of `commits` in order, counting their change lines into `tally`: past the
    whole log's bound TooManyPaths names the commit that crossed it (and git is stopped)."""
    bound = LOG_PATHS_FACTOR * MAX_PATHS
    try:
        for sha, lines, entry in commits:
            tally.lines += lines
            if tally.lines > bound:
                raise TooManyPaths(f"history up to commit {sha[:12]}", bound)
            if entry is not None:
                yield entry
    finally:
        close = getattr(commits, "close", None)
        if close is not None:
            close()


def _stream_log(root: str | Path, args: Sequence[str], paths: Sequence[str]) -> Iterator[_Counted]:
    """The commits of one `git log ARGS` as it runs; the process is killed if the reader stops
    early or fails, and a failing git is GitError once the stream ends."""
    handle = _spawn(root, *args)
    try:
        yield from _log_commits(handle.proc, paths)
    except BaseException:
        handle.proc.kill()
        handle.proc.wait()
        handle.close()
        raise
    try:
        _finish(handle, "cannot read history")
    finally:
        handle.close()


SPLIT_LOG_COMMITS = 1000        # below this, one git log (a split costs a rev-list and processes)
_QUEUED_ENTRIES = 256           # entries a range reader hands over at a time


def log_parts() -> int:
    """git log processes worth running side by side: the cores this process may use, at most 2."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(2, cores))


def _log_args(revisions: Sequence[str]) -> list[str]:
    return ["log", "--raw", "-z", "--no-renames", "--no-abbrev", "--reverse", "--first-parent",
            "--diff-merges=first-parent", "--no-color", "--no-ext-diff", "--format=%x01%H %ct %P", *revisions]


def first_parent_chain(root: str | Path, commit: str, exclude: Sequence[str] = ()) -> list[str]:
    """The first-parent chain of `commit`, oldest first (without `exclude`'s ancestors)."""
    _refuse_options(commit)
    return _text(root, "rev-list", "--first-parent", commit, *exclude).split()[::-1]


def first_parent_merges(root: str | Path, commit: str) -> list[str]:
    """The merge commits on the first-parent chain of `commit` (none: every ancestor is on it)."""
    _refuse_options(commit)
    return _text(root, "rev-list", "--first-parent", "--merges", commit).split()


def iter_all_log(root: str | Path, commit: str, paths: Sequence[str] = TRUST_PATHS) -> Iterator[LogEntry]:
    """Every commit reachable from `commit` (not only the first-parent chain), oldest first, each
    with its raw changes under `paths` against its first parent."""
    _refuse_options(commit)
    yield from _counted(_stream_log(root, [a for a in _log_args([commit]) if a != "--first-parent"], paths), Tally())


def _ranges(root: str | Path, commit: str, parts: int, exclude: Sequence[str] = ()) -> list[list[str]] | None:
    """`parts` consecutive first-parent ranges ending at `commit`, as git log revision
    arguments, or None when the history is short (or git cannot list it: the single log then
    reports the problem as it always has)."""
    try:
        chain = first_parent_chain(root, commit, exclude)
    except GitError:
        return None
    if len(chain) < max(SPLIT_LOG_COMMITS, parts):
        return None
    ends = [chain[len(chain) * (k + 1) // parts - 1] for k in range(parts)]
    return [[ends[0], *exclude]] + [[ends[k], f"^{ends[k - 1]}"] for k in range(1, parts)]


def _read_range(handle: _Handle, paths: Sequence[str], out: queue.SimpleQueue[Any]) -> None:
    """Parse one range's log into `out` (lists of commits, then None, or the exception). It
    reads ahead of the consumer (`_counted`, which counts the whole log in order), so it stops
    by itself once the range alone is past the whole log's bound: the whole log is past it too."""
    try:
        batch: list[_Counted] = []
        lines, bound = 0, LOG_PATHS_FACTOR * MAX_PATHS
        for item in _log_commits(handle.proc, paths):
            lines += item[1]
            if lines > bound:
                raise TooManyPaths(f"history up to commit {item[0][:12]}", bound)
            batch.append(item)
            if len(batch) >= _QUEUED_ENTRIES:
                out.put(batch)
                batch = []
        out.put(batch)
        _finish(handle, "cannot read history")
        out.put(None)
    except BaseException as exc:        # handed to the consumer, raised in order
        out.put(exc)


def _split_log(root: str | Path, ranges: list[list[str]], paths: Sequence[str]) -> Iterator[_Counted]:
    """The ranges' commits in order. Every range is read as fast as its git log writes it (a
    thread each, into memory), so no git log waits for a slow consumer."""
    handles: list[_Handle] = []
    readers: list[threading.Thread] = []
    try:
        queues: list[queue.SimpleQueue[Any]] = []
        for revisions in ranges:
            handles.append(_spawn(root, *_log_args(revisions)))
            queues.append(queue.SimpleQueue())
            readers.append(threading.Thread(target=_read_range, args=(handles[-1], paths, queues[-1]), daemon=True))
            readers[-1].start()
        for found in queues:
            while (item := found.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield from item
    finally:
        for handle in handles:
            if handle.proc.poll() is None:
                handle.proc.kill()
        for reader in readers:
            reader.join()
        for handle in handles:
            handle.proc.wait()
            handle.close()


def _log_commits(proc: subprocess.Popen[bytes], paths: Sequence[str]) -> Iterator[_Counted]:
    """Parse a `git log --raw -z` stream (`_log_args`' format) as it is written, one item per
    commit with its change lines (its entry None when no path under `paths` changed):
    TooManyPaths past MAX_PATHS change lines in one commit (the whole log is `_counted`'s)."""
    wanted = [p.encode("utf-8", "surrogateescape").rstrip(b"/") for p in paths]
    exact, prefixes = frozenset(wanted), tuple(p + b"/" for p in wanted)
    current: tuple[Commit, tuple[str, ...]] | None = None
    changes: list[RawChange] = []
    listed = 0                 # change lines of the current commit, trust paths or not
    tokens = _tokens(_read_chunks(proc))
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if current is not None:
                yield current[0].sha, listed, LogEntry(current[0], current[1], tuple(changes)) if changes else None
            sha, seconds, *parents = token[1:].decode("ascii").split(" ")
            current = (Commit(sha, commit_time(seconds)),
                       tuple(p for p in parents if p))
            changes, listed = [], 0
        elif token.startswith(b":"):
            path = next(tokens, b"")
            listed += 1
            if listed > MAX_PATHS:
                raise TooManyPaths(f"commit {current[0].sha[:12] if current else '?'}")
            if _wanted(path, exact, prefixes):
                changes.append(_raw_change(token, path))
    if current is not None:
        yield current[0].sha, listed, LogEntry(current[0], current[1], tuple(changes)) if changes else None


def diff_raw(root: str | Path, base: str, head: str, paths: Sequence[str] = TRUST_PATHS) -> list[RawChange]:
    """Paths whose blob differs between two commits (`git diff --raw`), with both blob ids."""
    _refuse_options(base, head)
    try:
        out = _listing(root, ["diff", "--raw", "-z", "--no-renames", "--no-abbrev", "--no-color", "--no-ext-diff",
                              f"{base}^{{commit}}", f"{head}^{{commit}}", "--", *paths], f"diff {base}..{head}", 2)
    except GitError as exc:
        raise _fail("cannot diff", exc) from exc
    tokens = iter(out)
    return [_raw_change(t, next(tokens, b"")) for t in tokens if t.lstrip(b"\n").startswith(b":")]


def _listing(root: str | Path, args: Sequence[str], what: str, per_path: int = 1) -> list[bytes]:
    """The NUL-separated tokens `git ARGS` writes (`per_path` of them for each path), read as
    git writes them: past MAX_PATHS paths git is killed and TooManyPaths raised; a failing git
    is GitError carrying its message."""
    handle = _spawn(root, *args)
    proc, bound = handle.proc, MAX_PATHS * per_path
    tokens: list[bytes] = []
    try:
        for token in _tokens(_read_chunks(proc)):
            tokens.append(token)
            if len(tokens) > bound:
                raise TooManyPaths(what)
        if proc.wait() != 0:
            raise _error(root, handle.message(), args[0])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        handle.close()
    return tokens


def _tree_rows(out: Iterable[bytes], sized: bool) -> list[TreeEntry]:
    entries = []
    for token in out:
        if not token:
            continue
        meta, _, path = token.partition(b"\t")
        fields = meta.decode("ascii").split()
        size = fields[3] if sized else ""
        entries.append(TreeEntry(path.decode("utf-8", "surrogateescape"), fields[0], fields[1], fields[2],
                                 int(size) if size.isdigit() else None))
    entries.sort(key=lambda e: e.path)
    return entries


def ls_tree(root: str | Path, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Every entry under `paths` at `commit` (recursive, with blob sizes), sorted by path."""
    _refuse_options(commit)
    try:
        out = _listing(root, ["ls-tree", "-r", "-z", "-l", "--full-tree", f"{commit}^{{tree}}", "--", *paths],
                       f"listing {commit}")
    except TooManyPaths:
        raise
    except GitError as exc:
        raise _fail(f"cannot list {commit}", exc) from exc
    return _tree_rows(out, sized=True)


def top_level(root: str | Path, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
    """The entries named `paths` at `commit`, not recursed into: a folder is one tree id."""
    _refuse_options(commit)
    try:
        out = _run(root, "ls-tree", "-z", "--full-tree", commit, "--", *paths)
    except GitError as exc:
        raise _fail(f"cannot list {commit}", exc) from exc
    return _tree_rows(out.split(b"\0"), sized=False)


class FileSearch:
    """`git grep -l -F`: the files at `commit` matching `pathspecs` that hold any of the fixed
    strings `needles`. It starts at once and is read with `paths()`, so it runs beside what the
    caller does meanwhile (it takes both cores at 10,000 sovereigns).

    git grep reads every blob it searches whole, and git stores a gigabyte of spaces in a
    megabyte: its data segment is capped (`ulimit -d`, `max_data_bytes`), so such a blob fails
    the search, never the machine. `paths()` is then None, as for any failure, and the caller
    reads under its own bounds instead. (Where the system does not enforce the cap, macOS for
    one, a giant blob costs its size in memory.)"""

    def __init__(self, root: str | Path, commit: str, needles: Sequence[str], pathspecs: Sequence[str],
                 *, max_data_bytes: int) -> None:
        _refuse_options(commit)
        if any("\n" in needle or "\r" in needle for needle in needles):
            raise ValueError("a needle holds a line break; git grep would take it for two")
        self._prefix = f"{commit}:".encode()
        # The patterns go through stdin (-f -): a change to ten thousand sovereigns' keys
        # would pass more than a command line holds.
        command = _command(root, ["grep", "-l", "-z", "-F", "--no-textconv", "-f", "-", commit, "--", *pathspecs])
        cap = ["sh", "-c", 'ulimit -d "$0" && exec "$@"', str(max(1, max_data_bytes >> 10))]
        try:
            self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
                cap + command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=_env(root))
            stdin, self._proc.stdin = self._proc.stdin, None    # written and closed here, not by communicate
            assert stdin is not None
            with stdin:
                # git reads every pattern before it searches: this returns at once.
                stdin.write("".join(f"{needle}\n" for needle in needles).encode("utf-8", "surrogateescape"))
        except OSError:                 # no sh or git, or git gone before reading (BrokenPipeError)
            self.close()
            self._proc = None

    def paths(self) -> list[str] | None:
        """The matching paths (surrogate-escaped where not UTF-8), or None when the search failed."""
        if self._proc is None:
            return None
        out, _ = self._proc.communicate()
        if self._proc.returncode == 1:          # git grep: nothing matched
            return []
        if self._proc.returncode != 0:
            return None
        return [name[len(self._prefix):].decode("utf-8", "surrogateescape")
                for name in out.split(b"\0") if name.startswith(self._prefix)]

    def close(self) -> None:
        """Stop a search whose answer is no longer wanted."""
        proc = getattr(self, "_proc", None)
        if proc is not None and proc.returncode is None:
            proc.kill()
            proc.communicate()


_INLINE_REQUEST_BYTES = 4096   # below PIPE_BUF-sized pipes' capacity on every platform


class BlobReader:
    """Blobs by id through one `git cat-file --batch` process; `requests` counts ids asked for.

    `read_many` pipelines: a writer thread feeds ids while the caller reads answers, so a
    thousand blobs cost one round trip, not a thousand. A missing or corrupt object raises
    GitError naming it.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.requests = 0
        self._handle: Any = None

    def _proc(self) -> subprocess.Popen[bytes]:
        if self._handle is None:
            # A larger cache of inflated delta bases: blobs read in commit order share bases
            # (measured: 12% less git CPU over a 10,000-commit history, 40 MB more memory).
            self._handle = _spawn(self.root, "-c", "core.deltaBaseCacheLimit=256m", "cat-file", "--batch",
                                  stdin=True)
        proc: subprocess.Popen[bytes] = self._handle.proc
        return proc

    def read(self, object_id: str) -> bytes:
        return self.read_many([object_id])[object_id]

    def read_many(self, object_ids: Sequence[str], *, max_bytes: int | None = None) -> dict[str, bytes]:
        """Bytes by id. An object larger than `max_bytes` is drained unread and given as b""
        (callers treat it as unreadable), so a hostile giant blob costs no memory."""
        wanted = list(dict.fromkeys(object_ids))
        if not wanted:
            return {}
        self.requests += len(wanted)
        proc = self._proc()
        assert proc.stdin is not None and proc.stdout is not None
        payload = "".join(f"{oid}\n" for oid in wanted).encode("ascii")
        writer = None
        if len(payload) <= _INLINE_REQUEST_BYTES:
            # Fits the pipe while cat-file is idle (every earlier answer was read): no thread.
            self._write(proc, payload)
        else:
            writer = threading.Thread(target=self._write, args=(proc, payload), daemon=True)
            writer.start()
        out: dict[str, bytes] = {}
        try:
            for oid in wanted:
                header = proc.stdout.readline()
                if not header:
                    raise GitError(f"cannot read object {oid}: {self._stderr()}")
                parts = header.decode("ascii", "replace").split()
                if len(parts) != 3:
                    raise GitError(f"object {oid} is missing or unreadable (git answered "
                                   f"{header.decode('ascii', 'replace').strip()[:80]!r})")
                size = int(parts[2])
                if max_bytes is not None and size > max_bytes:
                    self._drain(proc, size + 1, oid)
                    out[oid] = b""
                    continue
                data = proc.stdout.read(size + 1)
                if len(data) != size + 1:
                    raise GitError(f"object {oid} is truncated or corrupt: {self._stderr()}")
                out[oid] = data[:-1]
        except GitError:
            self.close(kill=True)
            raise
        finally:
            if writer is not None:
                writer.join()
        return out

    def _drain(self, proc: subprocess.Popen[bytes], count: int, oid: str) -> None:
        assert proc.stdout is not None
        while count > 0:
            chunk = proc.stdout.read(min(count, _CHUNK))
            if not chunk:
                raise GitError(f"object {oid} is truncated or corrupt: {self._stderr()}")
            count -= len(chunk)

    @staticmethod
    def _write(proc: subprocess.Popen[bytes], payload: bytes) -> None:
        try:
            proc.stdin.write(payload)  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass

    def _stderr(self) -> str:
        """git's message once cat-file has stopped (its stdin closed, it exits)."""
        try:
            self._handle.proc.stdin.close()
        except OSError:
            pass
        return self._handle.message() or "git cat-file stopped"

    def close(self, *, kill: bool = False) -> None:
        if self._handle is not None:
            proc = self._handle.proc
            if kill:
                proc.kill()
            try:
                proc.stdin.close()
            except OSError:
                pass
            proc.wait()
            self._handle.close()
            self._handle = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def export_tree(root: str | Path, commit: str, dest: str | Path) -> None:
    """Write the files of `commit` into the empty directory `dest` as a checkout writes them
    (read-tree and checkout-index through an index of its own). Not `git archive`: the commit's
    .gitattributes can make it leave files out (export-ignore) or rewrite them (export-subst),
    and a rebuild would then not be what a clone of the commit builds. Past MAX_PATHS paths
    nothing is written (TooManyPaths)."""
    import tempfile

    _refuse_options(commit)
    # Counted first: read-tree would hold every path of a tree bomb in its index, and
    # checkout-index write each one.
    try:
        _listing(root, ["ls-tree", "-r", "-z", "--name-only", "--full-tree", f"{commit}^{{tree}}"],
                 f"exporting {commit}")
    except TooManyPaths:
        raise
    except GitError as exc:
        raise GitError(f"cannot export {commit}: {str(exc)[:200]}") from exc
    with tempfile.TemporaryDirectory(prefix="handshake-index-") as tmp:
        index = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
        try:
            _run(root, "read-tree", commit, env=index)
            _run(root, f"--work-tree={Path(dest).absolute()}", "checkout-index", "--all", "--force", env=index)
        except GitError as exc:
            raise GitError(f"cannot export {commit}: {str(exc)[:200]}") from exc
