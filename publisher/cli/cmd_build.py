"""`handshake build [REPO] [--out DIR] [--at ISO8601|now] [--base-url URL] [--allow-errors] [--jobs N] [--no-cache]`:
verify the repository and write the static site, atomically replacing the previous one."""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher import gitrepo
from publisher.authoring.placement import inside, resolved
from publisher.cache import Cache
from publisher.cli import EXIT_FINDINGS, EXIT_OK, UsageError
from publisher.cli.cmd_verify import format_finding
from publisher.cli.common import add_repo_argument, parse_at, repo_cache, repo_path, source_date_epoch, worker_count
from publisher.history.changes import ChangeEntry
from publisher.layout import SOVEREIGNS_DIR, printable
from publisher.history.load import read_change_channel
from publisher.site import GENERATOR, incremental, lean, render_cache
from publisher.site.build import BuildRefused, build_site
from publisher.site.context import Provenance
from publisher.site.publish import PublishError, previous_site, record_published, staging
from publisher.site.sink import DirectorySink
from publisher.source import WorktreeSource
from publisher.timestamps import zulu
from publisher.verify import verify_path


CHANGES_KIND = "site-changes"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("build", help="build the static handshake site",
                       description="Verify the repository and write the static site (coalition page, roll call, "
                                   "connectome, one page per sovereign and treaty, JSON exports, manifest). The "
                                   "same commit and --at give byte-identical output. Refuses a repository whose "
                                   "verification has errors unless --allow-errors.")
    add_repo_argument(p)
    p.add_argument("--out", help="output directory (default: REPO/_site); replaced atomically")
    p.add_argument("--at", help="evaluation time, ISO 8601 or 'now' (default: SOURCE_DATE_EPOCH, "
                                "else the HEAD commit time)")
    p.add_argument("--base-url", default="", help="absolute URL the site is published at (used in "
                                                  "trust bundles; default: coalition site_url, else relative)")
    p.add_argument("--allow-errors", action="store_true",
                   help="build even when verification has errors, showing them on every affected page")
    p.add_argument("--no-history", action="store_true",
                   help="do not read git history (changes.html and changes.atom then say none was available)")
    p.add_argument("--jobs", type=worker_count, default=None, help="worker processes (default: all cores)")
    p.add_argument("--no-cache", action="store_true",
                   help="render every page and verify every document again (no verification or render cache)")
    p.set_defaults(run=run)


def evaluation_time(root: Path, value: str | None, head: gitrepo.Commit | None):  # type: ignore[no-untyped-def]
    """--at, else SOURCE_DATE_EPOCH, else the HEAD commit time, else now (with a note)."""
    if value is not None:
        return parse_at(value)
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    if head is not None:
        return head.time
    print(f"handshake build: {root} is not a git repository with commits; evaluating at the current time "
          "(the output will not be reproducible)", file=sys.stderr)
    return parse_at("now")


def _shallow(root: Path) -> bool:
    try:
        return gitrepo.is_shallow(root)
    except gitrepo.GitError:
        return True                 # cannot tell: remember nothing


@dataclass(frozen=True)
class ChangeChannel:
    """The change channel at a commit (`entries`: newest first; None without git history) and
    `key`, the content address it is kept under when it has one (commit id and code version):
    the key stands for the entries in the site's no-change key, where pickling 147,600 entries
    took a second of the build at 10,000 commits."""

    entries: list[ChangeEntry] | None
    key: str | None = None


def change_channel(root: Path, commit: str | None, cache: Cache | None, at: datetime | None = None) -> ChangeChannel:
    """The change channel at `commit` evaluated at `at`, remembered under the commit id (a
    commit's history never changes), `at` (a removal dated past it is told as a deletion:
    `change_entries`) and the code version; no entries without git history. One is kept per
    repository, the latest build's (5 MB at 10,000 commits): a cache persisted across pushes
    does not grow by one per commit. A shallow clone keeps none and reads none, as the history walk does
    (`logcache`): its oldest commit reads as adding every file, so what it gives for a commit
    is not that commit's history, and a deepened clone must not be handed it; nor has it a key."""
    keyable = commit is not None and cache is not None and not _shallow(root)
    key = render_cache.digest("change-channel", commit, zulu(at) if at else "") if keyable else None
    slot = render_cache.digest("change-channel-slot", str(root.resolve()))
    if key is not None:
        remembered = render_cache.load(cache, CHANGES_KIND, slot)
        if isinstance(remembered, tuple) and len(remembered) == 2 and remembered[0] == key \
                and isinstance(remembered[1], list):
            return ChangeChannel(remembered[1], key)
    changes = read_change_channel(root, commit, cache, at=at)
    if key is not None and changes is not None:
        render_cache.store(cache, CHANGES_KIND, slot, (key, changes))
    return ChangeChannel(changes, key if changes is not None else None)


