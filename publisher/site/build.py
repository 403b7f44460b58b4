"""Build the static site: verification -> context -> exports -> pages -> manifest.

Pipeline (pure apart from reading the raw documents through the `Source` and the render cache):
  refuse a verification with errors (unless allow_errors) -> shared context (slugs, graph,
  indexes) -> each sovereign's pages, exports and raw documents, and the cluster pages, on
  forked workers (`units`), while this process writes the search index, static files and
  schemas -> the root documents and the RFC-006 / roll-call exports (after the workers, so
  their memory never adds to the workers'), while a forked child renders the coalition pages
  that do not depend on them -> content digest -> the index and connectome pages -> manifest.
Files go to a sink: in memory (`Site.files`) or straight into the staging directory that
`publisher.site.publish` swaps into place. With a cache, unchanged pages are not rendered again
(`render_cache`). The same verification, sources and provenance always give the same bytes,
whatever the cache held and however many workers ran. Every byte is scanned for private
material before a site is returned (PrivateMaterialRefused, whatever --allow-errors says).
"""
from __future__ import annotations

import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping, Sequence

from publisher import collector
from publisher.cache import Cache
from publisher.checks.redaction import PUBLISH_REFUSED
from publisher.checks.urls import is_safe_url
from publisher.exports.connectome import connectome_view, export_recognition_graph
from publisher.exports.roll_call import export_roll_call
from publisher.findings import Finding, finding
from publisher.resources import resource_dir
from publisher.site import incremental, paths, render_cache, units
from publisher.site.lean import ActiveItem, Models, ordered_items, spliced
from publisher.site.context import Provenance, SiteContext, build_context
from publisher.site.format import fmt_z
from publisher.site.render import static_files
from publisher.site.sink import DirectorySink, MemorySink, Sink, Writer, json_bytes, sha256
from publisher.site.pages import Pages
from publisher.site.scan import Scanned
from publisher.site.units import History, Task, UnitPool, UnitResult
from publisher.site.views_coalition import docs_view, index_view, roll_call_page_view
from publisher.site.views_changes import changes_feed_view, changes_page_view
from publisher.site.views_connectome import ClusterEdges, cluster_view, connectome_clusters, connectome_main_view
from publisher.source import Source

if TYPE_CHECKING:
    from publisher.history.changes import ChangeEntry
    from publisher.verify import Verification

ROOT_DOCUMENTS = incremental.ROOT_DOCUMENTS
# How many builds' worth of coalition-wide page entries the render cache keeps
# (Cache.keep_recent_runs). A page's entry is keyed by its inputs, and an edit changes nearly
# every coalition-wide page (counts, the connectome): 10 MB of new entries per edit at 10,000
# sovereigns, which were kept for good.
KEPT_PAGE_BUILDS = 8
MANIFEST = "manifest.json"


class BuildRefused(Exception):
    """The repository's verification has errors and the build was not told to allow them."""

    def __init__(self, errors: list[Finding]) -> None:
        super().__init__(f"verification reported {len(errors)} error(s); fix them or build with --allow-errors")
        self.errors = errors


class PrivateMaterialRefused(BuildRefused):
    """The built site would publish a private key, a secret or admin material (RFC-003): never
    published, whatever --allow-errors says."""

    def __init__(self, leaks: list[Finding]) -> None:
        Exception.__init__(self, f"the site would publish private key material or secrets in "
                                 f"{len({f.path for f in leaks})} file(s); remove them from the repository "
                                 "(and rotate any exposed key): --allow-errors never publishes them")
        self.errors = leaks


@dataclass(frozen=True)
class Site:
    files: dict[str, bytes]
    pages: int
    manifest: dict[str, Any] | None     # None: the previous site was kept, its manifest not parsed again
    file_count: int                     # files of the site, manifest.json included
    notes: tuple[Finding, ...] = ()
    rendered: int = 0           # sovereign units rendered; the others came from the render cache


def naming_notes(ctx: SiteContext) -> list[Finding]:
    """An info finding for every sovereign or treaty whose page name is a hash, not its id."""
    notes = [finding(f"sovereigns/{sid}", "", "site.page_name_hashed", f"pages under sovereigns/{slug}/")
             for sid, slug in sorted(ctx.slugs.items()) if slug != sid]
    notes += [finding(ctx.by_key[key].path, "/treaty_id", "site.page_name_hashed", f"page {slug}.html")
              for key, slug in sorted(ctx.treaty_slugs.items()) if slug != key[1]]
    return notes


