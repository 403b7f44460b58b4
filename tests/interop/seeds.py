"""The differential tests' seeds: a fixed default, or a wider set chosen by hand.

`HANDSHAKE_DIFFERENTIAL_SEEDS=1000-1999` (or `3,7,20-29`) runs every differential test on those
seeds instead, to look for differences the default seeds never reach; CI runs the defaults. A
failure names its seed, which reproduces it (`reference_tool.py differential SEED COUNT`).
"""
from __future__ import annotations

import os

VARIABLE = "HANDSHAKE_DIFFERENTIAL_SEEDS"


def parse_seeds(text: str) -> tuple[int, ...]:
    """`"3,7,20-29"` -> (3, 7, 20, ..., 29); a ValueError names what is not a seed or range."""
    out: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{VARIABLE}: {part!r} is not a seed or a range LOW-HIGH")
        out += range(int(low), int(high) + 1) if dash else [int(low)]
    if not out:
        raise ValueError(f"{VARIABLE}: no seed in {text!r}")
    return tuple(dict.fromkeys(out))


def seeds(default: tuple[int, ...]) -> tuple[int, ...]:
    text = os.environ.get(VARIABLE, "").strip()
    return parse_seeds(text) if text else default
