"""Publishing swaps a finished tree into place; a failed build leaves the previous site untouched."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.site import publish as publish_module
from publisher.site.build import Site
from publisher.site.manifest import read_site
from publisher.site.publish import PublishError, publish
from tests.site.site_golden import REPO_ROOT


def tree(root: Path) -> dict[str, bytes | None]:
    """Every entry under `root` (folders as None), without following links."""
    return {p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes() for p in root.rglob("*")}


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name != path.name)


def test_publish_replaces_the_whole_tree(demo_site: Site, tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish({"manifest.json": b'{"generator": "handshake 0", "files": {"stale.html": ""}}', "stale.html": b"old"}, out)
    publish(demo_site.files, out)
    assert read_site(out) == demo_site.files          # nothing stale survives
    assert siblings(out) == []                        # no staging or old tree left behind


def test_failed_write_leaves_the_previous_site(demo_site: Site, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "site"
    publish(demo_site.files, out)
    before = read_site(out)
    real = publish_module.write_tree

    def half_then_fail(files, root):  # type: ignore[no-untyped-def]
        real(dict(list(files.items())[:10]), root)
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "write_tree", half_then_fail)
    with pytest.raises(PublishError, match="disk full"):      # an OSError, reported as one clear line
        publish({"index.html": b"new"}, out)
    assert read_site(out) == before
    assert siblings(out) == []


def test_refused_build_leaves_the_previous_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "sovereigns", repo / "sovereigns")
    shutil.copy(REPO_ROOT / "coalition.json", repo)
    shutil.copy(REPO_ROOT / "trust.lock", repo)
    out = tmp_path / "out"
    assert main(["build", str(repo), "--out", str(out), "--at", "2026-11-23T12:00:00Z"]) == 0
    before = read_site(out)
    genesis = repo / "sovereigns" / "aurora-commons" / "genesis.signed.json"
    genesis.write_text(genesis.read_text().replace('"v1.0"', '"v9.9"'))      # breaks the root signature
    assert main(["build", str(repo), "--out", str(out), "--at", "2026-11-23T12:00:00Z"]) == 1
    err = capsys.readouterr().err
    assert "refusing to build" in err and "previous site is untouched" in err
    assert read_site(out) == before
    assert siblings(out) == ["repo"]
    assert main(["build", str(repo), "--out", str(out), "--at", "2026-11-23T12:00:00Z", "--allow-errors"]) == 0
    assert read_site(out) != before and b"Built with --allow-errors" in (out / "index.html").read_bytes()


def test_refuses_to_replace_a_directory_that_is_not_a_site(tmp_path: Path) -> None:
    target = tmp_path / "docs"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(PublishError, match="not a Handshake site"):
        publish({"index.html": b"x"}, target)
    assert (target / "notes.txt").read_text() == "mine"


def test_a_target_manifest_nested_too_deep_for_the_parser_is_not_a_site(tmp_path: Path) -> None:
    """json.loads raises RecursionError, not ValueError, on a manifest nested 100,000 deep:
    the refusal must still be the clear one, and the directory left as it was."""
    target = tmp_path / "docs"
    target.mkdir()
    deep = b"[" * 100_000 + b"]" * 100_000
    (target / "manifest.json").write_bytes(deep)
    with pytest.raises(PublishError, match="not a Handshake site"):
        publish({"index.html": b"x"}, target)
    assert (target / "manifest.json").read_bytes() == deep


@pytest.mark.parametrize("foreign", [
    {".git/HEAD": "ref: refs/heads/gh-pages\n", "CNAME": "trust.example\n"},
    {"sovereigns/notes.txt": "mine"},
    {"index.html/mine.txt": "a folder where the site has a file"},
    {"sovereigns/empty/": ""},
], ids=["gh-pages-checkout", "file-in-a-site-folder", "folder-in-place-of-a-page", "empty-folder"])
def test_refuses_to_replace_a_site_holding_files_its_manifest_does_not_list(
        demo_site: Site, tmp_path: Path, foreign: dict[str, str]) -> None:
    """Replacing a directory deletes all of it: a published site into which someone put files
    of their own (a gh-pages checkout keeps .git beside the site) is refused, not emptied."""
    out = tmp_path / "site"
    publish(demo_site.files, out)
    for path, text in foreign.items():
        folder = out / path if path.endswith("/") else (out / path).parent
        if folder.is_file():
            folder.unlink()
        folder.mkdir(parents=True, exist_ok=True)
        if not path.endswith("/"):
            (out / path).write_text(text)
    before = tree(out)
    with pytest.raises(PublishError, match="does not list"):
        publish(demo_site.files, out)
    assert tree(out) == before and siblings(out) == []


def test_build_refuses_an_out_that_is_the_repository_even_with_a_site_manifest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A repository may commit a manifest.json that names the generator: `--out REPO` (or any
    directory above it) must still not replace the repository."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "sovereigns", repo / "sovereigns")
    shutil.copy(REPO_ROOT / "coalition.json", repo)
    (repo / "manifest.json").write_text('{"generator": "handshake 0.1.0", "files": {}}')
    before = tree(repo)
    for out in (repo, tmp_path):
        assert main(["build", str(repo), "--out", str(out), "--at", "2026-11-23T12:00:00Z", "--no-history"]) == 2
        assert "refusing to replace it" in capsys.readouterr().err
        assert tree(repo) == before


def test_refuses_an_out_that_is_a_symbolic_link(demo_site: Site, tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "site").symlink_to(tmp_path / "elsewhere")
    (tmp_path / "dangling").symlink_to(tmp_path / "missing")
    for out in (tmp_path / "site", tmp_path / "dangling"):
        with pytest.raises(PublishError, match="symbolic link"):
            publish(demo_site.files, out)
        assert out.is_symlink()
    assert list((tmp_path / "elsewhere").iterdir()) == [] and not (tmp_path / "missing").exists()


@pytest.mark.parametrize("kind", ["named-pipe", "link-to-a-manifest"])
def test_a_site_manifest_that_is_a_pipe_or_a_link_is_not_read(demo_site: Site, tmp_path: Path, kind: str) -> None:
    """The manifest in place decides whether a directory may be replaced: a named pipe there
    blocked the build forever (a link to /dev/zero never ended); neither is a site's manifest."""
    import threading

    out = tmp_path / "site"
    publish(demo_site.files, out)
    manifest = out / "manifest.json"
    (tmp_path / "elsewhere.json").write_bytes(manifest.read_bytes())
    manifest.unlink()
    if kind == "named-pipe":
        os.mkfifo(manifest)
    else:
        manifest.symlink_to(tmp_path / "elsewhere.json")
    raised: list[BaseException] = []

    def attempt() -> None:
        try:
            publish(demo_site.files, out)
        except BaseException as exc:      # noqa: BLE001 - reported below
            raised.append(exc)
    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(30)                       # a hang guard, not a timing
    if worker.is_alive():
        with open(os.open(manifest, os.O_WRONLY | os.O_NONBLOCK), "wb"):
            pass
        worker.join(30)
        pytest.fail("blocked reading manifest.json")
    assert len(raised) == 1 and isinstance(raised[0], PublishError) and "not a Handshake site" in str(raised[0])


