"""`handshake verify-site DIR [--repo REPO]`: rebuild the site from the commit and time in
DIR/manifest.json and report every file that differs (exit 0 only when byte-identical)."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from publisher.cli import EXIT_FINDINGS, EXIT_OK, UsageError
from publisher.cli.cmd_verify import format_finding
from publisher.cli.common import repo_path, worker_count
from publisher.layout import printable
from publisher.site import GENERATOR
from publisher.site.verify_site import verify_site


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("verify-site", help="rebuild a published site and compare it byte for byte",
                       description="Rebuild the site from the clone at the commit and evaluation time recorded "
                                   "in DIR/manifest.json and report every file that differs.")
    p.add_argument("directory", help="the published site directory")
    p.add_argument("--repo", help="the repository clone (default: the current directory, or the repository "
                                "above it in the same git work tree)")
    p.add_argument("--jobs", type=worker_count, default=None, help="worker processes for verification")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    if not directory.is_dir():
        raise UsageError(f"{directory} is not a directory")
    findings, generator = verify_site(directory, repo_path(args.repo), generator=GENERATOR, workers=args.jobs)
    for item in findings:
        print(format_finding(item))
    if generator and generator != GENERATOR:
        print(f"note: the site was built by {printable(generator)}, this is {GENERATOR}; differences are expected",
              file=sys.stderr)
    print(f"{len(findings)} difference(s) · {'IDENTICAL' if not findings else 'DIFFERS'}")
    return EXIT_OK if not findings else EXIT_FINDINGS
