#!/usr/bin/env python3
"""Regenerate tests/site/golden/ from the demo coalition (the only way golden files change).

Builds the demo exactly as tests/site/test_golden.py does (fixed --at, fake commit id), removes
the previous golden tree and writes the new one. Review the diff before committing it.

Usage: python scripts/regen_golden.py
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.site.site_golden import GOLDEN_DIR, build_demo, golden_files  # noqa: E402


def main() -> int:
    files = golden_files(build_demo())
    if GOLDEN_DIR.exists():
        shutil.rmtree(GOLDEN_DIR)
    for path, data in files.items():
        target = GOLDEN_DIR / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    print(f"wrote {len(files)} golden files to {GOLDEN_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
