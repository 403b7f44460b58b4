"""The git adapter: the only module that imports GitPython.

Everything else works on plain values (commit ids, times, paths, blob ids, bytes). Reads go
through one `git` process per call: one `git log --raw` stream for history, one
`git cat-file --batch` process for blobs, `ls-tree` / `diff --raw` for trees. No per-commit
object walks (about ten times slower on a 5,000-commit repository). Every git failure
(not a repository, unknown ref, shallow or corrupt history) is a `GitError` with a message a
person can act on, never a GitPython traceback.
"""
from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import git

TRUST_PATHS = ("sovereigns", "trust.lock", "coalition.json")
_ZERO = "0" * 40
_CHUNK = 1 << 16


class GitError(Exception):
    """A git operation failed (not a repository, shallow or corrupt history, unknown ref)."""


@dataclass(frozen=True)
class Commit:
    sha: str
    time: datetime          # committer time, UTC


@dataclass(frozen=True)
class RawChange:
    """One line of `git log --raw` / `git diff --raw`: a path's blob before and after."""

    path: str
    old_blob: str | None    # None: the path did not exist before
    new_blob: str | None    # None: the path was deleted
    new_mode: str = "100644"


@dataclass(frozen=True)
class LogEntry:
    commit: Commit
    parents: tuple[str, ...]
    changes: tuple[RawChange, ...]


@dataclass(frozen=True)
class TreeEntry:
    """One row of `git ls-tree -r -l`: mode, object type, object id, size (None for non-blobs)."""

    path: str
    mode: str
    type: str
    object_id: str
    size: int | None


def open_repo(root: str | Path) -> git.Repo:
    try:
        return git.Repo(str(root), search_parent_directories=False)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
        raise GitError(f"{root} is not a git repository") from exc


def is_repository(root: str | Path) -> bool:
    return (Path(root) / ".git").exists()


def _fail(what: str, exc: git.GitCommandError) -> GitError:
    detail = exc.stderr.strip() if isinstance(exc.stderr, str) else str(exc.stderr or "")
    return GitError(f"{what}: {detail.replace('stderr:', '').strip()[:300] or exc}")


def head_commit(root: str | Path) -> Commit | None:
    """HEAD's id and committer time, or None outside a repository or before the first commit."""
    if not is_repository(root):
        return None
    try:
        out = open_repo(root).git.log("-1", "--format=%H %ct", "HEAD")
    except git.GitCommandError:
        return None
    sha, seconds = out.split()
    return Commit(sha, datetime.fromtimestamp(int(seconds), UTC))


def has_head(root: str | Path) -> bool:
    """True when HEAD names a commit id, readable or not (False before the first commit). Reads
    no object, so a corrupt HEAD commit still counts: its history is unreadable, not empty."""
    if not is_repository(root):
        return False
    try:
        open_repo(root).git.rev_parse("--verify", "--quiet", "HEAD")
    except git.GitCommandError:
        return False
    return True


def commit_info(root: str | Path, ref: str) -> Commit:
    """Full id and committer time of `ref`."""
    try:
        out = open_repo(root).git.log("-1", "--format=%H %ct", resolve(root, ref))
    except git.GitCommandError as exc:
        raise _fail(f"cannot read commit {ref!r}", exc) from exc
    sha, seconds = out.split()
    return Commit(sha, datetime.fromtimestamp(int(seconds), UTC))


def resolve(root: str | Path, ref: str) -> str:
    """Full commit id of `ref`."""
    if ref.startswith("-"):
        raise GitError(f"unknown revision {ref!r}")
    try:
        return str(open_repo(root).git.rev_parse("--verify", "--quiet", f"{ref}^{{commit}}"))
    except git.GitCommandError as exc:
        raise GitError(f"unknown revision {ref!r}") from exc


def merge_base(root: str | Path, a: str, b: str) -> str:
    try:
        return str(open_repo(root).git.merge_base(resolve(root, a), resolve(root, b)))
    except git.GitCommandError as exc:
        raise _fail(f"no merge base of {a!r} and {b!r}", exc) from exc


def is_shallow(root: str | Path) -> bool:
    """True for a shallow clone, whose history is cut off (first-seen pins would be wrong)."""
    try:
        return str(open_repo(root).git.rev_parse("--is-shallow-repository")).strip() == "true"
    except git.GitCommandError as exc:
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


def _finish(handle: object, what: str) -> None:
    proc = handle.proc  # type: ignore[attr-defined]
    stderr = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise GitError(f"{what}: {stderr.strip()[:300] or 'git failed'}")


