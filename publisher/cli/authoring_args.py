"""Shared shell of the authoring commands: common options, key loading, and the one way a
plan is applied and reported. Prints; the library it calls never does.

Exit statuses: 0 written (or pending co-signatures), 1 refused (nothing written), 2 misuse.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any
from collections.abc import Callable

from publisher.authoring import AuthoringError
from publisher.authoring.keys import Signer, load_signer, private_file_link_problem, private_file_mode_problem
from publisher.authoring.state import RepoState, load_state
from publisher.authoring.writer import Outcome, Plan, apply
from publisher.cli import EXIT_FINDINGS, EXIT_MISUSE, EXIT_OK
from publisher.cli.cmd_verify import format_finding as verify_line
from publisher.cli.common import add_repo_argument, parse_at, repo_cache, repo_path
from publisher.findings import Finding
from publisher.layout import printable


def add_common(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser, "--repo", what="Handshake repository root")
    parser.add_argument("--at", help="time of the operation, ISO 8601 (default: now); dates what is signed "
                                     "and the verification that follows")
    add_no_cache(parser)


def add_no_cache(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-cache", action="store_true",
                        help="verify every folder afresh, without the verification cache (also "
                             "HANDSHAKE_NO_CACHE=1); the answer is the same, only slower")


def open_state(args: argparse.Namespace, root: Path | None = None) -> RepoState:
    """The repository (`root`, else --repo or the one found here) verified at --at, through
    its verification cache unless --no-cache."""
    root = root if root is not None else repo_path(args.repo)
    return load_state(root, parse_at(args.at), cache=repo_cache(root, args.no_cache))


def signer(path: str, state: RepoState | None, what: str) -> Signer:
    loaded = load_signer(path, repo=state.root if state else None, what=what)
    for warning in (private_file_mode_problem(path), private_file_link_problem(path)):
        if warning:
            print(f"warning: {warning}", file=sys.stderr)
    return loaded


def format_finding(f: Finding) -> str:
    """`handshake verify`'s line, indented: paths and messages escaped as there."""
    return "  " + verify_line(f)


def report(outcome: Outcome) -> int:
    for line in outcome.summary:
        print(printable(line))          # may quote a document's key label or id
    for path in outcome.written:
        print(f"  wrote {path}")
    written = set(outcome.written)
    warnings = [f for f in outcome.verification.findings
                if f.severity.value == "warning" and f.path in written] if written else []
    if warnings:
        print("warnings on what was written (written anyway; see the reason-code page):")
        for f in warnings[:50]:
            print(format_finding(f))
    if outcome.elsewhere:
        print("warnings this change causes in files it did not write (their sovereigns must act):")
        for f in outcome.elsewhere[:50]:
            print(format_finding(f))
        if len(outcome.elsewhere) > 50:
            print(f"  ... and {len(outcome.elsewhere) - 50} more (handshake verify lists them all)")
    if outcome.pending:
        print("PENDING: written, but waiting for more signatures (handshake sign FILE --key ...):")
        for f in outcome.pending:
            print(format_finding(f))
    summary = outcome.verification.summary()
    print(f"verified: {summary['error']} error(s), {summary['warning']} warning(s) in the repository "
          f"at {summary['evaluated_at']}" + ("" if not outcome.pending else " (pending signatures counted)"))
    return EXIT_OK


def apply_plan(state: RepoState, plan: Plan) -> int:
    return report(apply(state.root, plan, at=state.at, before=state.verification, cache=state.cache))


def guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Map a refusal to exit 1 with its reason and findings on stderr, and a filesystem
    refusal (an --out naming a folder, a path through a file, a full disk; the writer restores
    what it wrote) to exit 2 with one line naming the file and the reason, never a traceback."""
    def wrapper(args: argparse.Namespace) -> int:
        try:
            return run(args)
        except AuthoringError as exc:
            print(f"handshake {args.command}: {printable(str(exc))}", file=sys.stderr)
            for f in exc.findings[:50]:
                if isinstance(f, Finding):
                    print(format_finding(f), file=sys.stderr)
            return EXIT_FINDINGS
        except OSError as exc:
            where = exc.filename2 or exc.filename      # a rename names the target second
            print(printable(f"handshake {args.command}: {exc.strerror or exc}{f': {where}' if where else ''}"),
                  file=sys.stderr)
            return EXIT_MISUSE
    return wrapper


def kv_pairs(items: list[str] | None, what: str) -> dict[str, Any]:
    from publisher.cli import UsageError
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} {item!r} must be key=value")
        out[key] = value
    return out
