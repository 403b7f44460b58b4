"""The build, verify-site and serve commands end to end on a git clone of the demo."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from publisher.cli import main
from publisher.site.serve import make_server
from tests.site.site_golden import REPO_ROOT

COMMIT_DATE = "2026-11-23T12:00:00+00:00"


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": COMMIT_DATE, "GIT_COMMITTER_DATE": COMMIT_DATE,
           "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("clone")
    for name in ("sovereigns", "coalition.json", "trust.lock"):
        source = REPO_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, repo / name)
    git(repo, "init", "-q")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "demo")
    return repo


def test_default_time_is_the_commit_time_and_output_is_reproducible(clone: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert main(["build", str(clone), "--out", str(tmp_path / "a"), "--jobs", "1"]) == 0
    assert main(["build", str(clone), "--out", str(tmp_path / "b"), "--jobs", "2"]) == 0
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert manifest["evaluated_at"] == "2026-11-23T12:00:00Z"
    assert manifest["source_commit"] == git(clone, "rev-parse", "HEAD").strip()
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)


def test_verify_site_reports_every_difference(clone: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    site = tmp_path / "site"
    assert main(["build", str(clone), "--out", str(site), "--at", "2026-11-24T00:00:00Z"]) == 0
    capsys.readouterr()
    assert main(["verify-site", str(site), "--repo", str(clone)]) == 0
    assert "IDENTICAL" in capsys.readouterr().out
    (site / "index.html").write_bytes((site / "index.html").read_bytes().replace(b"Demo", b"Fake"))
    (site / "extra.html").write_text("x")
    (site / "roll-call.json").unlink()
    assert main(["verify-site", str(site), "--repo", str(clone)]) == 1
    out = capsys.readouterr().out
    assert "site.file_changed" in out and "index.html" in out
    assert "site.file_extra" in out and "extra.html" in out
    assert "site.file_missing" in out and "roll-call.json" in out


def test_build_warns_when_the_working_tree_is_not_the_commit_it_names(
        clone: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The site names HEAD as its source: built from trust files HEAD does not hold (an edit, a
    new file), it would not survive verify-site, and the build says so; a clean tree, or a
    change outside the trust paths, gives no warning."""
    site = tmp_path / "site"
    (clone / "notes.txt").write_text("not trust material")
    assert main(["build", str(clone), "--out", str(site), "--no-history"]) == 0
    assert "warning" not in capsys.readouterr().err
    feed = next((clone / "sovereigns").glob("*/revocation-feed.json"))
    original = feed.read_bytes()
    added = clone / "sovereigns" / "unsigned.txt"
    try:
        feed.write_bytes(original + b"\n")
        added.write_text("x")
        assert main(["build", str(clone), "--out", str(site), "--no-history", "--allow-errors"]) == 0
        err = capsys.readouterr().err
        head = git(clone, "rev-parse", "HEAD").strip()[:12]
        assert f"working tree differs from HEAD ({head})" in err, err
        assert f"{feed.relative_to(clone).as_posix()} and 1 more" in err and "verify-site" in err
    finally:
        feed.write_bytes(original)
        added.unlink()
        (clone / "notes.txt").unlink()


