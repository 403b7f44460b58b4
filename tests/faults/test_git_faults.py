"""Broken git histories give clear findings, never a traceback: a corrupt or missing object
(commit, tree, blob), and a shallow clone. `verify` reports git.unreadable / git.shallow; `build`
publishes a site that says no history was available rather than a partial change channel;
`review` stops with one line (exit 2)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile_repo import materialize
from publisher.cli import main as cli_main

AT = "2026-11-23T12:00:00Z"
GIT = ["git", "-c", "user.name=Fault Test", "-c", "user.email=faults@example.invalid", "-c", "commit.gpgsign=false"]


def git(repo: Path, *args: str) -> str:
    run = subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        pytest.fail(f"git {' '.join(args)} failed: {run.stderr[-500:]}", pytrace=False)
    return run.stdout.strip()


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_commits(tmp_path_factory.mktemp("git") / "repo")


def two_commits(root: Path) -> Path:
    """The corpus baseline committed, then one more commit changing a sovereign document."""
    repo = materialize(root)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "baseline")
    identity = repo / "sovereigns/alpha/sovereign.json"
    value = json.loads(identity.read_text())
    value["metadata"]["display_name"] = "Alpha Network, renamed"
    identity.write_text(json.dumps(value, indent=2) + "\n")
    git(repo, "commit", "-qam", "rename alpha")
    return repo


def broken_copy(history: Path, tmp_path: Path, what: str, how: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(history, repo, symlinks=True)
    spec = {"head-commit": "HEAD", "parent-commit": "HEAD~1", "parent-tree": "HEAD~1^{tree}",
            "genesis-blob": "HEAD:sovereigns/alpha/genesis.signed.json", "lock-blob": "HEAD:trust.lock",
            "identity-blob": "HEAD:sovereigns/alpha/sovereign.json", "head-tree": "HEAD^{tree}",
            "sovereigns-tree": "HEAD:sovereigns", "alpha-tree": "HEAD:sovereigns/alpha"}[what]
    object_id = git(repo, "rev-parse", spec)
    loose = repo / ".git" / "objects" / object_id[:2] / object_id[2:]
    os.chmod(loose, 0o644)
    if how == "corrupt":
        loose.write_bytes(b"not a zlib stream")
    else:
        loose.unlink()
    return repo


def verify_json(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    status = cli_main(["verify", str(repo), "--at", AT, "--format", "json", "--jobs", "1"])
    out, err = capsys.readouterr()
    return status, [f["code"] for f in json.loads(out)["findings"]], err


WHAT = ["head-commit", "parent-commit", "parent-tree", "genesis-blob", "lock-blob"]


@pytest.mark.parametrize("how", ["corrupt", "missing"])
@pytest.mark.parametrize("what", WHAT)
def test_unreadable_history_is_a_finding(history: Path, tmp_path: Path, what: str, how: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = broken_copy(history, tmp_path, what, how)
    status, codes, err = verify_json(repo, capsys)
    assert (status, codes) == (1, ["git.unreadable"])
    assert err == ""


@pytest.mark.parametrize("what", WHAT)
def test_build_over_unreadable_history_says_none_was_available(history: Path, tmp_path: Path, what: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    repo = broken_copy(history, tmp_path, what, "corrupt")
    out = tmp_path / "site"
    assert cli_main(["build", str(repo), "--out", str(out), "--at", AT, "--jobs", "1"]) == 0
    assert "Traceback" not in capsys.readouterr().err
    assert json.loads((out / "manifest.json").read_text())["history"] is False
    assert "No git history was available" in (out / "changes.html").read_text()


@pytest.mark.parametrize("what", WHAT)
def test_review_over_unreadable_history_stops_with_one_line(history: Path, tmp_path: Path, what: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    repo = broken_copy(history, tmp_path, what, "corrupt")
    status = cli_main(["review", "--repo", str(repo), "HEAD~1", "HEAD", "--at", AT])
    err = capsys.readouterr().err
    assert status == 2
    assert err.startswith("handshake review: ") and "Traceback" not in err


@pytest.mark.parametrize("history_checks", [True, False], ids=["history", "no-history"])
@pytest.mark.parametrize("how", ["corrupt", "missing"])
@pytest.mark.parametrize("what", ["head-tree", "sovereigns-tree", "alpha-tree"])
def test_verify_rev_over_an_unreadable_tree_is_a_finding(history: Path, tmp_path: Path, what: str, how: str,
                                                         history_checks: bool,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """`verify --rev` lists the commit's trees from git: one it cannot read is git.unreadable
    (exit 1), as it is for the history checks, never a traceback."""
    repo = broken_copy(history, tmp_path, what, how)
    status = cli_main(["verify", str(repo), "--rev", "HEAD", "--at", AT, "--format", "json", "--jobs", "1",
                       *(() if history_checks else ("--no-history",))])
    out, err = capsys.readouterr()
    assert (status, {f["code"] for f in json.loads(out)["findings"]}, err) == (1, {"git.unreadable"}, "")


def test_shallow_clone_is_a_warning(history: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{history}", str(clone)], check=True)
    status, codes, err = verify_json(clone, capsys)
    assert (status, codes, err) == (0, ["git.shallow"], "")


def test_intact_history_has_no_git_finding(history: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, codes, _ = verify_json(history, capsys)
    assert (status, codes) == (0, [])


def test_object_the_history_never_reads_is_not_reported(history: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """History reads the documents it judges (not sovereign.json, verified from the working tree)."""
    repo = broken_copy(history, tmp_path, "identity-blob", "corrupt")
    assert verify_json(repo, capsys)[:2] == (0, [])


def test_a_history_worker_that_stopped_first_is_a_finding_not_a_crash(history: Path, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that hits an unreadable object replies and closes its end; when it does so
    before the reading process sends its last message (a busy machine), that send must not
    raise BrokenPipeError past the walk: the walk reports git.unreadable as always."""
    import time

    from publisher.history import parallel
    from publisher.history.load import read_history

    repo = broken_copy(history, tmp_path, "genesis-blob", "corrupt")
    real_finish = parallel._Pool.finish

    def finish_after_a_worker_stopped(pool: parallel._Pool) -> list[object]:
        pool.flush()
        deadline = time.monotonic() + 20
        while all(proc.is_alive() for proc in pool.procs) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not all(proc.is_alive() for proc in pool.procs), "no worker stopped"
        return real_finish(pool)

    monkeypatch.setattr(parallel._Pool, "finish", finish_after_a_worker_stopped)
    result, problems = read_history(repo, workers=2)
    assert [f.code for f in problems] == ["git.unreadable"]
