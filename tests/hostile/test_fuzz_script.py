"""bench/fuzz.py: it runs for its input budget, reports zero crashes on the current verifier,
and it does notice a crash (an exception, a bad exit status, internal.check_failed), for
`handshake verify` and for `handshake review` of a pull request's commit."""
from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "bench" / "fuzz.py"


def load_fuzz() -> ModuleType:
    if not FUZZ.is_file():
        pytest.fail(f"{FUZZ} is missing", pytrace=False)
    spec = importlib.util.spec_from_file_location("handshake_fuzz", FUZZ)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import hostile_world
    module.world = hostile_world
    return module


def test_random_engine_runs_its_budget_without_crashes(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(FUZZ), "--engine", "random", "--max-inputs", "25",
                          "--seconds", "600", "--out", str(tmp_path / "crashes")],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    assert (run.returncode, report["inputs"], report["crashes"]) == (0, 25, 0)
    assert not (tmp_path / "crashes").exists()


@pytest.mark.parametrize("behaviour, problem", [
    ("raise", "ZeroDivisionError"),
    ("exit-2", "exit status 2"),
    ("internal", "internal.check_failed"),
], ids=["exception", "misuse-exit", "internal-finding"])
def test_target_saves_a_crash(tmp_path: Path, behaviour: str, problem: str) -> None:
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    target = fuzz.Target(repo, files, tmp_path / "crashes")

    def broken_main(argv: list[str]) -> int:
        if behaviour == "raise":
            raise ZeroDivisionError("boom")
        if behaviour == "exit-2":
            return 2
        print(json.dumps({"findings": [{"code": "internal.check_failed"}]}))
        return 1

    target.main = broken_main
    target(b"\x00\x00\x01\x00\x00\x00{}")
    saved = list((tmp_path / "crashes").glob("crash-*.json"))
    assert target.crashes == 1 and len(saved) == 1
    record = json.loads(saved[0].read_text())
    assert problem in record["problem"] and record["path"] in files and record["command"] == "verify"
    assert (repo / record["path"]).read_bytes() == files[record["path"]]   # the repository is restored


def test_target_saves_slow_inputs_apart_from_crashes(tmp_path: Path) -> None:
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    target = fuzz.Target(repo, files, tmp_path / "out")
    target.slow_seconds = 0.0           # every input counts as slow: the bookkeeping, not a timing
    target(b"\x00\x00\x01\x00\x00\x00{}")
    assert (target.crashes, target.slow) == (0, 1)
    assert [p.name.split("-")[0] for p in (tmp_path / "out").iterdir()] == ["slow"]


def review_target(tmp_path: Path) -> tuple[ModuleType, Any, str]:
    """The fuzz module, a review target on a fresh git repository of the world, its base commit."""
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    repo.mkdir()
    base = fuzz.init_repository(repo, files)
    return fuzz, fuzz.ReviewTarget(repo, files, tmp_path / "crashes"), base


