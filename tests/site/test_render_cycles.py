"""Rendering a page leaves no reference cycles behind: the page workers run with the cyclic
collector paused (publisher.site.units), so a cycle made per page would stay in memory until
the worker exits. `{% import "_macros.html" with context %}` made a dozen on every page."""
from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.site import units
from publisher.site.build import build_site
from publisher.source import WorktreeSource
from publisher.verify import verify_path
from tests.site.site_golden import DEMO_AT, REPO_ROOT, provenance


@pytest.fixture
def saved_garbage() -> Iterator[list[Any]]:
    """What the cyclic collector finds unreachable while the test runs, kept for inspection."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield gc.garbage
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def _cyclic_garbage_of_a_build(root: Path, garbage: list[Any], *, allow_errors: bool) -> Counter[str]:
    verification = verify_path(root, at=DEMO_AT, workers=1)

    def build() -> int:
        site = build_site(verification, WorktreeSource(root),
                          provenance(evaluated_at=DEMO_AT, allow_errors=allow_errors), workers=1)
        return sum(path.endswith(".html") for path in site.files)

    build()                 # what a process makes once (templates, per-root modules) is not per page
    garbage.clear()
    pages = build()
    assert pages >= 10
    gc.collect()
    return Counter(f"{type(o).__module__}.{type(o).__qualname__}" for o in garbage)


def test_rendering_the_demo_leaves_no_cycles(saved_garbage: list[Any]) -> None:
    found = _cyclic_garbage_of_a_build(REPO_ROOT, saved_garbage, allow_errors=False)
    jinja = {name: n for name, n in found.items() if name.startswith("jinja2.")}
    assert not jinja, jinja


def test_rendering_hostile_pages_leaves_no_cycles(hostile_repo: Path, saved_garbage: list[Any]) -> None:
    found = _cyclic_garbage_of_a_build(hostile_repo, saved_garbage, allow_errors=True)
    jinja = {name: n for name, n in found.items() if name.startswith("jinja2.")}
    assert not jinja, jinja


def test_a_page_worker_renders_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def build_units(*_args: object) -> units.UnitResult:
        seen.append(gc.isenabled())
        return units.UnitResult()

    class Forkable:
        def fork(self) -> Forkable:
            return self

    monkeypatch.setattr(units, "build_units", build_units)
    monkeypatch.setattr(units, "_FORKED", (None, {}, None, None, Forkable(), None, None))
    assert gc.isenabled()
    units._chunk(["a"])
    assert seen == [False] and gc.isenabled()
