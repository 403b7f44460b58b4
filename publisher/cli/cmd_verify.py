"""`handshake verify [REPO] [--at ISO8601] [--rev REV] [--format text|json]`: verify everything offline."""
from __future__ import annotations

import argparse
import json
import sys

from typing import TYPE_CHECKING

from publisher import gitrepo
from publisher.cli import EXIT_FINDINGS, EXIT_OK, UsageError
from publisher.cli.common import add_repo_argument, parse_at, repo_cache, repo_path, worker_count
from publisher.layout import printable
from publisher.source import WorktreeSource

if TYPE_CHECKING:    # the verifier is imported in run(), once the working tree's stat walk has started
    from publisher.findings import Finding
    from publisher.verify import Verification


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify", help="verify every document, signature and key chain in a repository",
                       description="Verify a Handshake repository: strict JSON, schemas, signatures "
                                   "chained to each sovereign's pinned root key, cross-references, "
                                   "treaty lifecycle and redaction. Exit 0 when no finding is an error.")
    add_repo_argument(p)
    p.add_argument("--at", help="evaluation time, ISO 8601 or 'now' (default: now)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.add_argument("--jobs", type=worker_count, default=None, help="worker processes (default: all cores)")
    p.add_argument("--quiet", action="store_true", help="text: print only errors and the summary")
    p.add_argument("--no-history", action="store_true",
                   help="skip the history checks (they run when REPO is the root of a git repository: "
                        "a swapped root key, a rolled-back feed, a revoked treaty active again...)")
    p.add_argument("--rev", help="verify the files of this commit (read from git) instead of the working tree; "
                                 "a commit verified before is answered from the cache in well under a second")
    p.add_argument("--no-cache", action="store_true",
                   help="verify every folder and walk the history again instead of reusing results "
                        "for unchanged bytes and commits (`handshake cache` shows where the cache is)")
    p.set_defaults(run=run)


def render_text(result: Verification, *, quiet: bool = False) -> str:
    lines = []
    for f in result.findings:
        if quiet and f.severity.value != "error":
            continue
        lines.append(format_finding(f))
    s = result.summary()
    lines.append(f"{s['error']} error(s), {s['warning']} warning(s), {s['info']} info · "
                 f"{s['sovereigns']} sovereign(s), {s['treaties']} treaty(ies) · evaluated at {s['evaluated_at']}"
                 + (" · OK" if s["ok"] else " · FAILED"))
    return "\n".join(lines) + "\n"


_LABELS: dict[object, str] = {}     # severity -> its padded label: an Enum's .value is a slow property


def format_finding(f: Finding) -> str:
    """One report line, attacker-controlled text made `printable`."""
    label = _LABELS.get(f.severity)
    if label is None:
        label = _LABELS[f.severity] = f"{f.severity.value.upper():7}"
    where = f.path + (f"#{f.pointer}" if f.pointer else "")
    return f"{label} {f.code:32} {printable(where)}: {printable(f.message)}"


def render_json(result: Verification) -> str:
    payload = {"findings": [f.to_dict() for f in result.findings], "summary": result.summary()}
    return json.dumps(payload, indent=2, sort_keys=True) + "\n"


def run(args: argparse.Namespace) -> int:
    root = repo_path(args.repo)
    at = parse_at(args.at)
    cache = repo_cache(root, args.no_cache)
    worktree = None if args.rev else WorktreeSource(root)
    if worktree is not None and cache is not None:
        worktree.start_fingerprint()    # find walks the tree while the verifier is imported (0.1 s)
    from publisher.gitsource import GitSource
    from publisher.verify import verify_repository
    if worktree is None:
        try:
            source: WorktreeSource | GitSource = GitSource(root, args.rev)
        except gitrepo.GitError as exc:
            raise UsageError(str(exc)) from exc
    else:
        source = worktree
    history = None
    if not args.no_history and gitrepo.is_repository(root):
        # History checks (publisher.history): attacks along the history still in effect. Run
        # first, so that the walk's memory (1.5 GB at 10,000 commits, in its worker processes)
        # is gone before verification builds its models: the two peaks never add up.
        from publisher.history.load import check_history   # only when used

        history = check_history(root, args.rev or "HEAD", cache=cache, now=at)
    result = verify_repository(source, at=at, workers=args.jobs, cache=cache)
    if history is not None:
        result = result.with_findings([*result.findings, *history])
    sys.stdout.write(render_json(result) if args.format == "json" else render_text(result, quiet=args.quiet))
    return EXIT_OK if result.ok else EXIT_FINDINGS
