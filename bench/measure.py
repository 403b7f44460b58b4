"""Run one benchmark stage as a child process: wall time, CPU time and peak memory.

Peak memory is the larger of two readings: the child's own `ru_maxrss` from `wait4` (which
the kernel raises to the largest descendant it waited for), and the memory of the child and
all its descendants together, sampled every 20 ms from /proc (a process pool's workers are
alive at the same time, so their memory adds up). The sum uses each process's proportional
set size (smaps_rollup `Pss`), so pages a forked worker still shares with its parent are not
counted twice; without smaps_rollup it falls back to the resident set size. Nothing here
uses tracemalloc.

The sampler must not slow what it measures. Reading smaps_rollup walks the page tables of
the whole process under its memory-map lock, so reading it for every process every 20 ms
made a cold verify of the full-scale corpus 3.1-3.5 s slower (23.1-23.6 s against 19.9-20.1
s, three pairs back to back): at 1 GB a read takes about 30 ms. So a tick skips a lone
process (`ru_maxrss` holds its peak), and otherwise reads the resident set sizes first
(`statm`, a counter): their sum bounds the proportional sum from above, and only when it
exceeds the peak so far is the proportional sum read: at most every PSS_INTERVAL seconds,
and seldom enough that the reads take at most PSS_SHARE of a core (a walk's five processes
took 60 ms a read, so about one read a second). A pool's peak that lasts less than that can
be missed; what it cost before, every 0.25 s: 1.0-1.3 s of a 10 s history walk.
"""
from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Run:
    """What one child process cost."""

    command: list[str]
    seconds: float
    cpu_seconds: float
    peak_mb: float
    returncode: int
    stderr_tail: str = ""
    notes: dict[str, object] = field(default_factory=dict)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        parent = int(stat[stat.rindex(b")") + 2:].split()[1])
        tree.setdefault(parent, []).append(int(name))
    return tree


def _resident(pid: int) -> int:
    """Resident bytes of one process (a counter the kernel keeps: cheap to read); at least its
    proportional share."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _memory(pid: int) -> int:
    """Proportional (else resident) bytes of one process."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            for line in handle:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return _resident(pid)


def _tree(pid: int) -> list[int]:
    """`pid` and every descendant."""
    tree = _children()
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(tree.get(current, ()))
    return found


SAMPLE_INTERVAL = 0.02      # seconds between looks at the process tree
PSS_INTERVAL = 0.25         # at least this long between two reads of every smaps_rollup
PSS_SHARE = 0.05            # and long enough for the reads to take at most this share of a core


class PeakSampler:
    """The peak memory of a process tree, sampled (see the module docstring for the cost)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.pss_reads = 0          # how often the proportional sum was read (tests)
        self._next_pss = 0.0        # perf_counter time before which smaps_rollup is not read

    def tick(self) -> None:
        pids = _tree(self.pid)
        if len(pids) == 1:
            return                  # a lone process's peak is its ru_maxrss, exact and free
        if sum(_resident(p) for p in pids) <= self.peak:
            return                  # the proportional sum is smaller still: no new peak
        started = time.perf_counter()
        if started < self._next_pss:
            return
        self.pss_reads += 1
        self.peak = max(self.peak, sum(_memory(p) for p in pids))
        took = time.perf_counter() - started
        self._next_pss = started + max(PSS_INTERVAL, took / PSS_SHARE)


def run(command: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        stdout: Path | None = None, timeout: float | None = None) -> Run:
    """Run `command` to completion and measure it; stdout goes to `stdout` (or nowhere)."""
    sink = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL
    started = time.perf_counter()
    try:
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=sink, stderr=subprocess.PIPE)
        peaks = PeakSampler(process.pid)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_INTERVAL):
                peaks.tick()

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        assert process.stderr is not None
        stderr_reader = threading.Thread(target=lambda: setattr(process, "_err", process.stderr.read()), daemon=True)
        stderr_reader.start()
        deadline = None if timeout is None else started + timeout
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                process.kill()
            time.sleep(0.005)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        stderr_reader.join()
        process.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout is not None:
            sink.close()
    err = getattr(process, "_err", b"").decode("utf-8", "replace")
    return Run(list(command), seconds, usage.ru_utime + usage.ru_stime,
               max(usage.ru_maxrss * 1024, peaks.peak) / 2**20, process.returncode, err[-2000:])
