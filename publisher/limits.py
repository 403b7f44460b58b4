"""Input limits: every resource a hostile repository could exhaust has a documented bound.

Exceeding a limit is a finding (`limits.*` or `json.too_deep`), never a crash. The defaults
are generous for real trust material (the largest real reference document is under 20 KB).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1 << 20          # 1 MiB per document
    max_depth: int = 64                    # as genesis-mesh strict_json
    max_string_chars: int = 65_536         # any single string value
    max_files_per_sovereign: int = 20_000  # treaties included
    max_signatures: int = 16               # signatures tried per document
    max_total_files: int = 2_000_000       # whole repository
    # coalition.json and trust.lock hold one entry per sovereign: ~150 bytes each, so 1.5 MB at
    # 10,000 sovereigns, past max_file_bytes. They get their own bound.
    max_index_bytes: int = 64 << 20        # 64 MiB for each of the two


DEFAULT_LIMITS = Limits()