def _data_files(ctx: SiteContext, source: Source, sink: Scanned, models: Models | None,
                active: list[ActiveItem]) -> dict[str, Any]:
    """The root documents (a sovereign's raw documents are part of its unit) and the
    coalition-wide exports (written to `sink`); returns the connectome view the connectome
    page is drawn from (its summary and blast radius). With slim models, the active treaties'
    documents come as JSON texts from the page workers (`active`)."""
    v = ctx.verification
    for path in ROOT_DOCUMENTS:
        if any(e.path == path and e.type == "file" for e in source.entries(path)):
            sink.put(path, source.read(path))
    sink.put("roll-call.json", json_bytes(export_roll_call(v)))
    export = export_recognition_graph(v, edges=ctx.edges)
    if models is None:
        sink.put("recognition-graph.json", json_bytes(export))
        view = connectome_view(export)
        sink.put("connectome.json", json_bytes(view))
    else:       # slim models: the active treaties' documents come back as JSON texts
        export["active_treaties"] = []
        items = ordered_items(active)
        memo: dict[bytes, list[Finding]] = {}
        view = connectome_view(export)
        for path, value in (("recognition-graph.json", export), ("connectome.json", view)):
            sink.put_export(path, spliced(value, items), json_bytes(value), items, memo)
    return {key: view[key] for key in ("summary", "revocation_blast_radius")}


def _bundle_index(ctx: SiteContext, hashes: dict[str, str]) -> bytes:
    index = {"bundles": [{"sovereign_id": s.id, "path": paths.bundle_path(ctx.slugs[s.id]),
                          "bundle_hash": hashes[paths.bundle_path(ctx.slugs[s.id])]}
                         for s in ctx.verification.sovereigns if paths.bundle_path(ctx.slugs[s.id]) in hashes]}
    return json_bytes(index)


