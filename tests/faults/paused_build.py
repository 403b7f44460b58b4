"""`handshake build ...` that pauses half-way through writing the new site.

The build writes each file into the staging directory as it is built
(`publisher.site.sink.write_file`); after the first PAUSE_AFTER files it prints
`PAUSED <staging dir>` and waits for one line on stdin, then finishes. Fault tests use it to kill a build or interleave
two builds at a known point, with no sleeps and no timing.

Usage: python paused_build.py REPO --out DIR [build options]
"""
from __future__ import annotations

import sys
from pathlib import Path

import publisher.site.sink as sink
from publisher.cli import main

PAUSE_AFTER = 5             # files: a rebuild writes only what changed (18 of 64 in the fault tests)
_write_file = sink.write_file
_written = [0]


def paused_write_file(root: Path | str, path: str, data: bytes) -> None:
    _write_file(root, path, data)
    _written[0] += 1
    if _written[0] == PAUSE_AFTER:
        print(f"PAUSED {root}", flush=True)
        sys.stdin.readline()


sink.write_file = paused_write_file
sys.exit(main(["build", *sys.argv[1:]]))
