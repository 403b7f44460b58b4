#!/usr/bin/env python3
"""Benchmark Handshake on a synthetic coalition: every stage against a floor from the same run.

Usage: python bench/run.py [--scale tiny|small|medium|full] [--jobs N] [--regenerate]
                           [--out bench/out] [--mkdocs-pages N] [--only verify,build,...]

Generates (or reuses) a coalition with real Ed25519 signatures and a real git history under
`--out/<scale>/`, then runs each stage as a child process and prints, per stage, wall time,
CPU time, peak memory (process tree) and the ratio to its floor. Results also go to
`--out/<scale>/results.json`. See bench/README.md.
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench import corpus, floors, measure, stages, synth  # noqa: E402

TARGETS = {"verify (cold)": 1.5, "verify --rev HEAD (cold)": 1.5}
ABSOLUTE = {"verify (no change)": 1.0, "verify --rev HEAD (no change)": 1.0, "review (one-file change)": 0.5,
            "verify + history (no change)": 1.0, "history checks (no change)": 1.0}
MEMORY_LIMIT_MB = 2048


def _corpus(args: argparse.Namespace) -> tuple[corpus.Corpus, bool]:
    scale = synth.SCALES[args.scale]
    dest = Path(args.out) / scale.name
    found = None if args.regenerate else corpus.existing(dest, scale)
    if found is not None:
        return found, False
    print(f"generating the {scale.name} coalition ({scale.sovereigns} sovereigns, "
          f"{scale.sovereigns * scale.treaties_per_sovereign} treaties, {scale.commits} commits)...", flush=True)
    return corpus.generate(dest, scale, args.jobs), True


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("HANDSHAKE_NO_CACHE", None)
    env.update(extra)
    return env


def _pages(text: str) -> int | None:
    match = re.search(r"\((\d+) pages\)", text)
    return int(match.group(1)) if match else None


def _compile_bytecode() -> None:
    """Compile the package's bytecode, as `pip install` does: without it (a fresh checkout, or
    PYTHONDONTWRITEBYTECODE set, as on some CI images) every stage would first compile ~150
    modules, about 0.1 s, which is not the command's cost and weighs on the sub-second ones."""
    compileall.compile_dir(str(REPO_ROOT / "publisher"), quiet=1)


SETTLE_SECONDS = 360      # ext4 RECENTCY_MIN + RECENTCY_DIRTY: how long freed inodes count as recent


def _settle(marker: Path, *, now: float | None = None, sleep: Any = time.sleep) -> float:
    """Wait until SETTLE_SECONDS have passed since a previous run deleted its files (recorded in
    `marker`), so a run started right after another does not measure its deletion (see
    `_set_aside`); the seconds waited."""
    try:
        deleted_at = float(marker.read_text())
    except (OSError, ValueError):
        return 0.0
    wait = deleted_at + SETTLE_SECONDS - (time.time() if now is None else now)
    if wait <= 0:
        return 0.0
    wait = min(wait, SETTLE_SECONDS)
    print(f"  waiting {wait:.0f} s: the previous run deleted its files {SETTLE_SECONDS - wait:.0f} s ago "
          "(bench/README.md)", flush=True)
    sleep(wait)
    return wait


def _set_aside(work: Path) -> list[Path]:
    """Rename the previous run's directory aside (deleted once this run's stages are measured)
    and return every such directory left over. Deleting it first (330,000 files at full scale)
    would slow the stages that follow: ext4 without a journal, as on these machines, skips
    inodes freed within the last 60 s (6 min while their table block is dirty) when it
    allocates new ones (`recently_deleted`), so every file the build then creates pays for a
    scan of them. Measured at full scale: a cold build's kernel time went from 14 s to 43 s
    right after such a deletion."""
    if work.exists():
        work.rename(work.with_name(f"{work.name}.old-{time.time_ns()}"))
    return sorted(work.parent.glob(f"{work.name}.old-*"))


def _files_under(paths: list[Path]) -> Iterator[str]:
    for top in paths:
        if top.is_file() and not top.is_symlink():
            yield str(top)
        for folder, _, names in os.walk(top):
            yield from (p for p in (os.path.join(folder, n) for n in names) if not os.path.islink(p))