def content_digest(digests: Mapping[str, str]) -> str:
    """sha256 over the sorted (path, sha256) list of the published documents and exports."""
    listing = dict(sorted(digests.items()))
    return sha256(json.dumps(listing, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def _site_info(ctx: SiteContext) -> dict[str, Any]:
    """What every page's chrome shows; the commit as a marker (`render_cache.finish`)."""
    coalition = ctx.verification.coalition
    docs_external = coalition.docs_url is not None and is_safe_url(coalition.docs_url)
    prov = ctx.provenance
    return {"name": coalition.name, "generator": prov.generator, "evaluated_at": fmt_z(prov.evaluated_at),
            "commit": render_cache.SHORT,
            "docs": {"href": coalition.docs_url if docs_external else "docs/index.html", "external": docs_external},
            "errors_shown": prov.allow_errors and not ctx.verification.ok}


def _pages(ctx: SiteContext, out: Pages, view: dict[str, Any], digest: str, root_documents: list[str],
           schemas: list[str], clusters: ClusterEdges) -> None:
    """The coalition-wide pages drawn from the exports (after the per-sovereign files: the index
    shows the content digest, the connectome page the export's summary)."""
    out.emit("index.html", index_view(ctx, digest) | {"root_documents": root_documents, "schemas": schemas})
    out.emit("connectome.html", connectome_main_view(ctx, view, clusters))


def _other_pages(ctx: SiteContext, out: Pages, changes: Sequence[ChangeEntry] | None) -> None:
    """The coalition-wide pages that do not depend on the exports (the cluster pages are on the
    page workers, `_cluster_pages`)."""
    out.emit("roll-call.html", roll_call_page_view(ctx))
    out.emit("changes.html", changes_page_view(ctx, changes))
    out.emit("changes.atom", changes_feed_view(ctx, changes, ctx.provenance.base_url), path="changes.atom")
    out.emit("guide.html", docs_view(ctx, "guide.html", "How to read this site"))
    if not out.site["docs"]["external"]:
        out.emit("docs.html", docs_view(ctx, "docs/index.html", "Handshake documentation"))


_ASIDE: list[Any] = []     # what the forked child of `_OtherPages` inherits


def _other_pages_in_child() -> tuple[Sink, list[Finding], int]:
    ctx, site, cache, sink, changes = _ASIDE[0]
    own = sink.fork()
    out = Pages(ctx, site, cache, own)
    _other_pages(ctx, out, changes)
    return own, out.leaks, out.count


class _OtherPages:
    """`_other_pages` on a forked child while this process writes the coalition exports (both
    are single-core work once the page workers are done: in a profile at 10,000 sovereigns,
    about 4 s of pages beside 8 s of exports), or here, later, for a small coalition or one core."""

    def __init__(self, ctx: SiteContext, site: dict[str, Any], cache: Cache | None, sink: Sink,
                 changes: Sequence[ChangeEntry] | None, workers: int) -> None:
        self._args = (ctx, site, cache, sink, changes)
        self._pool: ProcessPoolExecutor | None = None
        self._future: Any = None
        if workers > 1 and len(ctx.verification.sovereigns) >= units.PARALLEL_THRESHOLD \
                and "fork" in multiprocessing.get_all_start_methods():
            _ASIDE[:] = [self._args]
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            self._future = self._pool.submit(_other_pages_in_child)

    def finish(self, out: Pages) -> None:
        """The pages written (here, or merged from the child into the sink), counted in `out`."""
        ctx, _site, _cache, sink, changes = self._args
        if self._pool is None:
            _other_pages(ctx, out, changes)
            return
        try:
            own, leaks, count = self._future.result()
        finally:
            self.close()
        sink.merge(own)
        out.leaks.extend(leaks)
        out.count += count

    def close(self) -> None:
        """Let the child go (the build failed before `finish`, or it is done)."""
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None
        _ASIDE.clear()


def _cluster_pages(ctx: SiteContext, site: dict[str, Any], cache: Cache | None, sink: Writer,
                   clusters: ClusterEdges) -> UnitResult:
    """A share of the cluster pages: a task of the page workers (`UnitPool`)."""
    out = Pages(ctx, site, cache, sink)
    for cluster, edges in clusters:
        out.emit("cluster.html", cluster_view(ctx, cluster, edges))
    return UnitResult(leaks=out.leaks, pages=out.count)


def _cluster_tasks(clusters: ClusterEdges, workers: int) -> list[Task]:
    share = max(1, -(-len(clusters) // max(1, 8 * workers)))
    return [(_cluster_pages, (clusters[i:i + share],)) for i in range(0, len(clusters), share)]


def search_index(ctx: SiteContext) -> bytes:
    entries = []
    for sovereign in ctx.verification.sovereigns:
        entries.append({"k": "sovereign", "id": sovereign.id, "name": sovereign.display_name,
                        "url": ctx.sovereign_href(sovereign.id)})
        for treaty in sovereign.treaties:
            entries.append({"k": "treaty", "id": treaty.treaty_id, "name": f"{treaty.issuer} → {treaty.subject}",
                            "url": ctx.treaty_href(treaty.issuer, treaty.treaty_id)})
    return json_bytes({"entries": entries})


def schema_files() -> dict[str, bytes]:
    root = resource_dir("schemas")
    return {f"schemas/{p.name}": p.read_bytes() for p in sorted(root.glob("*.json"))}


def build_site(verification: Verification, source: Source, provenance: Provenance,
               *, workers: int = 1, on_stage: Callable[[str], None] | None = None,
               changes: Sequence[ChangeEntry] | None = None, cache: Cache | None = None,
               sink: Sink | None = None, models: Models | None = None, inputs: str | None = None,
               changes_key: str | None = None) -> Site:
    """Every file of the site (BuildRefused when verification has errors), in `sink`: in memory
    by default (`Site.files`), or written into a staging directory (`DirectorySink`).

    `changes` is the repository's change channel read from git at the source commit (newest
    first), or None when there is no history: the change pages then say so. With a `cache`
    (publisher.cache), pages whose inputs did not change are not rendered again. With `models`,
    `verification` is slim (`publisher.site.lean`): full models are read back from `models`
    one sovereign at a time, and `inputs` (`incremental.inputs_digest`) stands for them and
    the published files in the no-change key; `changes_key`, where the caller has one, stands
    for `changes` there (`cmd_build.change_channel`: the commit id and the code version)."""
    if not verification.ok and not provenance.allow_errors:
        raise BuildRefused([f for f in verification.findings if f.severity.value == "error"])
    stage = on_stage or (lambda name: None)
    sink = sink if sink is not None else MemorySink()
    key = None
    keyed = cache is not None and isinstance(sink, DirectorySink) and (models is None or inputs is not None)
    if keyed and isinstance(sink, DirectorySink) and sink.previous is not None:
        key = incremental.site_key(verification, source, provenance, changes, inputs, changes_key)
        found = incremental.kept(sink.previous, cache, key)
        if found is not None:
            sink.keep_all()
            return Site(files={}, pages=found[0], manifest=None, file_count=sink.previous.listed(),
                        notes=tuple(found[1]), rendered=0)
    # The page entries this build uses are those modified since `started`. A file's time comes
    # from the kernel's coarse clock, which may lag this one by a tick: a second earlier only
    # counts a previous build's last entries too, and keeps a few more.
    started = time.time_ns() - 1_000_000_000
    # This process builds long-lived, acyclic values (the context, the exports, their views)
    # with the cyclic collector paused (publisher.collector: 1-2 s of a full-scale build's
    # single-core head and tail); so do the page workers (publisher.site.units._chunk).
    with collector.paused():
        ctx = build_context(verification, provenance)
        site = _site_info(ctx)
        history: History = None
        if changes is not None:
            from publisher.history.changes import by_sovereign
            history = by_sovereign(changes)
        stage("context")
        clusters = connectome_clusters(ctx)
    units = UnitPool(ctx, site, history, cache, sink, workers, models, source,  # forks before the main work
                     _cluster_tasks(clusters, workers))
    if keyed and key is None:    # with no site in place, the key is only needed at the end: taken while the workers run
        key = incremental.site_key(verification, source, provenance, changes, inputs, changes_key)
    scanned = Scanned(sink, cache)
    schemas = schema_files()
    for path, data in {"search-index.json": search_index(ctx), **static_files(), **schemas}.items():
        scanned.put(path, data)
    result = units.collect()
    with collector.paused():
        others = _OtherPages(ctx, site, cache, sink, changes, workers)
        try:
            # The coalition-wide exports once the page workers are gone: built while they ran, their
            # half a gigabyte at 10,000 sovereigns sat beside every worker's copy (the build's peak).
            view = _data_files(ctx, source, scanned, models, result.active)
            root_documents = [p for p in ROOT_DOCUMENTS if p in sink.digests]
            scanned.put("trust-bundles/index.json", _bundle_index(ctx, result.hashes))
            stage("sovereigns")
            digest = content_digest({p: d for p, d in sink.digests.items() if p not in schemas and not p.startswith(
                "static/") and p != "search-index.json" and not p.endswith((".html", ".atom"))})
            out = Pages(ctx, site, cache, sink)
            _pages(ctx, out, view, digest, root_documents, sorted(p.split("/", 1)[1] for p in schemas), clusters)
            others.finish(out)
            stage("pages")
        finally:
            others.close()
    # The redaction scan over every byte about to be published, and what verification found
    # (a seed pasted into a .pub file is only recognisable with the sovereign's keys).
    leaks = [f for f in verification.findings if f.code in PUBLISH_REFUSED] + scanned.leaks + result.leaks + out.leaks
    if leaks:
        raise PrivateMaterialRefused(sorted(set(leaks), key=lambda f: (f.path, f.pointer, f.code, f.message)))
    hashes = {p: result.hashes[p] for p in sorted(result.hashes)}
    manifest = {
        "manifest_version": 1, "generator": provenance.generator, "source_commit": provenance.source_commit,
        "evaluated_at": fmt_z(provenance.evaluated_at), "base_url": provenance.base_url,
        "allow_errors": provenance.allow_errors, "history": changes is not None,
        "content_digest": digest, "bundle_hashes": hashes,
        "files": dict(sorted(sink.digests.items())),
    }
    manifest_bytes = json_bytes(manifest)
    sink.put(MANIFEST, manifest_bytes)
    pages = out.count + result.pages + sum(1 for p in sink.digests
                                           if p.startswith("sovereigns/") and p.endswith(".html"))
    notes = tuple(naming_notes(ctx))
    incremental.remember(cache, key, sha256(manifest_bytes), pages, notes)
    if cache is not None:
        cache.keep_recent_runs(render_cache.PAGE_KIND, started, KEPT_PAGE_BUILDS)
    return Site(files=dict(sorted(sink.files.items())), pages=pages, manifest=manifest,
                file_count=len(sink.digests), notes=notes, rendered=result.rendered)
