"""One sovereign's part of the site, rendered or taken from the render cache, on any process.

Stage: per-sovereign output of `publisher.site.build`. A unit is the sovereign's page, the
page of each treaty it issued, its connectome view (RFC-006) and its trust bundle (RFC-003)
with the bundle hash. `unit_inputs` computes every view model and export value (cheap, pure);
their digest (`render_cache.digest`) keys the rendered files, so a unit whose inputs did not
change is never rendered again. The redaction scan of the unit's files runs here too (on
every core) and is remembered with them. Files go to the `sink` with the commit markers
replaced; `UnitResult` carries what the coalition-wide stage needs back (bundle hashes,
findings that forbid publishing).
"""
from __future__ import annotations

import gc
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping, Sequence

from publisher import collector
from publisher.cache import Cache
from publisher.checks.redaction import scan_site
from publisher.checks.urls import is_safe_url
from publisher.exports.bundle import bundle_hash, default_surfaces, export_trust_bundle, render_bundle
from publisher.exports.connectome import connectome_view, export_sovereign_graph
from publisher.findings import Finding
from publisher.model import Sovereign
from publisher.site import paths, render_cache
from publisher.site.context import SiteContext
from publisher.site.lean import ActiveItem, Models, active_items
from publisher.site.render import render
from publisher.site.scan import scan_files
from publisher.site.sink import Sink, json_bytes
from publisher.site.views import ask_trust_paths, page, treaty_view
from publisher.site.views_changes import sovereign_history
from publisher.site.views_sovereign import sovereign_view
from publisher.source import Source, for_worker

if TYPE_CHECKING:
    from publisher.history.changes import ChangeEntry

History = Mapping[str, Sequence["ChangeEntry"]] | None   # change entries per sovereign; None: no git history
PARALLEL_THRESHOLD = 200     # sovereigns; below this forking costs more than it saves
CHUNKS_PER_WORKER = 24       # small chunks keep both cores busy to the end


@dataclass
class UnitResult:
    hashes: dict[str, str] = field(default_factory=dict)       # bundle path -> bundle hash
    leaks: list[Finding] = field(default_factory=list)        # redaction findings that refuse publishing
    rendered: int = 0                                          # units rendered (the others came from the cache)
    pages: int = 0                                             # coalition-wide pages written by tasks
    # With slim models: each active treaty's order key and JSON text, for the coalition-wide
    # exports (`lean.active_items`), taken from the full models the units load anyway.
    active: list[ActiveItem] = field(default_factory=list)

    def add(self, other: UnitResult) -> None:
        self.hashes.update(other.hashes)
        self.leaks.extend(other.leaks)
        self.rendered += other.rendered
        self.pages += other.pages
        self.active.extend(other.active)


# A piece of coalition-wide work the page workers take besides the units (the cluster pages):
# a module-level function called as fn(ctx, site, cache, sink, *args).
Task = tuple[Callable[..., UnitResult], tuple[Any, ...]]


def endpoint_file(ctx: SiteContext, path: str) -> str:
    base = ctx.provenance.base_url or (ctx.verification.coalition.site_url or "")
    base = base.rstrip("/") if is_safe_url(base) else ""
    return f"{base}/{path}" if base else path


def unit_inputs(ctx: SiteContext, site: dict[str, Any], sovereign: Sovereign, history: History) -> dict[str, Any]:
    """Everything the unit's files are rendered from: view models and export values."""
    v = ctx.verification
    slug = ctx.slugs[sovereign.id]
    model = sovereign_view(ctx, sovereign)
    model["history"] = sovereign_history(ctx, history, sovereign.id, model["page"]["root"])
    owner = {"name": sovereign.display_name, "href": ctx.sovereign_href(sovereign.id)}
    treaties = []
    for treaty in sovereign.treaties:
        path = paths.treaty_page(slug, ctx.treaty_slugs[(sovereign.id, treaty.treaty_id)])
        treaties.append({"page": page(path, f"Treaty {treaty.treaty_id}", "sovereigns"),
                         "treaty": treaty_view(ctx, treaty), "sovereign": owner})
    view = connectome_view(export_sovereign_graph(v, sovereign.id, sovereign=sovereign))
    bundle = None
    if sovereign.genesis is not None:
        endpoint = endpoint_file(ctx, paths.sovereign_dir(slug))
        surfaces = {**default_surfaces(sovereign, endpoint),
                    "trust_bundle": endpoint_file(ctx, paths.bundle_path(slug))}
        bundle = export_trust_bundle(v, sovereign.id, created_at=v.at, source_endpoint=endpoint, surfaces=surfaces,
                                     view=view, sovereign=sovereign)
    return {"slug": slug, "site": site, "sovereign": model, "treaties": treaties, "bundle": bundle,
            "connectome": view}


def render_unit(inputs: dict[str, Any]) -> dict[str, bytes]:
    """The unit's files, commit markers still in place."""
    site, slug = inputs["site"], inputs["slug"]
    files = {f"{paths.sovereign_dir(slug)}/connectome.json": json_bytes(inputs["connectome"])}
    if inputs["bundle"] is not None:
        files[paths.bundle_path(slug)] = render_bundle(inputs["bundle"])
        files[paths.bundle_hash_path(slug)] = (bundle_hash(inputs["bundle"]) + "\n").encode("ascii")
    model = inputs["sovereign"]
    files[model["page"]["path"]] = render("sovereign.html", {"site": site, **model})
    for treaty in inputs["treaties"]:
        files[treaty["page"]["path"]] = render("treaty.html", {"site": site, **treaty})
    return files


