"""`handshake verify`: exit statuses, JSON shape, misuse."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.core.builders import Folder, SovereignKeys, make_treaty, tamper

A = SovereignKeys.make("alpha", 1)
B = SovereignKeys.make("beta", 2)


def run(*args):
    return subprocess.run([sys.executable, "-m", "publisher", *args], capture_output=True, text=True)


def test_clean_repo_exits_0_and_json_shape(tmp_path):
    Folder.complete(A).write(tmp_path)
    Folder.complete(B).write(tmp_path)
    proc = run("verify", str(tmp_path), "--at", "2026-06-01T12:00:00Z", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    payload = json.loads(proc.stdout)
    assert set(payload) == {"findings", "summary"}
    assert payload["summary"]["error"] == 0 and payload["summary"]["sovereigns"] == 2
    for item in payload["findings"]:
        assert set(item) == {"path", "pointer", "code", "severity", "message"}


def test_errors_exit_1_with_code_and_location(tmp_path):
    treaty = tamper(make_treaty(A, "beta", B.na.public), expires_at="2031-01-01T00:00:00Z")
    Folder.complete(A).put(f"treaties/{treaty['treaty_id']}.json", treaty).write(tmp_path)
    proc = run("verify", str(tmp_path), "--at", "2026-06-01T12:00:00Z")
    assert proc.returncode == 1
    assert "sig.invalid" in proc.stdout and f"treaties/{treaty['treaty_id']}.json#/signatures" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_misuse_exits_2(tmp_path):
    assert run("verify", str(tmp_path / "missing")).returncode == 2
    assert run("verify", str(tmp_path), "--at", "yesterday").returncode == 2
    assert run("verify", "--format", "xml").returncode == 2


@pytest.mark.parametrize("command", ["verify", "build", "verify-site"])
@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_jobs_must_be_a_positive_whole_number(command: str, jobs: str, capsys: pytest.CaptureFixture[str]) -> None:
    from publisher.cli import main
    with pytest.raises(SystemExit) as exit_info:
        main([command, ".", "--jobs", jobs])
    assert exit_info.value.code == 2
    assert "--jobs" in capsys.readouterr().err


def test_verify_from_inside_the_repository_finds_it(tmp_path, monkeypatch, capsys):
    """Run from sovereigns/<id>/ of a git work tree, `verify` without REPO verifies the
    repository above (as git finds its top), instead of reporting layout.no_sovereigns."""
    from publisher.cli import main
    Folder.complete(A).write(tmp_path)
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path / "sovereigns" / "alpha")
    code = main(["verify", "--no-history", "--at", "2026-06-01T12:00:00Z", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 0, captured.out
    assert json.loads(captured.out)["summary"]["sovereigns"] == 1
    assert f"using the repository at {tmp_path}" in captured.err


def test_verify_looks_no_higher_than_the_git_work_tree(tmp_path, monkeypatch, capsys):
    """A fresh repository inside a folder that holds sovereigns/ is not confused with it."""
    from publisher.cli import main
    Folder.complete(A).write(tmp_path)
    inner = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(inner)], check=True)
    monkeypatch.chdir(inner)
    assert main(["verify", "--no-history", "--format", "json"]) == 1
    assert "layout.no_sovereigns" in capsys.readouterr().out


def test_verify_outside_git_looks_no_higher_than_the_current_folder(tmp_path, monkeypatch, capsys):
    """Outside any git work tree nothing above the current folder is chosen: a sovereigns/
    folder in a parent (/tmp, a home folder) belongs to no repository the user named."""
    from publisher.cli import main
    Folder.complete(A).write(tmp_path)
    inner = tmp_path / "elsewhere"
    inner.mkdir()
    monkeypatch.chdir(inner)
    assert main(["verify", "--no-history", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert "layout.no_sovereigns" in captured.out and "using the repository" not in captured.err
