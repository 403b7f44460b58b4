"""Review tests reuse the scripted-repository builders of tests/history (trustrepo.py)."""
from __future__ import annotations

import sys
from pathlib import Path

HISTORY = Path(__file__).resolve().parent.parent / "history"
if not (HISTORY / "trustrepo.py").is_file():
    raise RuntimeError(f"test builders not found at {HISTORY / 'trustrepo.py'}")
sys.path.insert(0, str(HISTORY))