def build_unit(ctx: SiteContext, site: dict[str, Any], sovereign: Sovereign, history: History,
               cache: Cache | None, sink: Sink, source: Source | None = None) -> UnitResult:
    """The unit's files and, with `source`, the sovereign's raw documents (read and scanned here,
    on the worker, and never remembered: they are published as they are)."""
    inputs = unit_inputs(ctx, site, sovereign, history)
    key = render_cache.digest(inputs)
    entry = render_cache.load(cache, render_cache.UNIT_KIND, key)
    result = UnitResult()
    if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], dict)):
        files = render_unit(inputs)
        entry = (files, scan_site(files))
        render_cache.store(cache, render_cache.UNIT_KIND, key, entry)
        result.rendered = 1
    files, result.leaks = entry[0], list(entry[1])
    commit, short = render_cache.commit_texts(ctx.provenance.source_commit)
    for path, data in files.items():
        sink.put(path, render_cache.finish(data, commit, short))
    slug = inputs["slug"]
    if paths.bundle_hash_path(slug) in files:
        result.hashes[paths.bundle_path(slug)] = files[paths.bundle_hash_path(slug)].decode("ascii").strip()
    if source is not None:
        for path in sovereign.files:
            target, data = paths.raw_path(slug, path), source.read(path)
            result.leaks.extend(scan_files({target: data}, cache))
            sink.put(target, data)
    return result


def build_units(ctx: SiteContext, site: dict[str, Any], ids: Sequence[str], history: History,
                cache: Cache | None, sink: Sink, models: Models | None = None,
                source: Source | None = None) -> UnitResult:
    """The units of `ids`; with `models` (a slim verification, `publisher.site.lean`), each
    sovereign's full model is read back for its own unit (and its active treaties' texts for
    the coalition-wide exports) and dropped after it."""
    total = UnitResult()
    ask_trust_paths(ctx, ids)
    for sovereign_id in ids:
        sovereign = models.load(sovereign_id) if models is not None else ctx.sovereigns[sovereign_id]
        total.add(build_unit(ctx, site, sovereign, history, cache, sink, source))
        if models is not None:
            total.active.extend(active_items(sovereign, ctx.verification.at))
    return total


_FORKED: tuple[Any, ...] | None = None     # the parent's state, inherited by fork


# A worker renders with the cyclic collector paused (publisher.collector): its pages leave no
# reference cycles behind (21-42 objects in a whole full-scale build, measured), while the
# collections cost 2.4-3.9 s of each worker's CPU, most of it full ones rescanning what the
# worker keeps (its memoised trust paths) each time a quarter more has survived.
def _chunk(ids: list[str]) -> tuple[UnitResult, Sink]:
    assert _FORKED is not None
    ctx, site, history, cache, sink, models, source = _FORKED
    own = sink.fork()
    with collector.paused(reclaim=False):    # what the worker inherited is frozen, and live
        return build_units(ctx, site, ids, history, cache, own, models, source and for_worker(source)), own


def _task(task: Task) -> tuple[UnitResult, Sink]:
    assert _FORKED is not None
    ctx, site, _history, cache, sink, _models, _source = _FORKED
    own = sink.fork()
    fn, args = task
    with collector.paused(reclaim=False):    # what the worker inherited is frozen, and live
        return fn(ctx, site, cache, own, *args), own


class UnitPool:
    """Every sovereign's unit (with its raw documents, given a `source`) and the `tasks` on
    `workers` forked processes (or here, for small coalitions or one worker). Start it, do
    other work, then `collect()`: results are merged by path and sovereign id, so the output
    never depends on scheduling."""

    def __init__(self, ctx: SiteContext, site: dict[str, Any], history: History, cache: Cache | None,
                 sink: Sink, workers: int, models: Models | None = None, source: Source | None = None,
                 tasks: Sequence[Task] = ()) -> None:
        global _FORKED
        self._args = (ctx, site, history, cache, sink, models, source)
        self._ids = [s.id for s in ctx.verification.sovereigns]
        self._tasks = list(tasks)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Any] = []
        if workers > 1 and len(self._ids) >= PARALLEL_THRESHOLD and "fork" in multiprocessing.get_all_start_methods():
            size = max(1, len(self._ids) // (workers * CHUNKS_PER_WORKER))
            _FORKED = self._args
            # What the workers inherit is frozen out of the cyclic collector: a collection in a
            # worker would otherwise write to every inherited object and copy its memory page.
            gc.freeze()
            self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork"))
            # The tasks first: what is left at the end is one small chunk of units.
            self._futures = [self._pool.submit(_task, task) for task in self._tasks]
            self._futures += [self._pool.submit(_chunk, self._ids[i:i + size]) for i in range(0, len(self._ids), size)]

    def collect(self) -> UnitResult:
        global _FORKED
        ctx, site, history, cache, sink, models, source = self._args
        if self._pool is None:
            total = build_units(ctx, site, self._ids, history, cache, sink, models, source)
            for fn, args in self._tasks:
                total.add(fn(ctx, site, cache, sink, *args))
            return total
        total = UnitResult()
        try:
            for future in self._futures:
                part, own = future.result()
                sink.merge(own)
                total.add(part)
        finally:
            self._pool.shutdown(cancel_futures=True)
            _FORKED = None
        return total
