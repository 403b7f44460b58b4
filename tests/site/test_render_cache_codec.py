"""The render cache's codec: zstd where the wheel is installed, zlib entries still readable,
and a zstd entry read without the wheel is a miss (the page is rendered again), never an error."""
from __future__ import annotations

import pickle
import zlib
from pathlib import Path

import pytest

from publisher.cache import Cache
from publisher.site import render_cache

VALUE = ({"sovereigns/a/index.html": b"<html>" + b"treaty " * 5000 + b"</html>"}, [])


@pytest.fixture()
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache", b"k" * 32)


def test_entries_are_zstd_frames_and_read_back(cache: Cache) -> None:
    render_cache.store(cache, render_cache.UNIT_KIND, "k1", VALUE)
    payload = cache.get_payload(render_cache.UNIT_KIND, "k1")
    assert payload is not None and payload.startswith(b"\x28\xb5\x2f\xfd")
    assert len(payload) < len(pickle.dumps(VALUE)) // 10
    assert render_cache.load(cache, render_cache.UNIT_KIND, "k1") == VALUE


def test_an_entry_written_with_zlib_is_still_read(cache: Cache) -> None:
    cache.put_payload(render_cache.UNIT_KIND, "old", zlib.compress(pickle.dumps(VALUE), 1))
    assert render_cache.load(cache, render_cache.UNIT_KIND, "old") == VALUE


def test_without_the_wheel_entries_are_zlib_and_zstd_ones_are_misses(cache: Cache,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    render_cache.store(cache, render_cache.UNIT_KIND, "zstd", VALUE)
    monkeypatch.setattr(render_cache, "zstandard", None)
    monkeypatch.setattr(render_cache, "_codecs", type(render_cache._codecs)())
    misses = cache.misses
    assert render_cache.load(cache, render_cache.UNIT_KIND, "zstd") is None
    assert cache.misses == misses + 1
    render_cache.store(cache, render_cache.UNIT_KIND, "zlib", VALUE)
    payload = cache.get_payload(render_cache.UNIT_KIND, "zlib")
    assert payload is not None and zlib.decompress(payload) == pickle.dumps(VALUE, pickle.HIGHEST_PROTOCOL)
    assert render_cache.load(cache, render_cache.UNIT_KIND, "zlib") == VALUE


def test_a_truncated_frame_is_a_miss(cache: Cache) -> None:
    data = render_cache.compress(pickle.dumps(VALUE))
    cache.put_payload(render_cache.UNIT_KIND, "cut", data[: len(data) // 2])
    assert render_cache.load(cache, render_cache.UNIT_KIND, "cut") is None
