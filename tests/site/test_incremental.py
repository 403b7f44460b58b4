"""Incremental and parallel builds give exactly the bytes of a cold serial build.

The render cache (publisher.site.render_cache) keys a sovereign's pages by the digest of what
they render from; these tests change one thing at a time (a treaty added, a treaty revoked, a
revocation feed re-issued, a root key rotation) and compare a build that reuses the cache with
one that renders everything, file by file. Also: a tampered cache entry is never used, and a
build on forked workers equals the serial build.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from publisher.cache import Cache
from publisher.site import build as build_module, render_cache, units
from publisher.site.build import Site, build_site
from publisher.site.publish import NOT_A_SITE, PublishError, previous_site, record_published, replace_refusal, staging
from publisher.site import sink as sink_module
from publisher.site.sink import DirectorySink
from publisher.site.verify_site import read_site
from publisher.source import WorktreeSource
from publisher.verify import verify_path
from tests.history.trustrepo import NOW, World, write_state
from tests.site.site_golden import provenance

NAMES = ("alpha", "bravo", "charlie", "delta", "echo")


def world() -> World:
    w = World(*NAMES)
    for i, name in enumerate(NAMES):
        w[name].treaty("next", w[NAMES[(i + 1) % len(NAMES)]])
        w[name].treaty("skip", w[NAMES[(i + 2) % len(NAMES)]])
    w["alpha"].set_feed(["att-1"])
    w.pin_all()
    return w


def build(repo: Path, cache: Cache | None, *, workers: int = 1, commit: str = "a" * 40) -> Site:
    verification = verify_path(repo, at=NOW, workers=1)
    assert verification.ok, [f for f in verification.findings if f.severity.value == "error"]
    return build_site(verification, WorktreeSource(repo), provenance(evaluated_at=NOW, source_commit=commit),
                      workers=workers, cache=cache)


def assert_same(a: Site, b: Site) -> None:
    assert sorted(a.files) == sorted(b.files)
    differing = [p for p in a.files if a.files[p] != b.files[p]]
    assert differing == []


@pytest.fixture()
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache", b"k" * 32)


def test_a_no_change_build_renders_nothing_and_gives_the_same_bytes(tmp_path: Path, cache: Cache) -> None:
    repo = tmp_path / "repo"
    write_state(repo, world().files())
    cold = build(repo, cache)
    assert cold.rendered == len(NAMES)
    warm = build(repo, cache)
    assert warm.rendered == 0
    assert_same(warm, cold)
    assert_same(warm, build(repo, None))


def test_a_new_commit_reuses_every_page_and_shows_the_new_commit(tmp_path: Path, cache: Cache) -> None:
    repo = tmp_path / "repo"
    write_state(repo, world().files())
    build(repo, cache, commit="a" * 40)
    warm = build(repo, cache, commit="b" * 40)
    assert warm.rendered == 0
    assert_same(warm, build(repo, None, commit="b" * 40))
    page = warm.files["sovereigns/alpha/index.html"].decode()
    assert "git checkout " + "b" * 40 in page and "<code>" + "b" * 12 + "</code>" in page
    assert "a" * 12 not in page and "\u2063" not in page


def _add_treaty(w: World) -> None:
    w["delta"].treaty("new", w["alpha"])


def _revoke(w: World) -> None:
    w["bravo"].revoke(next(iter(w["bravo"].treaties)))


def _feed(w: World) -> None:
    w["charlie"].set_feed(["att-9", "att-10"])


def _rotate(w: World) -> None:
    w["echo"].rotate_root("echo-root-2")


@pytest.mark.parametrize("change", [_add_treaty, _revoke, _feed, _rotate], ids=lambda f: f.__name__.strip("_"))
def test_after_a_change_the_incremental_build_equals_a_cold_one(tmp_path: Path, cache: Cache, change) -> None:
    repo = tmp_path / "repo"
    w = world()
    write_state(repo, w.files())
    build(repo, cache)
    change(w)
    write_state(repo, w.files())
    incremental = build(repo, cache)
    cold = build(repo, None)
    assert_same(incremental, cold)
    assert 1 <= incremental.rendered <= len(NAMES)


def test_a_feed_change_renders_only_the_units_that_show_the_feed(tmp_path: Path, cache: Cache) -> None:
    repo = tmp_path / "repo"
    w = world()
    write_state(repo, w.files())
    build(repo, cache)
    _feed(w)
    write_state(repo, w.files())
    # charlie's page and bundle, and the connectome exports of alpha and bravo (they accept
    # charlie: its revocations are imported there); delta and echo are not rendered again
    assert build(repo, cache).rendered == 3


def _unit_entries(cache: Cache) -> list[Path]:
    return sorted(p for p in (cache.directory / render_cache.UNIT_KIND).rglob("*") if p.is_file())


def _page_entries(cache: Cache) -> set[str]:
    return {p.name for p in (cache.directory / render_cache.PAGE_KIND).rglob("*") if p.is_file()}


def _aged(site: Site, cache: Cache) -> Site:
    """The page entries made a minute older, as if the next build came a minute later (a build
    counts those modified within a second before it started as its own)."""
    for path in (cache.directory / render_cache.PAGE_KIND).rglob("*"):
        if path.is_file():
            info = path.stat()
            os.utime(path, ns=(info.st_atime_ns - 60 * 10**9, info.st_mtime_ns - 60 * 10**9))
    return site


def test_page_entries_are_bounded_by_what_the_last_build_used(tmp_path: Path, cache: Cache, monkeypatch) -> None:
    """Every feed re-issue changes some coalition-wide pages, each a new entry under its new
    inputs. With one build kept, only the entries the last build used stay: the pages no edit
    changed (written by the first build, used since) among them, so building the last state
    again renders no page."""
    monkeypatch.setattr(build_module, "KEPT_PAGE_BUILDS", 1)
    repo = tmp_path / "repo"
    w = world()
    write_state(repo, w.files())
    _aged(build(repo, cache), cache)
    first = _page_entries(cache)
    added = []
    for n in range(3):
        before = _page_entries(cache)
        w["charlie"].set_feed([f"att-{n}", f"att-{n + 100}"], sequence=2 + n)
        write_state(repo, w.files())
        _aged(build(repo, cache), cache)
        added.append(_page_entries(cache) - before)
    kept = _page_entries(cache)
    assert all(added) and added[-1] <= kept and not (added[0] | added[1]) & kept
    assert len(kept) == len(first)
    assert first & kept, "a page unchanged since the first build was dropped"
    misses = cache.misses
    build(repo, cache)
    assert cache.misses == misses


@pytest.mark.parametrize("how", ["flipped byte", "truncated", "other secret"])
def test_a_tampered_cache_entry_is_not_used(tmp_path: Path, cache: Cache, how: str) -> None:
    repo = tmp_path / "repo"
    write_state(repo, world().files())
    cold = build(repo, cache)
    entries = _unit_entries(cache)
    assert len(entries) == len(NAMES)
    for entry in entries:
        data = bytearray(entry.read_bytes())
        if how == "flipped byte":
            data[-10] ^= 0x01
            entry.write_bytes(bytes(data))
        elif how == "truncated":
            entry.write_bytes(bytes(data[:40]))
        else:
            Cache(cache.directory, b"x" * 32).put_payload(render_cache.UNIT_KIND, entry.name, bytes(data[36:]))
    again = build(repo, cache)
    assert again.rendered == len(NAMES)
    assert_same(again, cold)


def test_a_forged_entry_with_other_pages_is_refused(tmp_path: Path, cache: Cache) -> None:
    """Entries written under another secret (a cache copied from elsewhere) never reach the site."""
    repo = tmp_path / "repo"
    write_state(repo, world().files())
    cold = build(repo, cache)
    forger = Cache(cache.directory, b"f" * 32)
    for entry in _unit_entries(cache):
        files = {"sovereigns/alpha/index.html": b"<script>alert(1)</script>"}
        render_cache.store(forger, render_cache.UNIT_KIND, entry.name, (files, []))
    again = build(repo, cache)
    assert again.rendered == len(NAMES) and b"alert(1)" not in again.files["sovereigns/alpha/index.html"]
    assert_same(again, cold)


def test_parallel_build_equals_serial_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    write_state(repo, world().files())
    serial = build(repo, None, workers=1)
    monkeypatch.setattr(units, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(units, "CHUNKS_PER_WORKER", 2)
    parallel = build(repo, None, workers=2)
    assert_same(parallel, serial)
    cache = Cache(tmp_path / "cache", b"k" * 32)
    assert_same(build(repo, cache, workers=2), serial)
    warm = build(repo, cache, workers=2)
    assert warm.rendered == 0
    assert_same(warm, serial)


def _publish(repo: Path, out: Path, cache: Cache, commit: str = "a" * 40, *,
             verify_cache: Cache | None = None, workers: int = 1) -> tuple[DirectorySink, bool]:
    verification = verify_path(repo, at=NOW, workers=1, cache=verify_cache)
    with staging(out) as stage:
        sink = DirectorySink(stage.path, previous_site(out, cache))
        build_site(verification, WorktreeSource(repo), provenance(evaluated_at=NOW, source_commit=commit),
                   cache=cache, sink=sink, workers=workers)
        stage.keep_previous = sink.finish()
    if not stage.keep_previous:
        record_published(out, cache)
    return sink, stage.keep_previous


def test_a_published_site_is_kept_when_nothing_changed_and_rebuilt_when_it_did(tmp_path: Path,
                                                                              cache: Cache) -> None:
    repo, out = tmp_path / "repo", tmp_path / "site"
    w = world()
    write_state(repo, w.files())
    expected = build(repo, None).files
    _, kept = _publish(repo, out, cache)
    assert not kept and read_site(out) == expected
    sink, kept = _publish(repo, out, cache)
    assert kept and len(sink.reused) == len(expected) and read_site(out) == expected
    (out / "extra.html").write_bytes(b"not ours")                   # a file added by hand: not deleted
    with pytest.raises(PublishError, match="extra.html"):
        _publish(repo, out, cache)
    assert (out / "extra.html").read_bytes() == b"not ours"
    (out / "extra.html").unlink()
    _, kept = _publish(repo, out, cache)
    assert not kept and read_site(out) == expected
    page = out / "sovereigns/alpha/index.html"                      # a file edited by hand
    page.write_bytes(b"edited")
    os.utime(page, ns=(1, 1))
    _, kept = _publish(repo, out, cache)
    assert not kept and read_site(out) == expected
    _feed(w)                                                        # a change: only changed files written
    write_state(repo, w.files())
    sink, kept = _publish(repo, out, cache)
    assert not kept and read_site(out) == build(repo, None).files
    assert "sovereigns/charlie/index.html" not in sink.reused and "sovereigns/alpha/index.html" in sink.reused


def test_page_workers_send_back_what_they_wrote_not_the_previous_site(tmp_path: Path, cache: Cache,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's sink comes back pickled; the record of the previous site (every published
    file's digest and stamp) is the parent's and must not travel with each chunk."""
    repo, out = tmp_path / "repo", tmp_path / "site"
    w = world()
    write_state(repo, w.files())
    _publish(repo, out, cache)
    previous = previous_site(out, cache)
    assert previous is not None and len(previous.stamped()) > 10
    own = DirectorySink(tmp_path / "stage", previous).fork()
    page = "sovereigns/alpha/index.html"
    own.put(page, (out / page).read_bytes())
    own.put("new/file.json", b"{}\n")
    back = pickle.loads(pickle.dumps(own))
    assert back.previous is None and own.previous is previous
    assert (back.digests, back.reused) == (own.digests, [page])
    assert len(pickle.dumps(own)) < len(pickle.dumps(previous)) // 4
    # Built on two forked workers over the published site, after a change: the same site as a
    # cold build, with the unchanged files linked from the previous one.
    monkeypatch.setattr(units, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(units, "CHUNKS_PER_WORKER", 2)
    _feed(w)
    write_state(repo, w.files())
    sink, kept = _publish(repo, out, cache, workers=2)
    assert not kept and read_site(out) == build(repo, None).files
    assert page in sink.reused and "sovereigns/charlie/index.html" not in sink.reused


@pytest.mark.parametrize("linking", [True, False], ids=["hard-link", "copy"])
def test_a_reused_file_replaced_while_the_build_runs_is_not_published(tmp_path: Path, cache: Cache, linking: bool,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The build decides a file is reusable when it puts it, and links it from the published
    site at the end. Another build (of another commit or working tree) publishing in between
    puts its own file at that path: the build must not take it under its own digest."""
    repo, out = tmp_path / "repo", tmp_path / "site"
    write_state(repo, world().files())
    _publish(repo, out, cache)
    raw = "sovereigns/alpha/sovereign.json"
    if not linking:
        monkeypatch.setattr(sink_module.os, "link", _no_link)
    verification = verify_path(repo, at=NOW, workers=1)
    with pytest.raises(PublishError, match="changed while this build ran"):
        with staging(out) as stage:
            sink = DirectorySink(stage.path, previous_site(out, cache))
            build_site(verification, WorktreeSource(repo), provenance(evaluated_at=NOW, source_commit="b" * 40),
                       cache=cache, sink=sink)
            assert raw in sink.reused
            (tmp_path / "other").write_bytes(b'{"another": "build"}\n')     # the other build's file
            os.replace(tmp_path / "other", out / raw)
            stage.keep_previous = sink.finish()
    assert (out / raw).read_bytes() == b'{"another": "build"}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "repo", "site"]


def _no_link(*args: object, **kwargs: object) -> None:
    raise OSError(1, "Operation not permitted")      # a filesystem without hard links


@pytest.mark.parametrize("cached_verification", [False, True], ids=["models hashed", "folder keys"])
def test_a_document_rewritten_with_the_same_value_is_republished(tmp_path: Path, cache: Cache,
                                                                 cached_verification: bool) -> None:
    """The whole-site key covers the raw bytes, not only what verification parsed from them:
    whether it hashes the models and files, or stands on the folder keys of a cached verification."""
    repo, out = tmp_path / "repo", tmp_path / "site"
    verify_cache = cache if cached_verification else None
    write_state(repo, world().files())
    _publish(repo, out, cache, verify_cache=verify_cache)
    assert _publish(repo, out, cache, verify_cache=verify_cache)[1]
    path = repo / "sovereigns/alpha/sovereign.json"
    path.write_bytes(path.read_bytes().rstrip(b"\n") + b"\n\n")
    sink, kept = _publish(repo, out, cache, verify_cache=verify_cache)
    assert not kept and "sovereigns/alpha/sovereign.json" not in sink.reused
    assert read_site(out) == build(repo, None).files
    assert (out / "sovereigns/alpha/sovereign.json").read_bytes() == path.read_bytes()


def test_the_folder_keys_of_a_cached_verification_stand_for_its_models(tmp_path: Path, cache: Cache,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A verification kept in the cache names every model by its folder key, the same whether it
    was verified or answered from its snapshot; the site's input digest then reads no file, and
    changes with any folder's bytes."""
    from publisher import source as source_module
    from publisher.site.incremental import inputs_digest

    monkeypatch.setattr(source_module, "RACY_NS", 0)               # stamps count at once
    repo = tmp_path / "repo"
    write_state(repo, world().files())
    fresh = verify_path(repo, at=NOW, workers=1, cache=cache)
    again = verify_path(repo, at=NOW, workers=1, cache=cache)
    assert type(again).__name__ == "_Remembered"                    # answered from the snapshot
    assert fresh.folder_keys is not None and [sid for sid, _ in fresh.folder_keys] == sorted(NAMES)
    assert again.folder_keys == fresh.folder_keys and again.sovereign_count == len(NAMES)
    assert verify_path(repo, at=NOW, workers=1).folder_keys is None  # no cache: no keys
    source = WorktreeSource(repo)
    with monkeypatch.context() as patch:
        patch.setattr(WorktreeSource, "read", lambda *a: pytest.fail("read a file"))
        digest = inputs_digest(fresh, source)
        assert digest is not None and inputs_digest(again, source) == digest
    path = repo / "sovereigns/bravo/sovereign.json"
    path.write_bytes(path.read_bytes() + b"\n")
    changed = verify_path(repo, at=NOW, workers=1, cache=cache)
    assert changed.folder_keys is not None and dict(changed.folder_keys)["bravo"] != dict(fresh.folder_keys)["bravo"]
    assert inputs_digest(changed, WorktreeSource(repo)) != digest


def test_a_change_channel_key_stands_for_its_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the channel's content address (`cmd_build.change_channel`), the site's key never
    pickles the entries, and changes with the address; without one, it covers the entries."""
    from publisher.site.incremental import site_key

    repo = tmp_path / "repo"
    write_state(repo, world().files())
    verification, source, prov = verify_path(repo, at=NOW, workers=1), WorktreeSource(repo), provenance()
    entries = [lambda: None]                                        # cannot be pickled
    keyed = site_key(verification, source, prov, entries, changes_key="a" * 64)
    assert keyed is not None and keyed == site_key(verification, source, prov, [], changes_key="a" * 64)
    assert site_key(verification, source, prov, entries, changes_key="b" * 64) not in (None, keyed)
    assert site_key(verification, source, prov, entries) is None
    assert site_key(verification, source, prov, []) not in (None, keyed, site_key(verification, source, prov, None))


KEYS_SCRIPT = """
import sys
from pathlib import Path
from publisher.site import render_cache
from publisher.site.build import _site_info
from publisher.site.context import build_context
from publisher.site.units import unit_inputs
from publisher.verify import verify_path
from tests.history.trustrepo import NOW
from tests.site.site_golden import provenance
v = verify_path(Path(sys.argv[1]), at=NOW, workers=1)
ctx = build_context(v, provenance(evaluated_at=NOW))
site = _site_info(ctx)
for s in v.sovereigns:
    print(s.id, render_cache.digest(unit_inputs(ctx, site, s, None)))
"""


def test_render_keys_do_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """A set in a view model would make keys differ between processes (every build a miss)."""
    import subprocess
    import sys

    repo = tmp_path / "repo"
    write_state(repo, world().files())
    root = Path(__file__).resolve().parents[2]
    outputs = [subprocess.run([sys.executable, "-c", KEYS_SCRIPT, str(repo)], cwd=root, check=True, text=True,
                              capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")]
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) == len(NAMES)


def test_the_compact_record_of_the_previous_site_answers_as_its_dictionaries(tmp_path: Path) -> None:
    """Previous keeps digests as raw bytes and stamps in arrays; every answer must be the one
    the manifest's digests and the recorded stamps give, odd digests included."""
    from publisher.site.sink import Previous, sha256, site_stamps

    root = tmp_path / "site"
    (root / "d").mkdir(parents=True)
    data = {"a.html": b"<p>a</p>", "d/b.json": b"{}\n", "odd.txt": b"odd", "manifest.json": b"{}"}
    for path, content in data.items():
        (root / path).write_bytes(content)
    files, folders = site_stamps(root)
    digests = {path: sha256(content) for path, content in data.items()}
    digests["odd.txt"] = "sha256:" + hashlib.sha256(b"odd").hexdigest().upper()    # not our form
    digests["unstamped.html"] = sha256(b"gone")
    previous = Previous(root, digests, files, folders)
    for path in [*digests, *files, "nowhere"]:
        assert (previous.digest(path), previous.stamp(path)) == (digests.get(path), files.get(path))
    assert previous.digest_items() == list(digests.items())
    assert sorted(previous.stamped()) == sorted(files)
    assert previous.reusable("a.html", sha256(data["a.html"]))
    assert not previous.reusable("a.html", sha256(b"other"))
    assert previous.reusable("odd.txt", digests["odd.txt"]) and not previous.reusable("odd.txt", sha256(b"odd"))
    assert not previous.reusable("unstamped.html", digests["unstamped.html"])
    assert not previous.reusable("nowhere", sha256(b""))
    assert not previous.intact()                                    # a listed file with no stamp
    del digests["unstamped.html"]
    assert Previous(root, digests, files, folders).intact()
    (root / "a.html").write_bytes(b"<p>edited</p>")
    assert not previous.reusable("a.html", sha256(data["a.html"]))
    assert not Previous(root, digests, files, folders).intact()


def test_a_kept_site_parses_its_manifest_once_and_still_refuses_a_changed_one(
        tmp_path: Path, cache: Cache, monkeypatch: pytest.MonkeyPatch) -> None:
    """A no-change build over a published site reads manifest.json (tens of MB at scale) to
    prove it the recorded one: parsed by `previous_site` only, not again by the refusal check
    before the swap nor by the build that keeps it. The check still reads the bytes: a
    manifest replaced after `previous_site` proved it is judged on its own."""
    repo, out = tmp_path / "repo", tmp_path / "site"
    write_state(repo, world().files())
    verification = verify_path(repo, at=NOW, workers=1)
    _publish(repo, out, cache)
    manifest = (out / "manifest.json").read_bytes()
    parsed: list[int] = []
    real_loads = json.loads

    def counting(data: str | bytes, *args: Any, **kwargs: Any) -> Any:
        parsed.append(data == manifest)
        return real_loads(data, *args, **kwargs)

    monkeypatch.setattr(json, "loads", counting)
    previous = previous_site(out, cache)
    assert previous is not None and sum(parsed) == 1
    with staging(out, previous) as stage:
        sink = DirectorySink(stage.path, previous)
        site = build_site(verification, WorktreeSource(repo), provenance(evaluated_at=NOW, source_commit="a" * 40),
                          cache=cache, sink=sink)
        stage.keep_previous = sink.finish()
    assert stage.keep_previous and sum(parsed) == 1
    assert site.manifest is None and site.file_count == len(read_site(out)) == len(real_loads(manifest)["files"]) + 1
    # The manifest replaced by someone else's after it was proved: parsed, and refused.
    (out / "manifest.json").write_bytes(b'{"generator": "someone else", "files": {}}')
    assert replace_refusal(out, previous) == NOT_A_SITE
    # The recorded manifest with an entry added since: the walk runs and names it.
    (out / "manifest.json").write_bytes(manifest)
    (out / "mine.txt").write_text("mine")
    refusal = replace_refusal(out, previous)
    assert refusal is not None and "mine.txt" in refusal
