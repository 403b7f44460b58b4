"""Limit tests build repositories with the hostile corpus's world (tests/hostile)."""
from __future__ import annotations

import sys
from pathlib import Path

HOSTILE = Path(__file__).resolve().parent.parent / "hostile"
if str(HOSTILE) not in sys.path:
    sys.path.insert(0, str(HOSTILE))