def _read_into_page_cache(paths: list[Path]) -> tuple[float, int, int]:
    """Read every file under `paths` once, so the stages after it are not charged for the disk:
    (seconds, files, bytes). A user verifies a clone git has just written, which sits in the
    page cache; a corpus generated hours before may not. On these machines its files had left
    it between runs (14 GB free), and a cold verify that read them from the disk took 38.8 s
    (12.2 s of kernel time) where the same verify took 24.5 s (5.6 s) right after, the reads
    alone 19 s of the workers' time against 2.8 s (py-spy). Symbolic links are not followed."""
    started = time.perf_counter()
    files = size = 0
    for path in _files_under(paths):
        try:
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    size += len(chunk)
        except OSError:
            continue
        files += 1
    return time.perf_counter() - started, files, size


def run_stages(args: argparse.Namespace, found: corpus.Corpus, work: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    seconds, files, size = _read_into_page_cache([found.repo, found.payloads])
    rows.append({"stage": "corpus read into the page cache", "note": f"{seconds:.2f} s: {files} files, "
                 f"{size / 1e6:.0f} MB, read once before the floors and stages (bench/README.md)"})
    sig_seconds, sig_cpu, sig_count, sig_run = floors.signature_floor(found.payloads, REPO_ROOT, work)
    rows.append({"stage": "floor: signatures (1 core)", "seconds": sig_seconds, "cpu": sig_cpu,
                 "peak_mb": sig_run.peak_mb, "note": f"{sig_count} signatures, "
                 f"{sig_seconds / sig_count * 1e6:.0f} us each; floor for {args.jobs} cores = "
                 f"{sig_seconds / args.jobs:.2f} s"})
    cache = work / "cache"             # `work` is new (`_set_aside`): every cache starts empty
    plan = stages.verify_stages(found.repo, REPO_ROOT, cache, args.jobs)
    plan += stages.build_stages(found.repo, work / "site", cache, args.jobs)
    plan += stages.history_stages(found.repo, Path(str(cache) + "-history"))
    plan += stages.one_file_stages(found.repo, work / "site", cache, args.jobs)
    plan += stages.authoring_stages(found.repo, cache)
    only = set(args.only.split(",")) if args.only else None
    mkdocs_series: list[tuple[int, float]] | None = None
    hugo_rate: float | None = None
    hugo_pages: int | None = None
    log_rows: list[dict[str, Any]] = []      # the stages compared with git log, and its first run
    log_before = None
    cleanups: list[Any] = []            # the working-tree edits of the stages run, undone at the end
    try:
        for stage in plan:
            if only and not any(stage.name.startswith(o) for o in only):
                continue
            if stage.command is None:
                rows.append({"stage": stage.name, "note": f"not measured: {stage.missing}"})
                continue
            if stage.floor == "git log --raw" and log_before is None:
                log_before = floors.git_log_floor(found.repo)    # measured next to its stages (see _log_floor)
            print(f"  {stage.name} ...", flush=True)
            _flush_writes()
            output = work / stage.output if stage.output else None
            if stage.cleanup is not None and stage.cleanup not in cleanups:
                cleanups.append(stage.cleanup)
            if stage.before is not None:
                stage.before()
            result = measure.run(stage.command, cwd=REPO_ROOT, env=_env(stage.env), stdout=output)
            row: dict[str, Any] = {"stage": stage.name, "seconds": result.seconds, "cpu": result.cpu_seconds,
                                   "peak_mb": result.peak_mb, "returncode": result.returncode, "target": stage.target}
            if result.returncode not in (0, 1) or (stage.name.startswith("authoring") and result.returncode):
                row["note"] = f"FAILED (exit {result.returncode}): {result.stderr_tail.strip()[-300:]}"
            elif stage.name.startswith("verify + history"):
                row["note"] = _verify_note(output)
            elif stage.name.startswith("verify"):
                floor = sig_seconds / args.jobs
                row.update(floor=floor, ratio=result.seconds / floor, cpu_ratio=result.cpu_seconds / sig_cpu)
                row["note"] = _verify_note(output)
            elif stage.name.startswith("build"):
                pages = _pages(output.read_text() if output else "") or 0
                if mkdocs_series is None and pages:
                    # On the build's own page count, once (see bench/floors.py for mkdocs's steps).
                    _flush_writes()
                    mkdocs_series = floors.mkdocs_series(work, pages, args.mkdocs_pages,
                                                         settle_rate=pages / result.seconds / stages.MKDOCS_RATIO)
                    _flush_writes()
                    hu = floors.hugo_floor(work, pages)
                    hugo_rate = hu[0] if hu else None
                    hugo_pages = pages
                mkdocs_pages, mkdocs_rate = mkdocs_series[-1] if mkdocs_series else (None, None)
                rate = pages / result.seconds if pages else None
                row.update(pages=pages, pages_per_s=rate, mkdocs_pages_per_s=mkdocs_rate, mkdocs_pages=mkdocs_pages,
                           mkdocs_series=mkdocs_series, hugo_pages_per_s=hugo_rate, hugo_pages=hugo_pages)
                row["ratio_mkdocs"] = rate / mkdocs_rate if rate and mkdocs_rate else None
                row["ratio_hugo"] = rate / hugo_rate if rate and hugo_rate else None
                row["note"] = _build_note(pages, rate, mkdocs_series, hugo_rate)
            elif stage.floor == "git log --raw":
                log_rows.append(row)
            rows.append(row)
    finally:
        for cleanup in cleanups:
            cleanup()
    if log_before is not None:
        floor = _log_floor(rows, log_before, floors.git_log_floor(found.repo), found.scale.commits)
        for row in log_rows:
            row.update(floor=floor, ratio=row["seconds"] / floor)
        _combine_history(rows, floor)
    return rows


def _flush_writes() -> None:
    """Write what the stage or floor before left in the page cache (a cold build's 330,000
    files, Hugo's 220,000) before the next one is measured, so it is not charged for writing
    it back: a no-change build measured right after the Hugo floor took 4.5-4.9 s, and 4.0 s
    once that was on disk."""
    if hasattr(os, "sync"):
        os.sync()


def _build_note(pages: int, rate: float | None, mkdocs: list[tuple[int, float]] | None,
                hugo: float | None) -> str:
    """The build's rate and its floors, each with the page count it was measured on."""
    if mkdocs:
        count, mk_rate = mkdocs[-1]
        steps = ", ".join(f"{n:,}: {r:.0f}" for n, r in mkdocs)
        same = "the same count" if count >= pages else f"{count:,} of {pages:,} pages, a lower bound of the ratio"
        mk_text = f"mkdocs {mk_rate:.0f} pages/s at {same} (pages: pages/s {steps})"
    else:
        mk_text = "mkdocs not installed"
    hugo_text = f"hugo {hugo:.0f} pages/s at the same count" if hugo else "hugo not installed"
    return f"{pages} pages, {rate or 0:.0f} pages/s; {mk_text}; {hugo_text}"


def _log_floor(rows: list[dict[str, Any]], before: measure.Run, after: measure.Run, commits: int) -> float:
    """The git log floor: the mean of one run just before and one just after its stages. The
    machine's speed drifts over a full run (a shared host measured 67 then 111 us per signature
    ten minutes apart), so a floor taken at the start misjudges stages run minutes later."""
    seconds = (before.seconds + after.seconds) / 2
    cpu = (before.cpu_seconds + after.cpu_seconds) / 2
    after_floors = max((i + 1 for i, r in enumerate(rows) if r["stage"].startswith("floor: signatures")), default=0)
    rows.insert(after_floors, {"stage": "floor: git log --raw", "seconds": seconds, "cpu": cpu,
                               "peak_mb": max(before.peak_mb, after.peak_mb),
                               "note": f"{commits} commits; run just before and after pin and the history "
                                       f"checks: {before.seconds:.2f} s and {after.seconds:.2f} s"})
    return seconds


def _verify_note(output: Path | None) -> str:
    """The summary line `handshake verify` prints last."""
    try:
        lines = output.read_text().splitlines() if output else []
    except OSError:
        lines = []
    return lines[-1] if lines else "no output"


COMBINED = {
    # pin and the history checks as CI runs them: the second reads the log the first kept
    "pin + history": ("pin (--check)", "history checks"),
    # both reading git log themselves, neither keeping anything
    "pin + history (nothing cached)": ("pin (--check, nothing cached)", "history checks (nothing cached)"),
}


def _combine_history(rows: list[dict[str, Any]], floor: float) -> None:
    for name, stage_names in COMBINED.items():
        parts = [r for r in rows if r["stage"] in stage_names and "seconds" in r]
        if len(parts) == 2:
            seconds = sum(r["seconds"] for r in parts)
            rows.append({"stage": name, "seconds": seconds, "cpu": sum(r["cpu"] for r in parts),
                         "peak_mb": max(r["peak_mb"] for r in parts), "floor": floor, "ratio": seconds / floor,
                         "target": "<= 3x floor"})


def verdict(row: dict[str, Any]) -> str:
    if "seconds" not in row or row["stage"].startswith("floor"):
        return ""
    problems = []
    if row["peak_mb"] > MEMORY_LIMIT_MB:
        problems.append("memory")
    if row["stage"] in TARGETS and row.get("ratio", 0) > TARGETS[row["stage"]]:
        problems.append("time")
    if row["stage"] in ABSOLUTE and row["seconds"] >= ABSOLUTE[row["stage"]]:
        problems.append("time")
    if row["stage"] in COMBINED and row.get("ratio", 0) > 3:
        problems.append("time")
    if row["stage"] in (*COMBINED["pin + history"], *COMBINED["pin + history (nothing cached)"]):
        return "see pin + history" if not problems else "ABOVE TARGET (memory)"
    if row["stage"].startswith("build") and ((row.get("pages_per_s") or 0) < stages.BUILD_RATE
                                             or (row["stage"] == "build"
                                                 and (row.get("ratio_mkdocs") or 0) < stages.MKDOCS_RATIO)):
        problems.append("time")
    return "ABOVE TARGET (" + ", ".join(problems) + ")" if problems else "ok"


def print_table(rows: list[dict[str, Any]], found: corpus.Corpus, generated_s: float) -> None:
    scale = found.scale
    print(f"\nscale {scale.name}: {scale.sovereigns} sovereigns, {scale.sovereigns * scale.treaties_per_sovereign} "
          f"treaties, {scale.sovereigns} revocation feeds, {scale.commits} commits, {found.files} files, "
          f"{found.signatures} signatures; corpus generated in {generated_s:.1f} s")
    print(f"{'stage':32} {'time s':>8} {'cpu s':>8} {'peak MB':>8} {'x floor':>8} {'x cpu':>6}  {'target':24} verdict")
    load = os.getloadavg()
    print(f"(machine load average {load[0]:.2f}; x floor: wall time / floor, for build: pages/s vs mkdocs "
          "pages/s*; x cpu: CPU seconds / signature-floor CPU seconds)")
    if scale.name != "full":
        # A small corpus is mostly fixed costs (start-up, forking, mkdocs' first pages): the
        # ratios are not the ones the targets judge.
        print(f"(the targets are set for --scale full on 2 cores; at scale {scale.name} the verdicts "
              "only show the direction)")
    for row in rows:
        if "seconds" not in row:
            print(f"{row['stage']:32} {row.get('note', '')}")
            continue
        ratio = f"{row['ratio']:.2f}" if row.get("ratio") is not None else (
            f"{row['ratio_mkdocs']:.1f}*" if row.get("ratio_mkdocs") else "")
        cpu_ratio = f"{row['cpu_ratio']:.2f}" if row.get("cpu_ratio") is not None else ""
        print(f"{row['stage']:32} {row['seconds']:8.2f} {row['cpu']:8.2f} {row['peak_mb']:8.0f} {ratio:>8} "
              f"{cpu_ratio:>6}  {row.get('target', ''):24} {verdict(row)}")
        if row.get("note"):
            print(f"{'':34}{row['note']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(synth.SCALES), default="small")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="cores to use (default: all)")
    parser.add_argument("--out", default=str(REPO_ROOT / "bench" / "out"))
    parser.add_argument("--regenerate", action="store_true", help="generate the corpus even if one exists")
    parser.add_argument("--mkdocs-pages", type=int, default=0,
                        help="the largest page count mkdocs is measured on (default: the build's own)")
    parser.add_argument("--only", help="comma-separated stage name prefixes to run (floors always run)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    found, generated = _corpus(args)
    generated_s = time.perf_counter() - started if generated else found.seconds
    work = Path(args.out) / found.scale.name / "run"
    stale = _set_aside(work)
    marker = work.parent / ".deleted-at"
    _settle(marker)
    work.mkdir(parents=True)
    _compile_bytecode()
    rows = run_stages(args, found, work)
    print_table(rows, found, generated_s)
    if stale:
        for old in stale:
            shutil.rmtree(old, ignore_errors=True)
        marker.write_text(f"{time.time():.0f}\n")
    results = {"scale": found.scale.__dict__, "files": found.files, "signatures": found.signatures,
               "generated_seconds": generated_s, "jobs": args.jobs, "load_average": os.getloadavg(),
               "stages": rows}
    (Path(args.out) / found.scale.name / "results.json").write_text(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
