"""The cyclic garbage collector paused while a run builds millions of long-lived acyclic objects.

Verification and the history walk allocate parsed documents, views and results that live
until the end of the run; CPython's cyclic collector rescans all of them each time the heap
grows by a quarter (measured: 2.8x the cost of unpickling verify's per-folder results; a third
of the history walk's Python time at 10,000 commits). Nothing in those runs depends on cycle
collection: reference counting frees everything they drop.

What does need the collector is the cyclic garbage around those runs: a parser or a report
dropped just before a run, and the cycles a run makes and drops itself (recursive closures,
caught exceptions). Frozen with the run's objects, they were never freed: a process that
verified repeatedly (a fuzzer, a service, the tests) grew by 16-22 KB a run. A run now
collects the young generations first, and gives earlier runs' frozen objects back to the
collector once enough have piled up, while there are few of them (`RECLAIM_GROWTH`,
`RECLAIM_AT_MOST`). `gc.unfreeze` cannot tell whose objects it thaws: a host application that
froze a small heap of its own (before forking workers) gets it thawed too.
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


# Earlier runs' frozen objects go back to the collector (one full collection, 3-4 ms on the
# demo) once RECLAIM_GROWTH more have survived since the last time, and only while there are at
# most RECLAIM_AT_MOST: more is a live model held across runs (a build's verification while its
# site is rendered), whose scan is the cost freezing exists to avoid. What a run leaves (0.6 KB
# measured on the demo, 15 KB on a hostile input) thus costs a collection every few dozen runs
# or more, not one every run.
RECLAIM_GROWTH = 10_000
RECLAIM_AT_MOST = 200_000
_survivors = [0]       # frozen objects the last reclaim left


@contextmanager
def paused(*, reclaim: bool = True) -> Iterator[None]:
    """Disable the collector for the block, then restore its state. Everything allocated
    meanwhile sits in the youngest generation, so the first collection after re-enabling would
    scan it all (5% of a 10,000-sovereign verify): it is moved to the permanent generation
    first (`gc.freeze`), where only reference counting frees it. Garbage made before the block
    is collected first (young generations, 0.3 ms), so it is never frozen with it.

    `reclaim=False`: the caller knows what is frozen is a live heap, never to be reclaimed (a
    worker forked from a builder that froze its model), and skips counting it: counting walks
    every frozen object (26 ms at 1.5 million; 0.1-0.3 s in a page worker, whose inherited heap
    is cold in its processor's caches, measured with py-spy: 5.7% of the workers' samples)."""
    was_enabled = gc.isenabled()
    if was_enabled:
        frozen = gc.get_freeze_count() if reclaim else 0
        if reclaim and _survivors[0] + RECLAIM_GROWTH < frozen <= RECLAIM_AT_MOST:
            gc.unfreeze()
            _survivors[0] = frozen - gc.collect()
        else:
            gc.collect(1)
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
