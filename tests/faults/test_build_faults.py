"""The site build under faults: killed half-way, a full or read-only output directory, two
builds at once. The published directory is always either the previous complete site or the
new complete site, never a mix; failures are one clear line, never a traceback.

Faults are injected at known points (a build paused half-way by paused_build.py, an OSError
raised by a patched writer), so nothing depends on timing.
"""
from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

import publisher.site.publish as publish
import publisher.site.sink as sink
from hostile_repo import materialize
from publisher.cli import main as cli_main
from site_check import evaluated_at, problems, staging_leftovers, tree

HERE = Path(__file__).resolve().parent
AT_OLD, AT_NEW, AT_OTHER = "2026-11-23T12:00:00Z", "2026-11-24T12:00:00Z", "2026-11-25T12:00:00Z"


def build(repo: Path, out: Path, at: str) -> int:
    return cli_main(["build", str(repo), "--out", str(out), "--at", at, "--no-history", "--jobs", "1"])


def start_paused(repo: Path, out: Path, at: str) -> tuple[subprocess.Popen[str], Path]:
    """A build stopped half-way through writing its staging directory; returns it and that directory."""
    child = subprocess.Popen([sys.executable, str(HERE / "paused_build.py"), str(repo), "--out", str(out),
                              "--at", at, "--no-history", "--jobs", "1"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    line = child.stdout.readline()
    if not line.startswith("PAUSED "):
        child.kill()
        pytest.fail(f"the paused build did not pause: {line!r} {child.communicate()[1][-2000:]}")
    return child, Path(line.split(" ", 1)[1].strip())


def resume(child: subprocess.Popen[str]) -> tuple[int, str]:
    _, err = child.communicate("\n")
    return child.returncode, err


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return materialize(tmp_path / "repo")


@pytest.fixture
def published(repo: Path, tmp_path: Path) -> Path:
    out = tmp_path / "public" / "site"
    assert build(repo, out, AT_OLD) == 0
    assert problems(out) == []
    return out


def test_build_killed_half_way_leaves_the_previous_site(repo: Path, published: Path) -> None:
    before = tree(published)
    child, staging = start_paused(repo, published, AT_NEW)
    assert staging.parent == published.parent and any(staging.iterdir())     # half a site, beside it
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert tree(published) == before and problems(published) == []
    assert build(repo, published, AT_NEW) == 0                               # the next build just works
    assert problems(published) == [] and evaluated_at(published) == AT_NEW


def test_two_builds_at_once_into_a_new_directory(repo: Path, tmp_path: Path) -> None:
    """Both find no site and prepare one; the second to finish must replace the first, not fail."""
    out = tmp_path / "public" / "site"
    first, _ = start_paused(repo, out, AT_NEW)
    second, _ = start_paused(repo, out, AT_OTHER)
    assert resume(first)[0] == 0
    status, err = resume(second)
    assert (status, "Traceback" in err) == (0, False), err
    assert problems(out) == [] and evaluated_at(out) == AT_OTHER
    assert staging_leftovers(out.parent) == []


def test_two_builds_at_once_over_a_published_site(repo: Path, published: Path) -> None:
    first, _ = start_paused(repo, published, AT_NEW)
    second, _ = start_paused(repo, published, AT_OTHER)
    assert resume(second)[0] == 0
    assert problems(published) == [] and evaluated_at(published) == AT_OTHER
    assert resume(first)[0] == 0
    assert problems(published) == [] and evaluated_at(published) == AT_NEW
    assert staging_leftovers(published.parent) == []


def failing_writer(code: int, after: int):   # type: ignore[no-untyped-def]
    """`sink.write_file` (the build writes each file into its staging directory as it is
    built) that fails once `after` files are written."""
    real = sink.write_file
    written = [0]

    def write_file(root, path, data):   # type: ignore[no-untyped-def]
        if written[0] == after:
            raise OSError(code, os.strerror(code), f"{root}/{path}")
        written[0] += 1
        real(root, path, data)
    return write_file


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT],
                         ids=["disk-full", "read-only-filesystem", "permission-denied", "quota"])
def test_unwritable_output_is_a_clear_error_and_no_partial_site(
        code: int, repo: Path, published: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(published)
    monkeypatch.setattr(sink, "write_file", failing_writer(code, after=5))
    status = build(repo, published, AT_NEW)                      # raising here would be a traceback
    err = capsys.readouterr().err
    assert status == 2
    assert os.strerror(code) in err and "previous site is untouched" in err
    assert tree(published) == before
    assert staging_leftovers(published.parent) == []


@pytest.mark.parametrize("code", [errno.EACCES, errno.EROFS], ids=["permission-denied", "read-only-filesystem"])
def test_output_parent_that_cannot_be_written_is_a_clear_error(
        code: int, repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def refuse(*args, **kwargs):   # type: ignore[no-untyped-def]
        raise OSError(code, os.strerror(code), str(tmp_path / "ro"))
    monkeypatch.setattr(publish.tempfile, "mkdtemp", refuse)
    status = build(repo, tmp_path / "ro" / "site", AT_NEW)
    assert status == 2 and os.strerror(code) in capsys.readouterr().err
    assert not (tmp_path / "ro" / "site").exists()


def test_failure_while_swapping_keeps_the_previous_site(
        repo: Path, published: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    before = tree(published)
    monkeypatch.setattr(publish, "_exchange", lambda a, b: False)     # the rename fallback path
    real_rename = os.rename
    calls = []

    def rename(src, dst):   # type: ignore[no-untyped-def]
        calls.append((src, dst))
        if len(calls) == 2:                                              # staging -> target fails
            raise OSError(errno.EIO, os.strerror(errno.EIO), str(dst))
        return real_rename(src, dst)
    monkeypatch.setattr(publish.os, "rename", rename)
    assert build(repo, published, AT_NEW) == 2
    assert os.strerror(errno.EIO) in capsys.readouterr().err
    assert tree(published) == before
    assert staging_leftovers(published.parent) == []


def test_a_previous_site_that_cannot_be_removed_does_not_fail_a_published_build(
        repo: Path, published: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Once the new site is swapped in, the build has published: a folder of the previous site
    that cannot be removed (left read-only by hand, or by another user) is left behind, not
    reported as a failed build whose previous site is untouched."""
    real = shutil.rmtree

    def rmtree(path, ignore_errors=False, **kwargs):   # type: ignore[no-untyped-def]
        if not ignore_errors:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        real(path, ignore_errors=True)
    monkeypatch.setattr(publish.shutil, "rmtree", rmtree)
    assert build(repo, published, AT_NEW) == 0, capsys.readouterr().err
    assert problems(published) == [] and evaluated_at(published) == AT_NEW


def test_site_published_by_another_build_between_check_and_rename(
        repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The narrowest race: the target is absent when checked and present when renamed onto."""
    out = tmp_path / "public" / "site"
    other = tmp_path / "other"
    assert build(repo, other, AT_OTHER) == 0
    real_rename = os.rename

    def rename(src, dst):   # type: ignore[no-untyped-def]
        if Path(dst) == out and not out.exists():
            real_rename(other, out)                 # the other build wins the race
        return real_rename(src, dst)
    monkeypatch.setattr(publish.os, "rename", rename)
    assert build(repo, out, AT_NEW) == 0
    assert problems(out) == [] and evaluated_at(out) == AT_NEW
    assert staging_leftovers(out.parent) == []
