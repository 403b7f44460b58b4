"""Hostile tests import their helpers (hostile_repo, hostile_world, make_corpus) from here."""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
