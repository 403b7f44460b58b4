"""`handshake review BASE [HEAD] [--format markdown|json] [--fail-on LEVEL]`: trust diff of two refs.

Prints a semantic diff of trust (root and NA keys, treaties, scopes, feeds, roll calls,
membership, new verification findings), each change ranked critical..info with one plain
sentence. Exit 1 when `--fail-on LEVEL` is given and a change is at that level or worse;
2 for misuse (unknown ref, not a git repository).
"""
from __future__ import annotations

import argparse
import sys
from datetime import timedelta

from publisher import gitrepo
from publisher.cli import EXIT_FINDINGS, EXIT_OK, UsageError
from publisher.cli.common import add_repo_argument, parse_at, repo_path
from publisher.codes.history import LEVEL_ORDER


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("review", help="semantic diff of trust between two git refs (for pull requests)",
                       description="Review the trust changes from BASE to HEAD: what a maintainer must "
                                   "know before merging, most severe first.")
    p.add_argument("base", help="base ref (e.g. origin/main)")
    p.add_argument("head", nargs="?", default="HEAD", help="head ref (default: HEAD)")
    add_repo_argument(p, "--repo", what="git repository root")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown", help="output format")
    p.add_argument("--fail-on", choices=LEVEL_ORDER, default=None,
                   help="exit 1 when a change is at this level or more severe")
    p.add_argument("--merge-base", action="store_true",
                   help="compare HEAD with the merge base of BASE and HEAD (what a pull request changes)")
    p.add_argument("--at", help="evaluation time for lifecycle notes (default: HEAD's commit time)")
    p.add_argument("--expiring-days", type=int, default=30, help="note treaties expiring within N days (default 30)")
    p.add_argument("--output", help="also write the report to this file")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    root = repo_path(args.repo)
    if not gitrepo.is_repository(root):
        raise UsageError(f"{root} is not a git repository")
    if args.expiring_days < 0:
        raise UsageError("--expiring-days must be 0 or more")
    at = parse_at(args.at) if args.at else None
    # Imported here, not at the top: `handshake review` runs in CI on every pull request and
    # start-up is a large part of its half-second budget.
    from publisher.review.collect import collect_review
    from publisher.review.render import render_json, render_markdown
    try:
        review = collect_review(root, args.base, args.head, at=at, use_merge_base=args.merge_base,
                                expiring_within=timedelta(days=args.expiring_days))
    except gitrepo.GitError as exc:
        hints = [gitrepo.unknown_ref_hint(root, ref) for ref in (args.base, args.head)
                 if str(exc) == f"unknown revision {ref!r}"]
        raise UsageError(str(exc) + "".join(f": {hint}" for hint in hints if hint)) from exc
    text = render_json(review) if args.format == "json" else render_markdown(review)
    sys.stdout.write(text)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
        except OSError as exc:          # a folder, a missing parent, a full disk: one line, no traceback
            raise UsageError(f"cannot write --output {args.output}: {exc.strerror or exc}") from exc
    return EXIT_FINDINGS if review.fails(args.fail_on) else EXIT_OK
