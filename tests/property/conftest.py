"""Property tests (hypothesis): profiles, and the hostile corpus's in-memory world on sys.path.

Profiles: `default` (200 examples a property) and `thorough` (2,000); choose with
HYPOTHESIS_PROFILE. No deadline: a slow example is a benchmark question, never a test failure.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import HealthCheck, settings

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent / "hostile"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

_COMMON = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("default", max_examples=200, **_COMMON)
settings.register_profile("thorough", max_examples=2_000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
