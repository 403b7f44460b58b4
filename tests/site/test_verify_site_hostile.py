"""verify-site against hostile input: a repository whose .gitattributes changes what `git
archive` exports, and a tampered manifest.json. The rebuild must be what a checkout of the
commit builds, and no manifest value may crash the command or reach the terminal raw."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from publisher.cli import main

BASELINE = Path(__file__).resolve().parents[1] / "hostile" / "corpus" / "baseline"
FEED = "sovereigns/alpha/revocation-feed.json"


def git(repo: Path, *args: str) -> str:
    date = "2026-11-23T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


def repository(tmp_path: Path, attributes: str, coalition_name: str | None = None) -> Path:
    if not (BASELINE / "trust.lock").is_file():
        pytest.fail(f"hostile baseline missing at {BASELINE}", pytrace=False)
    repo = tmp_path / "repo"
    shutil.copytree(BASELINE, repo)
    (repo / ".gitattributes").write_text(attributes)
    if coalition_name is not None:
        coalition = json.loads((repo / "coalition.json").read_text())
        coalition["name"] = coalition_name
        (repo / "coalition.json").write_text(json.dumps(coalition, indent=2) + "\n")
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "baseline with attributes")
    return repo


def build(repo: Path, out: Path) -> Path:
    assert main(["build", str(repo), "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize("attributes, coalition_name", [
    (f"{FEED} export-ignore\n", None),
    ("coalition.json export-subst\n", "Coalition $Format:%H$"),
], ids=["export-ignore-hides-a-feed", "export-subst-rewrites-a-document"])
def test_rebuild_is_what_a_checkout_builds_not_what_git_archive_exports(
        tmp_path: Path, attributes: str, coalition_name: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    """Export attributes apply to `git archive`, not to a checkout: a rebuild through archive
    called the honest site different, and confirmed a site built without the hidden file."""
    repo = repository(tmp_path, attributes, coalition_name)
    honest = build(repo, tmp_path / "honest")
    assert main(["verify-site", str(honest), "--repo", str(repo)]) == 0
    mirror = tmp_path / "mirror"
    git(tmp_path, "clone", "-q", str(repo), str(mirror))
    if coalition_name is None:
        (mirror / FEED).unlink()
    else:
        git(mirror, "archive", "-o", str(tmp_path / "exported.tar"), "HEAD")
        subprocess.run(["tar", "-xf", str(tmp_path / "exported.tar"), "-C", str(mirror)], check=True)
    forged = build(mirror, tmp_path / "forged")
    capsys.readouterr()
    assert main(["verify-site", str(forged), "--repo", str(repo)]) == 1
    assert "DIFFERS" in capsys.readouterr().out


@pytest.mark.parametrize("field, value, code", [
    ("source_commit", "HEAD\u0000", "site.rebuild_failed"),
    ("source_commit", "-p", "site.rebuild_failed"),
    ("source_commit", ["HEAD"], "site.manifest_unreadable"),
    ("evaluated_at", "2026-12-31T23:59:60Z", "site.manifest_unreadable"),
    ("source_commit", "\ud800", "site.manifest_unreadable"),
], ids=["nul-in-commit", "option-as-commit", "commit-not-a-string", "leap-second", "lone-surrogate-commit"])
def test_tampered_manifest_is_a_finding(tmp_path: Path, field: str, value: object, code: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = repository(tmp_path, "")
    site = build(repo, tmp_path / "site")
    manifest = json.loads((site / "manifest.json").read_text())
    manifest[field] = value
    (site / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["verify-site", str(site), "--repo", str(repo)]) == 1
    assert code in capsys.readouterr().out


@pytest.mark.parametrize("attack", ["deep-nesting", "duplicate-commit"])
def test_a_manifest_that_does_not_parse_strictly_is_a_finding(tmp_path: Path, attack: str,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """100,000 nested arrays exhausted json.loads's recursion (a traceback), and a second
    "source_commit" silently won over the first that another reader would take."""
    repo = repository(tmp_path, "")
    site = build(repo, tmp_path / "site")
    manifest = site / "manifest.json"
    if attack == "deep-nesting":
        manifest.write_bytes(b"[" * 100_000 + b"]" * 100_000)
    else:
        manifest.write_bytes(manifest.read_bytes().rstrip()[:-1] + b', "source_commit": "HEAD~0"}')
    capsys.readouterr()
    assert main(["verify-site", str(site), "--repo", str(repo)]) == 1
    out = capsys.readouterr().out
    assert "site.manifest_unreadable" in out and ("json.too_deep" in out or "json.duplicate_key" in out)


def test_recorded_generator_is_written_visibly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = repository(tmp_path, "")
    site = build(repo, tmp_path / "site")
    manifest = json.loads((site / "manifest.json").read_text())
    manifest["generator"] = "evil\x1b]0;owned\x07\x1b[2J\nIDENTICAL"
    (site / "manifest.json").write_text(json.dumps(manifest))
    capsys.readouterr()
    assert main(["verify-site", str(site), "--repo", str(repo)]) == 1
    captured = capsys.readouterr()
    assert "\x1b" not in captured.err and "\x07" not in captured.err
    assert captured.err.count("\n") == 1 and "\\u001b" in captured.err


def test_a_file_of_another_size_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A tampered site may hold a file of any size (a sparse file takes no disk): a published
    file the rebuild does not produce, or one whose size differs, is a difference unread."""
    repo = repository(tmp_path, "")
    site = build(repo, tmp_path / "site")
    for name in ("index.html", "huge.bin"):
        with open(site / name, "wb") as handle:
            handle.truncate(200 * 1024 * 1024)
    read: list[Path] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    capsys.readouterr()
    assert main(["verify-site", str(site), "--repo", str(repo)]) == 1
    out = capsys.readouterr().out
    reported = {tuple(line.split()[1:3]) for line in out.splitlines()}
    assert {("site.file_changed", "index.html:"), ("site.file_extra", "huge.bin:")} <= reported
    assert site / "index.html" not in read and site / "huge.bin" not in read


