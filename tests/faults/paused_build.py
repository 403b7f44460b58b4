"""`handshake build ...` that pauses half-way through writing the new site.

After half of the files are in the staging directory it prints `PAUSED <staging dir>` and
waits for one line on stdin, then finishes. Fault tests use it to kill a build or interleave
two builds at a known point, with no sleeps and no timing.

Usage: python paused_build.py REPO --out DIR [build options]
"""
from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import publisher.site.publish as publish
from publisher.cli import main

_write_tree = publish.write_tree


def paused_write_tree(files: Mapping[str, bytes], root: Path) -> None:
    items = sorted(files.items())
    half = len(items) // 2
    _write_tree(dict(items[:half]), root)
    print(f"PAUSED {root}", flush=True)
    sys.stdin.readline()
    _write_tree(dict(items[half:]), root)


publish.write_tree = paused_write_tree
sys.exit(main(["build", *sys.argv[1:]]))