def _change_channel_in_child(root: Path, commit: str | None, cache: Cache | None, at: datetime) -> ChangeChannel:
    """The change channel, read in a forked child: the memory it takes (the history walk's
    views of every sovereign, 1.5 GB at 10,000 sovereigns and commits) goes back to the system
    when the child exits instead of staying in the heap the page workers are forked from
    (inline without fork). Read before verification, not beside it: both use every core, so
    overlapping them saved no time and added their peaks."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return change_channel(root, commit, cache, at)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        return pool.submit(change_channel, root, commit, cache, at).result()


def _rendered(rendered: int, units: int) -> str:
    """How many sovereigns were rendered, and where the others came from, when there are others."""
    if rendered >= units:
        return f"{rendered} of {units} sovereigns rendered"
    return f"{rendered} of {units} sovereigns rendered, the others from the render cache"


def _refuse_out_in_trust_material(root: Path, out: str | None) -> None:
    """A site written under sovereigns/ would itself be read as trust material by the next
    verify (and published again inside the next site): refused before anything is built."""
    if out is None:
        return
    if inside(Path(os.path.realpath(out)), resolved(root / SOVEREIGNS_DIR)):
        raise UsageError(f"--out {out} is inside {root / SOVEREIGNS_DIR}: the site must not be written "
                         f"among the trust material; choose a directory outside {SOVEREIGNS_DIR}/")


def run(args: argparse.Namespace) -> int:
    root = repo_path(args.repo)
    _refuse_out_in_trust_material(root, args.out)
    head = gitrepo.head_commit(root)
    at = evaluation_time(root, args.at, head)
    cache = repo_cache(root, args.no_cache)
    commit = head.sha if head else None
    changes = ChangeChannel(None) if args.no_history else _change_channel_in_child(root, commit, cache, at)
    started = time.perf_counter()
    models = lean.Models()       # every full model, pickled to a temporary file (publisher.site.lean)
    verifier = lean.Verifier(lambda: verify_path(root, at=at, workers=args.jobs, use_cache=not args.no_cache), models,
                             (lambda v: incremental.inputs_digest(v, WorktreeSource(root))) if cache is not None
                             else (lambda v: None), cache)
    status = gitrepo.TrustPathStatus(root) if head is not None else None   # read when the site is written
    try:
        code = _build(args, root, head, at, cache, changes, verifier, started)
        if code == EXIT_OK and status is not None and head is not None:
            _warn_uncommitted(status.differing(), head)
        return code
    finally:
        if status is not None:
            status.close()
        verifier.close()
        models.close()


def _warn_uncommitted(differing: list[str] | None, head: gitrepo.Commit) -> None:
    """Say when the site was built from trust files that HEAD does not hold: its manifest names
    HEAD as the source, so `verify-site` (which rebuilds from that commit) would report the
    site as differing. A local preview is fine; a published site should be built after a commit."""
    if not differing:
        return
    first = printable(differing[0])
    more = f" and {len(differing) - 1} more" if len(differing) > 1 else ""
    print(f"handshake build: warning: the working tree differs from HEAD ({head.sha[:12]}) in {first}{more}; "
          "the site shows the working tree but names HEAD as its source, so verify-site will report it as "
          "differing: commit, then build again before publishing", file=sys.stderr)


def _build(args: argparse.Namespace, root: Path, head: gitrepo.Commit | None, at: Any, cache: Cache | None,
           changes: ChangeChannel, verifier: lean.Verifier, started: float) -> int:
    verification = verifier.verification()
    verified = time.perf_counter()
    provenance = Provenance(source_commit=head.sha if head else None, evaluated_at=at,
                            base_url=args.base_url, generator=GENERATOR, allow_errors=args.allow_errors)
    out = Path(args.out) if args.out else root / "_site"
    workers = args.jobs if args.jobs is not None else (os.cpu_count() or 1)
    try:
        previous = previous_site(out, cache)
        with staging(out, previous) as stage:    # files are written as they are built; swapped in at the end
            sink = DirectorySink(stage.path, previous)
            site = build_site(verification, WorktreeSource(root), provenance, changes=changes.entries,
                              changes_key=changes.key, workers=workers, cache=cache, sink=sink,
                              models=verifier.models, inputs=verifier.digest)
            stage.keep_previous = sink.finish()
            built = time.perf_counter()
        if not stage.keep_previous:
            record_published(out, cache)
    except BuildRefused as exc:
        for item in exc.errors:
            print(format_finding(item), file=sys.stderr)
        print(f"handshake build: refusing to build: {exc}. The previous site is untouched.", file=sys.stderr)
        return EXIT_FINDINGS
    except PublishError as exc:
        raise UsageError(str(exc)) from exc
    done = time.perf_counter()
    for note in site.notes:
        print(format_finding(note), file=sys.stderr)
    build_s = built - verified
    units = verifier.count       # not len(verification.sovereigns): a kept site never loads the models
    verb = "kept" if stage.keep_previous else "wrote"
    print(f"{verb} {site.file_count} files ({site.pages} pages) in {out} · evaluated at "
          f"{zulu(provenance.evaluated_at)} · verify {verified - started:.2f} s, build and write {build_s:.2f} s "
          f"({site.pages / build_s if build_s > 0 else 0:.0f} pages/s) · {_rendered(site.rendered, units)}; "
          f"{len(sink.reused)} files unchanged"
          f"{' (the site in place is already this build)' if stage.keep_previous else ''} · swap {done - built:.2f} s")
    return EXIT_OK
