"""Benchmark (not a test): history walk, pin and review on a synthetic repository.

Builds N sovereigns (one treaty and one feed each) in one commit, then C small commits
(new treaties, revocations, feed growth), then measures:
  - `git log --raw` over the history (the floor: what git itself costs),
  - the history walk (`load_steps` + `analyze`, what `handshake pin` and verify's history do),
  - `handshake review HEAD~1 HEAD` for a one-file change (a feed) and a treaty re-signed.
Usage: python -m tests.history.bench_history [--sovereigns 2000] [--commits 300] [--dir DIR]
"""
from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from publisher.history.load import load_steps
from publisher.history.walk import analyze
from publisher.review.collect import collect_review
from tests.history.trustrepo import NOW, T0, World, git, tid


def _write(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _commit(root: Path, index: int, paths: list[str]) -> None:
    git(root, "add", "--", *paths)
    git(root, "commit", "-q", "-m", f"change {index}", date=T0 + timedelta(hours=index))


def build(root: Path, sovereigns: int, commits: int) -> World:
    names = [f"sov-{i:05d}" for i in range(sovereigns)]
    world = World(*names)
    for i, name in enumerate(names):
        world[name].treaty("t0", world[names[(i + 1) % sovereigns]])
        world[name].set_feed([f"att-{name}-0"])
    world.pin_all()
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    files = world.files()
    _write(root, files)
    _commit(root, 0, ["."])
    previous = files
    for index in range(1, commits + 1):
        name = names[(index * 7) % sovereigns]
        sov = world[name]
        if index % 3 == 0:
            sov.treaty(f"t{index}", world[names[(index * 11) % sovereigns]])
        elif index % 3 == 1:
            sov.set_feed(sorted(set(sov.feed[1]) | {f"att-{name}-{index}"}))
            sov.feed_issued = T0 + timedelta(days=10, hours=index)
        else:
            sov.revoke(tid(f"{name}:t0"), "member_departed")
        current = sov.files()
        changed = [p for p, d in current.items() if previous.get(p) != d]
        _write(root, {p: current[p] for p in changed})
        _commit(root, index, changed)
        previous.update(current)
    return world


def timed(label: str, action, repeat: int = 3) -> float:
    best = min(_once(action) for _ in range(repeat))
    print(f"{label:58} {best * 1000:9.1f} ms")
    return best


def _once(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sovereigns", type=int, default=2000)
    parser.add_argument("--commits", type=int, default=300)
    parser.add_argument("--dir")
    args = parser.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="handshake-bench-")) / "repo"
    start = time.perf_counter()
    world = build(root, args.sovereigns, args.commits)
    files = int(subprocess.run(["git", "ls-files"], cwd=root, capture_output=True, text=True).stdout.count("\n"))
    print(f"built {args.sovereigns} sovereigns, {args.commits + 1} commits, {files} files "
          f"in {time.perf_counter() - start:.1f} s ({root})")
    log = ["git", "log", "--raw", "-z", "--no-renames", "--no-abbrev", "--reverse", "--first-parent",
           "--format=%x01%H %ct %P", "HEAD", "--", "sovereigns", "trust.lock", "coalition.json"]
    timed("git log --raw (the floor)", lambda: subprocess.run(log, cwd=root, capture_output=True, check=True))
    result = []
    timed("history walk: git log + cat-file + analyze (pin, verify)",
          lambda: result.append(analyze(load_steps(root))))
    print(f"  {result[-1].commits} commits, {len(result[-1].changes)} changes, "
          f"{len(result[-1].first_seen)} first-seen roots, {len(result[-1].open)} open attacks")
    name = "sov-00042"
    world[name].set_feed(sorted(set(world[name].feed[1]) | {"att-bench"}))
    world[name].feed_issued = NOW
    feed = f"sovereigns/{name}/revocation-feed.json"
    _write(root, {feed: world[name].files()[feed]})
    _commit(root, args.commits + 1, [feed])
    reviews = []
    timed("review HEAD~1 HEAD, one file (a feed)", lambda: reviews.append(collect_review(root, "HEAD~1", "HEAD")))
    print(f"  {[c.code for c in reviews[-1].changes]}, blobs read: {reviews[-1].stats['blobs_read']}")
    world[name].resign(tid(f"{name}:t0"), allowed_roles=["role:client", "role:operator"])
    current = world[name].files()
    changed = [p for p in current if (root / p).read_bytes() != current[p]]
    _write(root, {p: current[p] for p in changed})
    _commit(root, args.commits + 2, changed)
    timed(f"review HEAD~1 HEAD, treaty re-signed ({len(changed)} files)",
          lambda: reviews.append(collect_review(root, "HEAD~1", "HEAD")))
    print(f"  {[c.code for c in reviews[-1].changes]}, blobs read: {reviews[-1].stats['blobs_read']}")


if __name__ == "__main__":
    main()
