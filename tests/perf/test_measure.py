"""bench/measure.py: the peak memory of a stage's process tree, without slowing the stage."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path

from bench import measure

MB = 2**20

# Holds `size` MB of written (resident) memory for `hold` seconds, in this process or in a
# forked worker beside it (the parent then holds its own 20 MB).
HOLDER = textwrap.dedent("""
    import os, sys, time
    size, hold, forked = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3] == "fork"
    def keep():
        block = bytearray(size * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        time.sleep(hold)
    if forked:
        mine = bytearray(20 * 2**20)
        for i in range(0, len(mine), 4096):
            mine[i] = 1
        pid = os.fork()
        if pid == 0:
            keep()
            os._exit(0)
        os.waitpid(pid, 0)
    else:
        keep()
""")


def _holder(size_mb: int, hold: float, mode: str) -> list[str]:
    return [sys.executable, "-c", HOLDER, str(size_mb), str(hold), mode]


def test_a_forked_workers_memory_is_added_to_the_peak(tmp_path: Path) -> None:
    """The worker's 150 MB are not in the parent's ru_maxrss: only the sampler can see them."""
    run = measure.run(_holder(150, 1.5, "fork"), cwd=tmp_path)
    assert run.returncode == 0
    assert run.peak_mb >= 150 + 20


def test_a_lone_process_is_measured_by_its_own_high_water_mark(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """No smaps_rollup read at all for one process: wait4's ru_maxrss is its peak."""
    reads = []
    real = measure._memory
    monkeypatch.setattr(measure, "_memory", lambda pid: reads.append(pid) or real(pid))
    run = measure.run(_holder(120, 0.6, "alone"), cwd=tmp_path)
    assert run.returncode == 0
    assert run.peak_mb >= 120
    assert reads == []


def test_proportional_sizes_are_read_only_when_they_could_raise_the_peak(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The resident sizes bound the proportional ones: below the peak, no smaps_rollup read;
    above it, at most one read per PSS_INTERVAL."""
    resident = {1: 400 * MB, 2: 300 * MB}
    monkeypatch.setattr(measure, "_tree", lambda pid: [1, 2])
    monkeypatch.setattr(measure, "_resident", lambda pid: resident[pid])
    monkeypatch.setattr(measure, "_memory", lambda pid: resident[pid] // 2)
    clock = [100.0]
    monkeypatch.setattr(measure.time, "perf_counter", lambda: clock[0])
    peaks = measure.PeakSampler(1)

    peaks.tick()
    assert (peaks.peak, peaks.pss_reads) == (350 * MB, 1)
    clock[0] += measure.PSS_INTERVAL / 2
    resident[2] = 900 * MB
    peaks.tick()                                  # could be a new peak, but read too recently
    assert (peaks.peak, peaks.pss_reads) == (350 * MB, 1)
    clock[0] += measure.PSS_INTERVAL
    peaks.tick()
    assert (peaks.peak, peaks.pss_reads) == (650 * MB, 2)
    resident[1], resident[2] = 300 * MB, 300 * MB   # the bound (600 MB) is under the peak
    clock[0] += measure.PSS_INTERVAL
    peaks.tick()
    assert (peaks.peak, peaks.pss_reads) == (650 * MB, 2)


def test_slow_reads_are_spaced_to_a_small_share_of_a_core(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A read of every smaps_rollup that takes 50 ms waits 1 s (PSS_SHARE 5%) for the next."""
    clock = [100.0]
    resident = {1: 400 * MB, 2: 300 * MB}

    def slow_memory(pid: int) -> int:
        clock[0] += 0.025
        return resident[pid] // 2

    monkeypatch.setattr(measure, "_tree", lambda pid: [1, 2])
    monkeypatch.setattr(measure, "_resident", lambda pid: resident[pid])
    monkeypatch.setattr(measure, "_memory", slow_memory)
    monkeypatch.setattr(measure.time, "perf_counter", lambda: clock[0])
    peaks = measure.PeakSampler(1)
    peaks.tick()
    assert peaks.pss_reads == 1
    resident[2] = 900 * MB
    clock[0] += 0.9                                  # 0.95 s after the first read began
    peaks.tick()
    assert peaks.pss_reads == 1
    clock[0] += 0.1
    peaks.tick()
    assert (peaks.peak, peaks.pss_reads) == (650 * MB, 2)