def assert_base_intact(fuzz: ModuleType, target: Any, base: str) -> None:
    """Branch main still at the base commit, its tree the world's files, the work tree clean."""
    assert fuzz.git(target.repo, "rev-parse", "main") == base
    assert fuzz.git(target.repo, "status", "--porcelain", "--untracked-files=all") == ""
    listed = fuzz.git(target.repo, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert sorted(listed) == sorted(target.files)
    assert not target.index.exists()


def test_review_random_engine_runs_its_budget_without_crashes(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(FUZZ), "--command", "review", "--engine", "random",
                          "--max-inputs", "25", "--seconds", "600", "--out", str(tmp_path / "crashes")],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    assert (run.returncode, report["command"], report["inputs"], report["crashes"]) == (0, "review", 25, 0)
    assert report["distinct_codes"] > 0             # the head commits did change something
    assert not (tmp_path / "crashes").exists()


JSON_INPUT = b"\x00\x00\x01\x00\x00\x00\x00\x00{}"      # first file, json, first date, raw "{}"
MARKDOWN_INPUT = b"\x00\x00\x00\x00\x00\x00\x00\x00{}"


@pytest.mark.parametrize("behaviour, problem", [
    ("raise", "ZeroDivisionError"),
    ("exit-2", "exit status 2"),
    ("internal", "internal.check_failed"),
    ("unregistered", "unregistered codes ['made.up']"),
    ("miscounted", "summary counts 0 changes, the report lists 1"),
    ("markdown-cut", "markdown report incomplete"),
], ids=["exception", "misuse-exit", "internal-finding", "unregistered-code", "miscounted", "markdown-cut"])
def test_review_target_saves_a_planted_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             behaviour: str, problem: str) -> None:
    import publisher.gitrepo
    import publisher.review.collect
    from publisher.history.model import Change
    fuzz, target, base = review_target(tmp_path)
    real_build = publisher.review.collect.build_review

    def build_with(change: Change) -> Any:
        def build(*args: Any, **kwargs: Any) -> Any:
            review = real_build(*args, **kwargs)
            return type(review)(review.base, review.head, review.at, review.changes + (change,),
                                review.changed_paths, review.sovereigns, review.stats)
        return build

    def raising(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("boom")

    def git_failing(*args: Any, **kwargs: Any) -> Any:
        raise publisher.gitrepo.GitError("cannot diff: boom")

    def miscounted(argv: list[str]) -> int:
        change = {"code": "change.finding_introduced", "subject": "sig.invalid"}
        print(json.dumps({"summary": {"high": 0}, "changes": [change]}))
        return 0

    def cut(argv: list[str]) -> int:
        print("<!-- handshake-review -->\n## Handshake trust review")
        return 0

    data = JSON_INPUT
    if behaviour == "raise":
        monkeypatch.setattr(publisher.review.collect, "build_review", raising)
    elif behaviour == "exit-2":
        monkeypatch.setattr(publisher.gitrepo, "diff_raw", git_failing)
    elif behaviour == "internal":
        monkeypatch.setattr(publisher.review.collect, "build_review", build_with(Change(
            "change.finding_introduced", "alpha", "sovereigns/alpha", "planted", "internal.check_failed", "high")))
    elif behaviour == "unregistered":
        monkeypatch.setattr(publisher.review.collect, "build_review", build_with(Change(
            "change.finding_introduced", "alpha", "sovereigns/alpha", "planted", "made.up", "high")))
    elif behaviour == "miscounted":
        target.main = miscounted
    else:
        target.main, data = cut, MARKDOWN_INPUT
    target(data)
    saved = list((tmp_path / "crashes").glob("crash-*.json"))
    assert (target.inputs, target.crashes, len(saved)) == (1, 1, 1)
    record = json.loads(saved[0].read_text())
    assert problem in record["problem"]
    assert (record["command"], record["path"], base64.b64decode(record["content_base64"])) == (
        "review", sorted(target.files)[0], b"{}")
    assert record["format"] == ("markdown" if behaviour == "markdown-cut" else "json")
    assert_base_intact(fuzz, target, base)


def test_review_inputs_stay_independent(tmp_path: Path) -> None:
    """Each input's head commit is a child of the base changing at most its one file, whatever
    the inputs before it; the base, main and the work tree never change; dropped commits are
    pruned."""
    fuzz, target, base = review_target(tmp_path)
    target.PRUNE_EVERY = 10
    heads: list[str] = []
    real_run = target.run

    def run(fmt: str, head: str = "HEAD") -> Any:
        assert fuzz.git(target.repo, "rev-parse", f"{head}^") == base
        assert len(fuzz.git(target.repo, "diff", "--name-only", base, head).splitlines()) <= 1
        heads.append(head)
        return real_run(fmt, head)

    target.run = run
    fuzz.run_random(target, deadline=float("inf"), max_inputs=20, seed=7)
    assert (target.inputs, len(heads), target.crashes) == (20, 20, 0)
    assert len(set(heads)) > 10                      # the inputs did differ
    assert_base_intact(fuzz, target, base)
    gone = subprocess.run(["git", "cat-file", "-e", heads[0]], cwd=target.repo, check=False)
    assert gone.returncode != 0                      # pruned after the 10th and 20th inputs
