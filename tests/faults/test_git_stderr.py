"""A git that writes more to stderr than a pipe holds (64 KB) before it finishes its stdout
must not deadlock a reader that reads stdout to the end first: every git process's stderr is
drained as it is written, and a failure still carries git's own last words."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from test_git_faults import two_commits

ROOT = Path(__file__).resolve().parents[2]

# Every git call the adapter makes in a stream or a listing: ls-tree (_listing), diff (_listing),
# a whole log (_stream_log), a log split in two ranges (_split_log), cat-file (BlobReader), and
# a failing listing, whose message must be git's, not the noise before it.
SCRIPT = textwrap.dedent("""
    import sys
    from publisher import gitrepo
    repo = sys.argv[1]
    rows = gitrepo.ls_tree(repo, "HEAD", ["sovereigns"])
    assert any(r.path == "sovereigns/alpha/sovereign.json" for r in rows), rows
    assert [c.path for c in gitrepo.diff_raw(repo, "HEAD~1", "HEAD")] == ["sovereigns/alpha/sovereign.json"]
    assert len(list(gitrepo.iter_log(repo, "HEAD"))) == 2
    gitrepo.SPLIT_LOG_COMMITS = 1
    assert len(list(gitrepo.iter_log(repo, "HEAD", parts=2))) == 2
    blob = next(r.object_id for r in rows if r.path == "sovereigns/alpha/sovereign.json")
    with gitrepo.BlobReader(repo) as blobs:
        assert blobs.read(blob).startswith(b"{")
    try:
        gitrepo.ls_tree(repo, "0" * 40, ["sovereigns"])
    except gitrepo.GitError as exc:
        assert "fatal:" in str(exc) and "xxxx" not in str(exc), str(exc)
    else:
        raise AssertionError("a listing of a missing commit did not fail")
    print("done")
""")


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The corpus baseline committed, then one commit changing alpha's sovereign.json."""
    return two_commits(tmp_path_factory.mktemp("git") / "repo")


def test_a_git_writing_a_megabyte_to_stderr_first_does_not_deadlock(history: Path, tmp_path: Path) -> None:
    real = shutil.which("git")
    assert real is not None
    fake = tmp_path / "bin"
    fake.mkdir()
    wrapper = fake / "git"
    wrapper.write_text(f"#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' x >&2\necho >&2\nexec {real} \"$@\"\n")
    wrapper.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONPATH": str(ROOT)}
    try:
        run = subprocess.run([sys.executable, "-c", SCRIPT, str(history)], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=120, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail("git's stderr blocked its stdout: the reader deadlocked", pytrace=False)
    assert run.returncode == 0 and run.stdout.strip() == "done", run.stderr[-2000:]


@pytest.mark.skipif(not hasattr(__import__("fcntl"), "F_GETPIPE_SZ"), reason="Linux pipes only")
def test_git_output_pipes_are_widened_and_a_refusal_is_harmless(history: Path, monkeypatch) -> None:
    """cat-file and git log stream through 1 MB pipes where the system grants them; where it
    refuses the size (an unprivileged cap below 1 MB), the pipe keeps its size and every read
    still gives git's whole answer."""
    import fcntl

    from publisher import gitrepo

    rows = gitrepo.ls_tree(history, "HEAD", ["sovereigns"])
    blob = next(r.object_id for r in rows if r.path == "sovereigns/alpha/sovereign.json")
    expected = subprocess.run(["git", "cat-file", "blob", blob], cwd=history, capture_output=True,
                              check=True).stdout
    with gitrepo.BlobReader(history) as blobs:
        assert blobs.read(blob) == expected
        granted = fcntl.fcntl(blobs._proc().stdout.fileno(), fcntl.F_GETPIPE_SZ)
    limit = int(Path("/proc/sys/fs/pipe-max-size").read_text())      # binds unprivileged users only
    assert granted == gitrepo._PIPE_BYTES or limit < gitrepo._PIPE_BYTES

    real_fcntl = fcntl.fcntl

    def refuse(fd, cmd, arg=0):
        if cmd == fcntl.F_SETPIPE_SZ:
            raise PermissionError(1, "Operation not permitted")
        return real_fcntl(fd, cmd, arg)

    monkeypatch.setattr(fcntl, "fcntl", refuse)
    with gitrepo.BlobReader(history) as blobs:
        assert blobs.read(blob) == expected
        assert real_fcntl(blobs._proc().stdout.fileno(), fcntl.F_GETPIPE_SZ) < gitrepo._PIPE_BYTES
    assert len(list(gitrepo.iter_log(history, "HEAD"))) == 2