def _finishes(call, fifo: Path):   # type: ignore[no-untyped-def]
    """call() in a thread; a read blocked on `fifo` is released (and the test failed) after 30 s."""
    result: list[object] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(30)                      # a hang guard, not a timing
    if worker.is_alive():
        with open(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass                         # the blocked reader gets end of file
        worker.join(30)
        pytest.fail(f"blocked reading the named pipe {fifo.name}")
    return result[0]


@pytest.mark.parametrize("kind", ["named-pipe", "link-to-a-manifest", "sparse-300-MB"])
def test_a_manifest_that_is_no_regular_file_of_bounded_size_is_not_read(
        tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """verify-site checks a site it does not trust: a manifest.json that is a named pipe (a read
    blocks forever), a link (to /dev/zero it never ends) or a sparse file of any size is
    site.manifest_unreadable at once, unread."""
    repo = repository(tmp_path, "")
    site = build(repo, tmp_path / "site")
    manifest = site / "manifest.json"
    (tmp_path / "elsewhere.json").write_bytes(manifest.read_bytes())
    manifest.unlink()
    if kind == "named-pipe":
        os.mkfifo(manifest)
    elif kind == "link-to-a-manifest":
        manifest.symlink_to(tmp_path / "elsewhere.json")
    else:
        with open(manifest, "wb") as handle:
            handle.truncate(300 * 1024 * 1024)
    read: list[Path] = []
    for name in ("read_bytes", "read_text"):
        real = getattr(Path, name)
        monkeypatch.setattr(Path, name, lambda self, *a, _real=real, **k: read.append(self) or _real(self, *a, **k))
    capsys.readouterr()
    assert _finishes(lambda: main(["verify-site", str(site), "--repo", str(repo)]), manifest) == 1
    assert "site.manifest_unreadable" in capsys.readouterr().out
    assert manifest not in read


def test_folders_nested_1500_deep_are_a_difference_not_a_crash(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """os.walk recursed once per level (Python before 3.12): a downloaded site with folders
    1,500 deep raised RecursionError out of verify-site."""
    repo = repository(tmp_path, "")
    site = build(repo, tmp_path / "site")
    folder = site / "deep"
    folder.mkdir()
    try:
        for _ in range(1500):
            folder = folder / "a"
            folder.mkdir()
        (folder / "x.html").write_text("x")
        capsys.readouterr()
        assert main(["verify-site", str(site), "--repo", str(repo)]) == 1
        out = capsys.readouterr().out
        assert "site.file_extra" in out and "/a/x.html" in out and "1 difference(s)" in out
    finally:                    # shutil.rmtree (and so pytest's cleanup) recurses per level too
        subprocess.run(["rm", "-rf", str(site / "deep")], check=True)
