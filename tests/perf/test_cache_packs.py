"""publisher.cachepack: a run's many entries in one pack file, read back only by the user who
sealed them, entry by entry; a damaged, foreign or planted pack is a miss, never an error."""
from __future__ import annotations

import dataclasses
import gc
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from publisher import cachepack
from publisher import source as source_module
from publisher.cache import Cache, open_cache
from publisher.cachepack import MAX_PACKS, PACKS, PackWriter
from publisher.verify import dispatch, verify_path
from tests.conftest import DEMO_AT

KIND = "folder"


def key(i: int) -> str:
    return f"{i:064x}"


def store(tmp_path: Path, secret: bytes = b"s" * 32) -> Cache:
    return Cache(tmp_path / "cache", secret)


def write(cache: Cache, keys: range, tag: bytes = b"v") -> None:
    with cache.batch(KIND) as batch:
        for i in keys:
            batch.add(key(i), tag + b"%d" % i)


def packs(cache: Cache) -> list[Path]:
    folder = cache.directory / KIND / PACKS
    return sorted(folder.iterdir()) if folder.is_dir() else []


def loose(cache: Cache) -> list[Path]:
    folder = cache.directory / KIND
    return [p for p in folder.rglob("*") if p.is_file() and PACKS not in p.parts] if folder.is_dir() else []


def test_a_run_of_many_entries_is_one_pack(tmp_path: Path) -> None:
    cache = store(tmp_path)
    write(cache, range(cachepack.PACK_MIN * 2))
    assert [p.suffix for p in packs(cache)] == [".pack"] and loose(cache) == []
    again = store(tmp_path)      # another run, same user
    for i in range(cachepack.PACK_MIN * 2):
        assert again.get_payload(KIND, key(i)) == b"v%d" % i
        assert again.has(KIND, key(i))
    assert again.get_payload(KIND, key(10**6)) is None and not again.has(KIND, key(10**6))


def test_the_writing_cache_reads_its_new_pack(tmp_path: Path) -> None:
    cache = store(tmp_path)
    assert cache.get_payload(KIND, key(1)) is None          # loads an empty pack set first
    write(cache, range(cachepack.PACK_MIN))
    assert cache.get_payload(KIND, key(1)) == b"v1"


def test_a_run_of_few_entries_is_written_as_files(tmp_path: Path) -> None:
    cache = store(tmp_path)
    write(cache, range(3))
    assert packs(cache) == [] and len(loose(cache)) == 3
    assert store(tmp_path).get_payload(KIND, key(2)) == b"v2"


def test_a_pack_sealed_by_another_user_is_a_miss(tmp_path: Path) -> None:
    write(store(tmp_path), range(cachepack.PACK_MIN))
    other = store(tmp_path, b"t" * 32)
    assert other.get_payload(KIND, key(1)) is None and not other.has(KIND, key(1))


def test_an_index_that_points_at_another_entry_is_a_miss(tmp_path: Path) -> None:
    """The index is this user's, but each entry still answers only its own key: an index line
    naming key A at key B's bytes gives no result for A."""
    cache = store(tmp_path)
    folder = cache.directory / KIND / PACKS
    folder.mkdir(parents=True)
    writer = PackWriter(str(folder), cache._index_seal(KIND))
    writer.add(key(1), cache._sealed(KIND, key(2), b"two"))
    writer.add(key(3), cache._sealed(KIND, key(3), b"three"))
    writer.finish()
    fresh = store(tmp_path)
    assert fresh.get_payload(KIND, key(1)) is None and fresh.get_payload(KIND, key(3)) == b"three"


def _flip(at: int):
    def damage(data: bytes) -> bytes:
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
    return damage