def iter_log(root: str | Path, rev: str = "HEAD", paths: Sequence[str] = TRUST_PATHS) -> Iterator[LogEntry]:
    """First-parent history of `rev`, oldest first, each commit with the raw changes under `paths`.

    One `git log --raw -z` process; merges are diffed against their first parent, so the
    sequence of states is the sequence the branch actually published.
    """
    commit = resolve(root, rev)
    fmt = "--format=%x01%H %ct %P"
    args = ["--raw", "-z", "--no-renames", "--no-abbrev", "--reverse", "--first-parent",
            "--diff-merges=first-parent", "--no-color", fmt, commit, "--", *paths]
    handle = open_repo(root).git.log(*args, as_process=True)
    current: tuple[Commit, tuple[str, ...]] | None = None
    changes: list[RawChange] = []
    tokens = _tokens(_read_chunks(handle.proc))
    for token in tokens:
        token = token.lstrip(b"\n")
        if token.startswith(b"\x01"):
            if current is not None:
                yield LogEntry(current[0], current[1], tuple(changes))
            sha, seconds, *parents = token[1:].decode("ascii").split(" ")
            current = (Commit(sha, datetime.fromtimestamp(int(seconds), UTC)),
                       tuple(p for p in parents if p))
            changes = []
        elif token.startswith(b":"):
            changes.append(_raw_change(token, next(tokens, b"")))
    if current is not None:
        yield LogEntry(current[0], current[1], tuple(changes))
    _finish(handle, "cannot read history")


def diff_raw(root: str | Path, base: str, head: str, paths: Sequence[str] = TRUST_PATHS) -> list[RawChange]:
    """Paths whose blob differs between two commits (`git diff --raw`), with both blob ids."""
    try:
        out = open_repo(root).git.diff("--raw", "-z", "--no-renames", "--no-abbrev", "--no-color",
                                       resolve(root, base), resolve(root, head), "--", *paths,
                                       stdout_as_string=False)
    except git.GitCommandError as exc:
        raise _fail("cannot diff", exc) from exc
    tokens = iter(out.split(b"\0"))
    return [_raw_change(t, next(tokens, b"")) for t in tokens if t.lstrip(b"\n").startswith(b":")]


def ls_tree(root: str | Path, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Every entry under `paths` at `commit` (recursive, with blob sizes), sorted by path."""
    try:
        out = open_repo(root).git.ls_tree("-r", "-z", "-l", "--full-tree", resolve(root, commit),
                                          "--", *paths, stdout_as_string=False)
    except git.GitCommandError as exc:
        raise _fail(f"cannot list {commit}", exc) from exc
    entries = []
    for token in out.split(b"\0"):
        if not token:
            continue
        meta, _, path = token.partition(b"\t")
        mode, kind, object_id, size = meta.decode("ascii").split()
        entries.append(TreeEntry(path.decode("utf-8", "surrogateescape"), mode, kind, object_id,
                                 int(size) if size.isdigit() else None))
    entries.sort(key=lambda e: e.path)
    return entries


def top_level(root: str | Path, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
    """The entries named `paths` at `commit`, not recursed into: a folder is one tree id."""
    try:
        out = open_repo(root).git.ls_tree("-z", "--full-tree", commit, "--", *paths, stdout_as_string=False)
    except git.GitCommandError as exc:
        raise _fail(f"cannot list {commit}", exc) from exc
    entries = []
    for token in out.split(b"\0"):
        if token:
            meta, _, path = token.partition(b"\t")
            mode, kind, object_id = meta.decode("ascii").split()
            entries.append(TreeEntry(path.decode("utf-8", "surrogateescape"), mode, kind, object_id, None))
    return sorted(entries, key=lambda e: e.path)


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
            self._handle = open_repo(self.root).git.cat_file("--batch", as_process=True,
                                                              istream=subprocess.PIPE)
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
                    raise GitError(f"cannot read object {oid}: {self._stderr(proc)}")
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
                    raise GitError(f"object {oid} is truncated or corrupt: {self._stderr(proc)}")
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
                raise GitError(f"object {oid} is truncated or corrupt: {self._stderr(proc)}")
            count -= len(chunk)

    @staticmethod
    def _write(proc: subprocess.Popen[bytes], payload: bytes) -> None:
        try:
            proc.stdin.write(payload)  # type: ignore[union-attr]
            proc.stdin.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError):
            pass

    @staticmethod
    def _stderr(proc: subprocess.Popen[bytes]) -> str:
        try:
            proc.stdin.close()  # type: ignore[union-attr]
            text = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        except OSError:
            text = ""
        return text.strip()[:300] or "git cat-file stopped"

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
            self._handle = None

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def export_tree(root: str | Path, commit: str, dest: str | Path) -> None:
    """Write the files of `commit` into the empty directory `dest` (git archive | tar)."""
    import io
    import tarfile

    try:
        data = open_repo(root).git.archive("--format=tar", commit, stdout_as_string=False)
    except git.GitCommandError as exc:
        raise GitError(f"cannot export {commit}: {exc.stderr.strip()[:200]}") from exc
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        archive.extractall(dest, filter="data")
