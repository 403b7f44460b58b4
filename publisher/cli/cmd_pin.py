"""`handshake pin [REPO]`: write trust.lock from history (each sovereign's first-seen root).

Reads the first-parent history of HEAD once (`git log --raw` + `cat-file --batch` of the
genesis blobs only, see `publisher.history.firstseen`); the log is kept in the cache for the
history checks of `handshake verify` and later runs (`publisher.history.logcache`). Existing
pins are never moved: a pin that disagrees with history is reported and kept (exit 1). A
shallow clone is refused (exit 2): its first commit is not where the keys were first seen,
and so is a trust.lock pin cannot read (a link, a folder, invalid JSON): replacing it would
drop its pins. The file is written atomically (temporary file + rename), `indent=2`, sorted keys.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from publisher import gitrepo
from publisher.cli import EXIT_FINDINGS, EXIT_OK, UsageError
from publisher.cli.common import add_repo_argument, repo_cache, repo_path
from publisher.layout import LOCK_FILE, SOVEREIGNS_DIR, is_safe_id, printable
from publisher.limits import DEFAULT_LIMITS, for_path, read_bound
from publisher.readfile import NotRegular, TooLarge, read_regular
from publisher.strictjson import Refusal, load_json
from publisher.history.firstseen import first_seen_roots
from publisher.history.pin import build_lock, render_lock
from publisher.history.views import parse_document


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("pin", help="write trust.lock from git history (first-seen root keys)",
                       description="Pin each sovereign's first-seen root key, with the commit and time it "
                                   "appeared, into trust.lock. Existing pins are kept; a pin that "
                                   "disagrees with history is reported (exit 1).")
    add_repo_argument(p, what="git repository root")
    p.add_argument("--rev", default="HEAD", help="history to read (default: HEAD)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 when trust.lock would change")
    p.add_argument("--no-cache", action="store_true",
                   help="read the whole log from git instead of reusing the one kept for earlier commits")
    p.set_defaults(run=run)


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".trust.lock.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_existing_lock(path: Path) -> bytes | None:
    """The bytes of the trust.lock in place, None when there is none. UsageError for one pin
    must not read or replace: a symbolic link (layout.symlink: never read or written through),
    anything but a regular file (layout.not_regular: a folder crashed the rename), or a lock it
    cannot parse (its pins would silently be dropped for the first-seen ones: existing pins are
    never moved), naming the reason code the verifier gives."""
    try:
        data = read_regular(path, read_bound(DEFAULT_LIMITS, LOCK_FILE))
    except FileNotFoundError:
        return None
    except NotRegular as exc:
        raise UsageError(f"{LOCK_FILE} is not a regular file (layout.not_regular); remove it") from exc
    except TooLarge as exc:
        raise UsageError(f"{LOCK_FILE} is {exc.size} bytes (limits.file_too_large: limit {exc.limit}); "
                         "pin never replaces pins it cannot read: fix or remove it") from exc
    except OSError as exc:
        if os.path.islink(path):
            raise UsageError(f"{LOCK_FILE} is a symbolic link (layout.symlink): pin never reads or writes "
                             "through one; replace it with the file or remove it") from exc
        raise UsageError(f"{LOCK_FILE} cannot be read: {exc.strerror or exc}") from exc
    value = load_json(data, for_path(DEFAULT_LIMITS, LOCK_FILE))
    if isinstance(value, Refusal) or not isinstance(value, dict):
        reason = f"{value.code}: {printable(value.message)}" if isinstance(value, Refusal) else "not a JSON object"
        raise UsageError(f"{LOCK_FILE} cannot be read ({reason}); pin never replaces pins it cannot read: "
                         "fix or remove it")
    return data


def uncommitted(root: Path, known: set[str]) -> list[str]:
    """Sovereign folders with a genesis in the working tree that neither history nor the lock
    knows: most likely created and not committed yet, which pin cannot see."""
    folder = root / SOVEREIGNS_DIR
    if not folder.is_dir() or folder.is_symlink():
        return []
    return sorted(d.name for d in folder.iterdir()
                  if d.name not in known and is_safe_id(d.name) and not d.is_symlink()
                  and (d / "genesis.signed.json").is_file())


def run(args: argparse.Namespace) -> int:
    root = repo_path(args.repo)
    if not gitrepo.is_repository(root):
        raise UsageError(f"{root} is not a git repository: pinning reads history")
    if args.rev == "HEAD" and not gitrepo.has_head(root):
        raise UsageError("the repository has no commit yet: pin reads where each root key was first seen "
                         "in history; commit the sovereigns first (git add -A && git commit), then run "
                         "handshake pin")
    try:
        if gitrepo.is_shallow(root):
            raise UsageError("shallow clone: first-seen roots need the full history (git fetch --unshallow)")
        first_seen, commits = first_seen_roots(root, args.rev, repo_cache(root, args.no_cache))
    except gitrepo.GitError as exc:
        raise UsageError(str(exc)) from exc
    lock_path = root / LOCK_FILE
    data = read_existing_lock(lock_path)
    existing = parse_document(data, path=LOCK_FILE)
    plan = build_lock(first_seen, existing)
    text = render_lock(plan.lock)
    changed = data != text.encode("utf-8")
    for message in plan.messages:
        print(f"pin: {printable(message)}", file=sys.stderr)     # ids from the existing lock, too
    for sovereign_id in uncommitted(root, set(plan.lock["sovereigns"]) | set(first_seen)):
        print(f"pin: {printable(sovereign_id)}: in the working tree but in no commit of {printable(args.rev)}; "
              "not pinned (commit it, then run handshake pin again)", file=sys.stderr)
    if args.check:
        print(f"trust.lock {'would change' if changed else 'is up to date'}")
        return EXIT_FINDINGS if changed or plan.conflicts else EXIT_OK
    if changed:
        write_atomically(lock_path, text)
    print(f"trust.lock: {len(plan.lock['sovereigns'])} pin(s); {len(plan.added)} added, "
          f"{len(plan.updated)} updated, {len(plan.conflicts)} conflict(s) · {commits} commit(s) read")
    return EXIT_FINDINGS if plan.conflicts else EXIT_OK