@pytest.mark.parametrize(("damage", "survivors"), [
    (_flip(200), "all but the first"),            # inside the first entry
    (_flip(-60), "none"),                          # inside the index
    (_flip(-1), "none"),                           # the index's seal
    (_flip(-40), "none"),                          # the trailer's offsets
    (_flip(0), "none"),                            # the pack's magic
    (lambda data: data[:-1], "none"),              # truncated
    (lambda data: data[: len(data) // 2], "none"),
    (lambda data: b"", "none"),
], ids=["entry", "index", "seal", "trailer", "magic", "truncated-1", "truncated-half", "empty"])
def test_a_damaged_pack_is_a_miss_where_damaged(tmp_path: Path, damage, survivors: str) -> None:
    cache = store(tmp_path, secret=b"s" * 32)
    write(cache, range(cachepack.PACK_MIN), tag=b"x" * 300)
    (path,) = packs(cache)
    path.write_bytes(damage(path.read_bytes()))
    fresh = store(tmp_path)
    found = [fresh.get_payload(KIND, key(i)) for i in range(cachepack.PACK_MIN)]
    if survivors == "none":
        assert found == [None] * cachepack.PACK_MIN
    else:
        assert found[0] is None and all(f == b"x" * 300 + b"%d" % i for i, f in enumerate(found) if i)


@pytest.mark.parametrize("planted", ["fifo", "link", "folder", "huge-index"])
def test_what_is_planted_among_the_packs_is_never_waited_on_or_read(tmp_path: Path, planted: str,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository may commit its cache folder: a pipe, a link or a file claiming a 2 GB index
    in the packs folder is skipped without blocking or reading it."""
    reads: list[int] = []
    pread = os.pread

    def counted(fd: int, length: int, offset: int) -> bytes:
        reads.append(length)
        return pread(fd, length, offset)

    monkeypatch.setattr(cachepack.os, "pread", counted)
    cache = store(tmp_path)
    write(cache, range(cachepack.PACK_MIN))
    folder = cache.directory / KIND / PACKS
    name = folder / "00000000000000000000-1-planted.pack"
    if planted == "fifo":
        os.mkfifo(name)
    elif planted == "link":
        name.symlink_to(next(folder.iterdir()))
    elif planted == "folder":
        name.mkdir()
    else:
        with open(name, "wb") as handle:       # sparse: the trailer claims the whole file as index
            handle.write(b"HSP1")
            handle.truncate(1 << 31)
            handle.seek((1 << 31) - 48)
            handle.write((4).to_bytes(8, "little") + ((1 << 31) - 52).to_bytes(8, "little") + b"\0" * 32)
    fresh = store(tmp_path)
    assert fresh.get_payload(KIND, key(5)) == b"v5"
    assert max(reads) < 1 << 20, "a planted index was read before its seal was checked"


def test_only_the_newest_packs_are_kept(tmp_path: Path) -> None:
    cache = store(tmp_path)
    for run in range(MAX_PACKS + 2):
        write(cache, range(run * 100, run * 100 + cachepack.PACK_MIN))
    assert len(packs(cache)) == MAX_PACKS
    fresh = store(tmp_path)
    assert fresh.get_payload(KIND, key(0)) is None and fresh.get_payload(KIND, key(100)) is None
    assert fresh.get_payload(KIND, key(200)) == b"v200"
    assert fresh.get_payload(KIND, key((MAX_PACKS + 1) * 100)) == b"v%d" % ((MAX_PACKS + 1) * 100)


def test_a_dead_runs_temporary_pack_goes_when_it_is_old(tmp_path: Path) -> None:
    cache = store(tmp_path)
    write(cache, range(cachepack.PACK_MIN))
    folder = cache.directory / KIND / PACKS
    old, recent = folder / ".1-dead.pack.tmp", folder / ".2-running.pack.tmp"
    old.write_bytes(b"x")
    recent.write_bytes(b"x")
    hour_ago = time.time() - cachepack.STALE_TEMPORARY_S - 10
    os.utime(old, (hour_ago, hour_ago))
    write(cache, range(1000, 1000 + cachepack.PACK_MIN))
    assert not old.exists() and recent.exists()


def test_a_failed_run_leaves_no_pack(tmp_path: Path) -> None:
    cache = store(tmp_path)
    with pytest.raises(RuntimeError):
        with cache.batch(KIND) as batch:
            for i in range(cachepack.PACK_MIN + 5):
                batch.add(key(i), b"v")
            raise RuntimeError("interrupted")
    assert packs(cache) == [] and loose(cache) == []


def test_a_packs_folder_that_is_a_link_is_not_written_through(tmp_path: Path) -> None:
    cache = store(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (cache.directory / KIND).mkdir(parents=True)
    (cache.directory / KIND / PACKS).symlink_to(elsewhere)
    write(cache, range(cachepack.PACK_MIN))
    assert list(elsewhere.iterdir()) == []
    assert store(tmp_path).get_payload(KIND, key(3)) == b"v3", "written as files instead"


def test_a_cold_verify_writes_one_pack_and_a_warm_one_reads_it(synthetic_repo: Path, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent stores what the workers verified, in one pack; a later run without a snapshot
    takes every folder's result from it and verifies nothing again."""
    monkeypatch.setattr(dispatch, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(cachepack, "PACK_MIN", 4)
    monkeypatch.setattr(source_module, "RACY_NS", 0)
    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    cache = open_cache(repo)
    assert cache is not None
    cold = verify_path(repo, at=DEMO_AT, workers=2, cache=cache)
    assert len(packs(cache)) == 1 and loose(cache) == []
    for kind in ("snapshot", "latest"):
        shutil.rmtree(cache.directory / kind)

    def never(*args, **kwargs):
        raise AssertionError("a folder was verified again")

    monkeypatch.setattr(dispatch, "verify_sovereign", never)
    warm = verify_path(repo, at=DEMO_AT, workers=1, cache=open_cache(repo))
    assert warm.findings == cold.findings and warm.summary() == cold.summary()
    assert [dataclasses.asdict(s) for s in warm.sovereigns] == [dataclasses.asdict(s) for s in cold.sovereigns]


def test_a_dropped_cache_keeps_no_pack_open(tmp_path: Path) -> None:
    write(store(tmp_path), range(cachepack.PACK_MIN))
    opened = set(os.listdir("/proc/self/fd"))      # Linux, as CI is
    for _ in range(50):
        reader = store(tmp_path)
        assert reader.get_payload(KIND, key(1)) == b"v1"
        del reader
    gc.collect()
    assert len(set(os.listdir("/proc/self/fd")) - opened) <= 1


@pytest.mark.parametrize("line", [b"%s 4 999999\n", b"%s -5 10\n", b"%s 4 -1\n", b"%s 4\n", b"%s 4 10 7\n"],
                         ids=["past-the-entries", "negative-offset", "negative-length", "short-line", "long-line"])
def test_a_sealed_index_that_does_not_fit_its_pack_is_refused(tmp_path: Path, line: bytes) -> None:
    """Even this user's seal does not make an impossible index usable: the whole pack is a miss."""
    cache = store(tmp_path)
    folder = cache.directory / KIND / PACKS
    folder.mkdir(parents=True)
    entry = cache._sealed(KIND, key(1), b"one")
    index = (b"%s %d %d\n" % (key(1).encode(), 4, len(entry))) + line % key(2).encode()
    body = cachepack.PACK_MAGIC + entry
    seal = cache._index_seal(KIND)(index)
    (folder / "1-1-x.pack").write_bytes(body + index + cachepack._TRAILER.pack(len(body), len(index), seal))
    assert store(tmp_path).get_payload(KIND, key(1)) is None
    good = (b"%s %d %d\n" % (key(1).encode(), 4, len(entry)))
    (folder / "1-1-x.pack").write_bytes(body + good + cachepack._TRAILER.pack(len(body), len(good),
                                                                           cache._index_seal(KIND)(good)))
    assert store(tmp_path).get_payload(KIND, key(1)) == b"one", "the well-formed pack is read"


def test_a_runner_sent_to_a_spawned_worker_leaves_storing_to_the_parent(demo_copy: Path) -> None:
    """Where workers are spawned, not forked, the runner is pickled: its copy must not carry
    the parent's open batch, and must ship fresh results rather than store them."""
    import pickle

    from publisher.limits import Limits
    from publisher.source import WorktreeSource

    cache = open_cache(demo_copy)
    assert cache is not None
    runner = dispatch._Runner(WorktreeSource(demo_copy), Limits(), cache, datetime(2026, 1, 1, tzinfo=UTC))
    with runner.keeping():
        assert runner.batch is not None
        copy = pickle.loads(pickle.dumps(runner))
        copy.keep(key(1), b"result", None, b"brief")
        runner.keep(key(2), b"result", None, b"brief")
    assert copy.batch is None
    assert not cache.has(KIND, key(1)), "the copy stored a result instead of shipping it"
    assert cache.has(KIND, key(2)), "the parent's result was not stored"


def test_a_pack_that_cannot_be_written_leaves_the_rest_as_files(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails mid-pack (a full disk) drops the pack; later entries are still kept."""
    cache = store(tmp_path)
    fail = PackWriter.add

    def failing(self: PackWriter, name: str, sealed: bytes) -> None:
        if name == key(cachepack.PACK_MIN + 2):
            raise OSError(28, "No space left on device")
        fail(self, name, sealed)

    monkeypatch.setattr(PackWriter, "add", failing)
    write(cache, range(cachepack.PACK_MIN + 10))
    assert packs(cache) == []
    fresh = store(tmp_path)
    assert fresh.get_payload(KIND, key(cachepack.PACK_MIN + 5)) == b"v%d" % (cachepack.PACK_MIN + 5)
    assert fresh.get_payload(KIND, key(0)) is None, "what the dropped pack held is a miss"


def test_files_named_to_sort_newest_do_not_push_out_the_real_packs(tmp_path: Path) -> None:
    """Packs are kept newest first by name, but only sealed ones count: junk a repository
    commits under names that sort last is removed, and this run's pack stays."""
    cache = store(tmp_path)
    folder = cache.directory / KIND / PACKS
    folder.mkdir(parents=True)
    for i in range(MAX_PACKS + 1):
        (folder / f"99999999999999999999-{i}-junk.pack").write_bytes(b"HSP1" + b"\0" * 100)
    write(cache, range(cachepack.PACK_MIN))
    assert [p.name for p in packs(cache)] != [] and all("junk" not in p.name for p in packs(cache))
    assert store(tmp_path).get_payload(KIND, key(7)) == b"v7"


def test_a_lookup_opens_a_bounded_number_of_packs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = store(tmp_path)
    write(cache, range(cachepack.PACK_MIN))
    folder = cache.directory / KIND / PACKS
    for i in range(cachepack.MAX_OPENED * 3):
        (folder / f"00000000000000000001-{i:04d}-junk.pack").write_bytes(b"HSP1" + b"\0" * 100)
    opened: list[str] = []
    real_open = cachepack.os.open

    def counting(path: str, flags: int, *args: int) -> int:
        if str(path).endswith(".pack"):
            opened.append(str(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(cachepack.os, "open", counting)
    assert store(tmp_path).get_payload(KIND, key(7)) == b"v7", "the newest pack is among those opened"
    assert len(opened) == cachepack.MAX_OPENED