def test_refuses_paths_outside_the_site(tmp_path: Path) -> None:
    with pytest.raises(PublishError):
        publish({"../escape.html": b"x"}, tmp_path / "site")
    assert not (tmp_path / "escape.html").exists()


def _walked_stamps(root: Path) -> tuple[dict[str, tuple[int, int, int]], dict[str, tuple[int, int, int]]]:
    """The definition site_stamps keeps: os.walk without following links, one lstat per name."""
    import os

    from publisher.site.sink import stamp_of

    files, folders = {}, {}
    for dirpath, _dirnames, filenames in os.walk(root, followlinks=False):
        rel = os.path.relpath(dirpath, root)
        rel = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        folder = stamp_of(Path(dirpath))
        if folder is not None:
            folders[rel] = folder
        for name in filenames:
            found = stamp_of(Path(dirpath) / name)
            if found is not None:
                files[rel + name] = found
    return files, folders


def test_site_stamps_classify_as_os_walk_does(tmp_path: Path) -> None:
    import os

    from publisher.site.sink import site_stamps

    site = tmp_path / "site"
    (site / "sovereigns" / "a" / "treaties").mkdir(parents=True)
    (site / "index.html").write_text("x")
    (site / "sovereigns" / "a" / "treaties" / "t.html").write_text("yy")
    (site / "sovereigns" / "a" / "to-file").symlink_to("../../index.html")
    (site / "sovereigns" / "to-dir").symlink_to("a")                    # a link to a directory: not walked
    (site / "sovereigns" / "outside").symlink_to(tmp_path)              # nor one that leaves the site
    (site / "dangling").symlink_to(tmp_path / "missing")
    os.mkfifo(site / "pipe")
    (site / "empty").mkdir()

    found = site_stamps(site)

    assert found == _walked_stamps(site)
    assert "sovereigns/to-dir" not in found[0] and "sovereigns/to-dir/" not in found[1]
    assert {"sovereigns/a/to-file", "dangling", "pipe"} <= set(found[0])
    assert {"", "sovereigns/", "sovereigns/a/", "sovereigns/a/treaties/", "empty/"} == set(found[1])
