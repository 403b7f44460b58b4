"""Fault tests build on the hostile corpus's baseline repository (tests/hostile)."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent / "hostile"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