def test_verify_site_says_which_clone_it_needs(clone: Path, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Run outside a clone, or in one without the site's commit, the rebuild failed with git's
    words only; the finding now says what to run it in or fetch."""
    site = tmp_path / "site"
    assert main(["build", str(clone), "--out", str(site), "--at", "2026-11-24T00:00:00Z"]) == 0
    capsys.readouterr()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert main(["verify-site", str(site), "--repo", str(elsewhere)]) == 1
    assert "site.rebuild_failed" in (out := capsys.readouterr().out) and "give --repo" in out
    manifest = json.loads((site / "manifest.json").read_text())
    manifest["source_commit"] = "0" * 39 + "1"
    (site / "manifest.json").write_text(json.dumps(manifest))
    assert main(["verify-site", str(site), "--repo", str(clone)]) == 1
    assert "lacks that commit: fetch it" in capsys.readouterr().out


def test_verify_site_without_a_manifest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "site").mkdir()
    assert main(["verify-site", str(tmp_path / "site"), "--repo", str(tmp_path)]) == 1
    assert "site.manifest_unreadable" in capsys.readouterr().out


def test_serve_closes_a_connection_that_never_finishes_its_request(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Each connection holds a thread: one that sends half a request line and then nothing is
    closed after the handler's timeout instead of holding its thread for ever."""
    import socket

    from publisher.site.serve import SiteHandler
    assert SiteHandler.timeout is not None and SiteHandler.timeout <= 60
    monkeypatch.setattr(SiteHandler, "timeout", 0.2)
    (tmp_path / "site").mkdir()
    server = make_server(tmp_path / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with socket.create_connection(server.server_address[:2], timeout=20) as client:
            client.sendall(b"GET /index.html HT")          # and nothing more
            assert client.recv(1024) == b""                 # closed by the server, not by our 20 s
    finally:
        server.shutdown()
        server.server_close()


def test_serve_binds_loopback_and_sends_the_csp(demo_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from publisher.site.publish import publish
    publish(demo_site.files, tmp_path / "site")
    server = make_server(tmp_path / "site", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/connectome.json") as response:
            assert response.headers["Content-Type"] == "application/json"
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert response.read() == demo_site.files["connectome.json"]
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/missing.html")
    finally:
        server.shutdown()
        server.server_close()


def _status(port: int, path: str, host: str | None = None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if host is not None:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:    # a hang guard, not a timing
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def test_serve_serves_only_regular_files_inside_the_site_to_loopback_hosts(demo_site, tmp_path: Path  # type: ignore[no-untyped-def]
                                                                           ) -> None:
    """A tampered site directory: links out of it (to a file, to a directory, in a loop) and a
    named pipe are answered 404 at once; a request for another host name (DNS rebinding) 421."""
    from publisher.site.publish import publish
    site = tmp_path / "site"
    publish(demo_site.files, site)
    (tmp_path / "secret.txt").write_text("not for the web")
    (site / "secret.txt").symlink_to(tmp_path / "secret.txt")
    (site / "outside").symlink_to(tmp_path)
    (site / "inside.html").symlink_to("index.html")
    (site / "loop-a").symlink_to("loop-b")
    (site / "loop-b").symlink_to("loop-a")
    os.mkfifo(site / "pipe.html")
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        assert _status(port, "/index.html") == 200
        assert _status(port, "/index.html", host=f"localhost:{port}") == 200
        for path in ("/secret.txt", "/outside/secret.txt", "/inside.html", "/loop-a", "/pipe.html"):
            assert _status(port, path) == 404, path
        assert _status(port, "/index.html", host=f"rebound.example:{port}") == 421
        assert _status(port, "/index.html", host="localhost:1") == 421
    finally:
        server.shutdown()
        server.server_close()


def test_serve_answers_hostile_paths_with_a_status_and_lists_no_directory(demo_site, tmp_path: Path  # type: ignore[no-untyped-def]
                                                                        ) -> None:
    """A NUL in the path (which no file name holds) is a 404, not a dropped connection and a
    traceback on the console; a folder without index.html is a 404, as on a static host, not
    a listing of every name in it (a tampered site's links and pipes included)."""
    from publisher.site.publish import publish
    site = tmp_path / "site"
    publish(demo_site.files, site)
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        for path in ("/%00", "/index.html%00.txt", "/sovereigns/%00/", "/static/", "/trust-bundles/", "/sovereigns/"):
            assert _status(port, path) == 404, path
        assert _status(port, "/static") == 404
        assert _status(port, "/docs/") == 200 and _status(port, "/static/site.css") == 200
    finally:
        server.shutdown()
        server.server_close()


def test_serve_refuses_a_directory_without_a_site(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", str(tmp_path)]) == 2
    assert "build the site first" in capsys.readouterr().err


@pytest.mark.parametrize("inside", ["sovereigns", "sovereigns/site", "sovereigns/aurora-commons/pages"])
def test_build_refuses_to_write_the_site_among_the_trust_material(clone: Path, inside: str,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(p.relative_to(clone).as_posix() for p in (clone / "sovereigns").rglob("*"))
    assert main(["build", str(clone), "--out", str(clone / inside), "--jobs", "1"]) == 2
    assert "must not be written among the trust material" in capsys.readouterr().err
    assert sorted(p.relative_to(clone).as_posix() for p in (clone / "sovereigns").rglob("*")) == before


def test_build_refuses_the_trust_material_under_another_spelling_of_its_name(
        clone: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """On a case-insensitive file system (macOS, Windows) `Sovereigns/site` is inside
    `sovereigns/`; a comparison of resolved names let it through. Simulated here: `stat`
    answers for any spelling of the folder's name, as such a file system does."""
    import os as real_os
    real_stat = real_os.stat

    def folding_stat(path, *args, **kwargs):
        text = real_os.fspath(path)
        return real_stat(text.replace("/Sovereigns", "/sovereigns"), *args, **kwargs)

    monkeypatch.setattr("publisher.cli.cmd_build.os.stat", folding_stat)
    before = sorted(p.relative_to(clone).as_posix() for p in (clone / "sovereigns").rglob("*"))
    assert main(["build", str(clone), "--out", str(clone / "Sovereigns" / "site"), "--jobs", "1"]) == 2
    assert "must not be written among the trust material" in capsys.readouterr().err
    assert sorted(p.relative_to(clone).as_posix() for p in (clone / "sovereigns").rglob("*")) == before


def test_serve_without_a_directory_finds_the_repositorys_site_from_a_folder_inside_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`handshake build` writes REPO/_site; `handshake serve` run from sovereigns/ looked for
    ./_site and said to build first. It now serves the site of the repository it is in."""
    import subprocess

    from publisher.cli import cmd_serve
    (tmp_path / "sovereigns" / "alpha").mkdir(parents=True)
    (tmp_path / "_site").mkdir()
    (tmp_path / "_site" / "index.html").write_text("<!doctype html>")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    served: list[Path] = []

    class Server:
        server_address = ("127.0.0.1", 8000)

        def serve_forever(self) -> None:
            raise KeyboardInterrupt

        def server_close(self) -> None:
            pass

    monkeypatch.setattr(cmd_serve, "make_server", lambda directory, port: served.append(directory) or Server())
    monkeypatch.chdir(tmp_path / "sovereigns" / "alpha")
    assert main(["serve"]) == 0
    assert served == [tmp_path.resolve() / "_site"]
    assert f"serving {tmp_path.resolve() / '_site'}" in capsys.readouterr().out


def test_build_says_where_unrendered_sovereigns_came_from_only_when_there_are_some(
        clone: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """'5 of 5 sovereigns rendered, the others from the render cache' named others that did
    not exist; the render cache is named only when some sovereigns came from it."""
    from publisher.cli import cmd_build
    assert cmd_build._rendered(5, 5) == "5 of 5 sovereigns rendered"
    assert cmd_build._rendered(2, 5) == "2 of 5 sovereigns rendered, the others from the render cache"
    assert main(["build", str(clone), "--out", str(tmp_path / "site"), "--jobs", "1", "--no-cache"]) == 0
    out = capsys.readouterr().out       # without a cache, every sovereign is rendered
    assert "sovereigns rendered;" in out and "render cache" not in out


def test_build_refuses_the_trust_folder_by_name_before_it_exists(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """With no sovereigns/ yet, --out sovereigns/site is still refused by its name: the site
    would create the folder and become the trust material the next verify reads."""
    (tmp_path / "repo").mkdir()
    assert main(["build", str(tmp_path / "repo"), "--out", str(tmp_path / "repo" / "sovereigns" / "site")]) == 2
    assert "must not be written among the trust material" in capsys.readouterr().err
    assert not (tmp_path / "repo" / "sovereigns").exists()
