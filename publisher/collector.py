"""The cyclic garbage collector paused while a run builds millions of long-lived acyclic objects.

Verification and the history walk allocate parsed documents, views and results that live
until the end of the run; CPython's cyclic collector rescans all of them each time the heap
grows by a quarter (measured: 2.8x the cost of unpickling verify's per-folder results; a third
of the history walk's Python time at 10,000 commits). Nothing in those runs depends on cycle
collection: reference counting frees everything they drop.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Disable the collector for the block, then restore its state. Everything allocated
    meanwhile sits in the youngest generation, so the first collection after re-enabling would
    scan it all (5% of a 10,000-sovereign verify): it is moved to the permanent generation
    first (`gc.freeze`), where only reference counting frees it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
