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


def _built_repository(root):
    """A git repository of alpha with a built site in _site/ (which holds sovereigns/ too)."""
    from publisher.cli import main
    Folder.complete(A).write(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    assert main(["build", str(root), "--no-history", "--at", "2026-06-01T12:00:00Z"]) == 0
    assert (root / "_site" / "sovereigns").is_dir()


def test_a_built_site_inside_the_repository_is_not_taken_for_it(tmp_path, monkeypatch, capsys):
    """Run from _site/ or a folder in it, a command works on the repository the site was built
    from, not on the site's copies (a verify of HTML pages; authoring writes into the site)."""
    from publisher.cli.common import repo_path
    _built_repository(tmp_path)
    capsys.readouterr()
    for inside in (tmp_path / "_site", tmp_path / "_site" / "sovereigns" / "alpha"):
        monkeypatch.chdir(inside)
        assert repo_path(None) == tmp_path
        assert f"using the repository at {tmp_path}" in capsys.readouterr().err


def test_serve_from_inside_the_built_site_serves_it(tmp_path, monkeypatch):
    import argparse
    from publisher.cli.cmd_serve import register
    _built_repository(tmp_path)
    monkeypatch.chdir(tmp_path / "_site")

    class Served(Exception):
        pass

    def make_server(directory, port):
        raise Served(directory)
    monkeypatch.setattr("publisher.cli.cmd_serve.make_server", make_server)
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    args = parser.parse_args(["serve", "--port", "0"])
    with pytest.raises(Served) as served:
        args.run(args)
    assert served.value.args[0] == tmp_path / "_site"


def test_a_deleted_current_folder_is_a_usage_error(tmp_path, monkeypatch, capsys):
    from publisher.cli import main
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    assert main(["verify", "--no-history"]) == 2
    assert "the current directory no longer exists" in capsys.readouterr().err


def test_a_file_named_sovereigns_is_no_repository(tmp_path, monkeypatch, capsys):
    """Only a sovereigns/ folder marks a repository; a stray file of that name above does not."""
    from publisher.cli.common import repo_path
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "sovereigns").write_text("not a folder")
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    assert repo_path(None) == tmp_path / "work"
    assert "using the repository" not in capsys.readouterr().err


def test_a_parent_that_cannot_be_searched_ends_the_search(tmp_path, monkeypatch):
    """A folder above that refuses stat (EACCES) is treated as holding nothing, not a traceback."""
    from pathlib import Path
    from publisher.cli.common import discover
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    inner = tmp_path / "a" / "b"
    inner.mkdir(parents=True)
    real_stat = Path.stat

    def stat(self, *args, **kwargs):
        if self.parent == tmp_path / "a":
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, *args, **kwargs)
    monkeypatch.setattr(Path, "stat", stat)
    assert discover(inner) == inner.resolve()


GIT_ENV = {"GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "T",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_NOSYSTEM": "1"}


def _git(cwd, *args):
    import os
    subprocess.run(["git", "-c", "protocol.file.allow=always", "-c", "commit.gpgsign=false", *args], cwd=cwd,
                   check=True, capture_output=True, env={**os.environ, **GIT_ENV})


def test_a_sovereign_folder_that_is_a_submodule_is_not_taken_for_the_repository(tmp_path, monkeypatch, capsys):
    """sovereigns/alpha checked out as a git submodule has a .git of its own: run from it, a command
    works on the superproject (git names it), whose trust paths hold the submodule, and says why,
    instead of taking the sovereign's folder for a repository without sovereigns/."""
    from publisher.cli import main
    source = tmp_path / "alpha-source"
    Folder.complete(A).write(source)
    (source / "sovereigns" / "alpha").rename(tmp_path / "alpha")
    _git(tmp_path / "alpha", "init", "-q")
    _git(tmp_path / "alpha", "add", "-A")
    _git(tmp_path / "alpha", "commit", "-qm", "alpha")
    outer = tmp_path / "coalition"
    Folder.complete(B).write(outer)
    _git(outer, "init", "-q")
    _git(outer, "add", "-A")
    _git(outer, "commit", "-qm", "beta")
    _git(outer, "submodule", "add", "-q", str(tmp_path / "alpha"), "sovereigns/alpha")
    assert (outer / "sovereigns" / "alpha" / ".git").is_file()
    for inside in (outer / "sovereigns" / "alpha", outer / "sovereigns" / "alpha" / "keys"):
        monkeypatch.chdir(inside)
        assert main(["verify", "--no-history", "--at", "2026-06-01T12:00:00Z", "--format", "json"]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["summary"]["sovereigns"] == 2
        assert f"using the repository at {outer}" in captured.err
        assert f"{outer / 'sovereigns' / 'alpha'} is a git submodule of it" in captured.err


def test_a_repository_of_its_own_inside_a_sovereign_folder_is_refused(tmp_path, monkeypatch, capsys):
    """A git repository inside sovereigns/ that is no submodule (a clone made there) is not the
    Handshake repository, and neither is the one around it by git's account: misuse, naming both."""
    from publisher.cli import main
    Folder.complete(A).write(tmp_path)
    _git(tmp_path, "init", "-q")
    _git(tmp_path / "sovereigns" / "alpha", "init", "-q")
    monkeypatch.chdir(tmp_path / "sovereigns" / "alpha")
    assert main(["verify", "--no-history", "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'sovereigns' / 'alpha'} is a git repository of its own" in err
    assert "not a Handshake repository" in err and f"as REPO ({tmp_path})" in err
