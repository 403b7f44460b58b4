#!/usr/bin/env python3
"""Generate the hostile corpus: a tiny valid baseline repository and one overlay per attack.

Output (committed; regenerated only by running this script, checked by a test):
  tests/hostile/corpus/baseline/           two sovereigns (alpha, beta) verifying with no finding
  tests/hostile/corpus/attacks/<attack>/   the files the attacker changes or adds, at their repo
                                           paths, each component percent-encoded (a folder named
                                           with bidi controls is stored as ASCII)
Keys derive from fixed seeds in memory (`hostile_world`), so the output is byte-for-byte
reproducible. Private-key attack files are fake material from those seeds. Attacks that need
huge files, deep nesting or symbolic links are built at test time, never committed.

Usage: python tests/hostile/make_corpus.py [--check]
"""
from __future__ import annotations

import argparse
import copy
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parents[1])]

from hostile_attacks import ATTACKS  # noqa: E402
from hostile_world import Files, baseline  # noqa: E402

CORPUS = HERE / "corpus"


def overlay(base: Files, attacked: Files) -> Files:
    """The files an attack adds or changes (attacks never delete: a missing file is its own case)."""
    missing = sorted(set(base) - set(attacked))
    if missing:
        raise ValueError(f"attacks add or change files, never delete: {missing}")
    return {path: data for path, data in attacked.items() if base.get(path) != data}


def corpus_tree() -> dict[str, bytes]:
    """Every file of the corpus directory, by path relative to it."""
    base = baseline()
    tree = {f"baseline/{p}": data for p, data in base.items()}
    for name, function in sorted(ATTACKS.items()):
        attacked = copy.deepcopy(base)
        function(attacked)
        changed = overlay(base, attacked)
        if not changed:
            raise ValueError(f"attack {name} changes nothing")
        for path, data in changed.items():
            tree[f"attacks/{name}/{quote(path, safe='/')}"] = data
    return tree


def on_disk(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed corpus; write nothing")
    args = parser.parse_args(argv)
    tree = corpus_tree()
    if args.check:
        current = on_disk(CORPUS)
        differ = sorted(p for p in set(tree) | set(current) if tree.get(p) != current.get(p))
        for path in differ[:20]:
            print(f"differs: {path}")
        return 1 if differ else 0
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    for path, data in tree.items():
        target = CORPUS / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"wrote {len(tree)} files: the baseline and {len(ATTACKS)} attacks under {CORPUS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
