"""Build the static site in memory: verification -> context -> exports -> pages -> manifest.

Pipeline (pure apart from reading the raw documents through the `Source`):
  refuse a verification with errors (unless allow_errors) -> shared context (slugs, graph,
  indexes) -> raw documents under their repository paths -> RFC-006 / RFC-003 / roll-call
  exports -> content digest -> HTML pages (coalition, roll call, connectome, sovereigns,
  treaties, clusters, docs) -> search index -> vendored static files and schemas -> manifest.
Returns `{site path: bytes}`; writing it to disk atomically is `publisher.site.publish`.
The same verification, sources and provenance always give the same bytes.
"""
from __future__ import annotations

import hashlib
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping, Sequence

from publisher.checks.redaction import PUBLISH_REFUSED, scan_site
from publisher.checks.urls import is_safe_url
from publisher.exports.bundle import bundle_hash, default_surfaces, export_trust_bundle, render_bundle
from publisher.exports.connectome import connectome_view, export_recognition_graph, export_sovereign_graph
from publisher.exports.roll_call import export_roll_call
from publisher.findings import Finding, finding
from publisher.resources import resource_dir
from publisher.site import paths
from publisher.site.context import Provenance, SiteContext, build_context
from publisher.site.format import fmt_z
from publisher.site.render import render, static_files
from publisher.site.views import page, treaty_view
from publisher.site.views_coalition import docs_view, index_view, roll_call_page_view
from publisher.site.views_changes import changes_feed_view, changes_page_view, sovereign_history
from publisher.site.views_connectome import connectome_page_view
from publisher.site.views_sovereign import sovereign_view
from publisher.model import Sovereign
from publisher.source import Source

if TYPE_CHECKING:
    from publisher.history.changes import ChangeEntry
    from publisher.verify import Verification

History = Mapping[str, Sequence["ChangeEntry"]] | None   # change entries per sovereign; None: no git history

ROOT_DOCUMENTS = ("coalition.json", "trust.lock")
PARALLEL_THRESHOLD = 200     # sovereigns; below this forking costs more than it saves
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
    manifest: dict[str, Any]
    notes: tuple[Finding, ...] = ()


def naming_notes(ctx: SiteContext) -> list[Finding]:
    """An info finding for every sovereign or treaty whose page name is a hash, not its id."""
    notes = [finding(f"sovereigns/{sid}", "", "site.page_name_hashed", f"pages under sovereigns/{slug}/")
             for sid, slug in sorted(ctx.slugs.items()) if slug != sid]
    notes += [finding(ctx.by_key[key].path, "/treaty_id", "site.page_name_hashed", f"page {slug}.html")
              for key, slug in sorted(ctx.treaty_slugs.items()) if slug != key[1]]
    return notes


def json_bytes(value: Any) -> bytes:
    """Exports as compact sorted JSON (the C encoder: indentation would be ten times slower at
    10,000 sovereigns); trust bundles keep the reference CLI's indented form."""
    return (json.dumps(value, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _endpoint(ctx: SiteContext, slug: str) -> str:
    base = ctx.provenance.base_url or (ctx.verification.coalition.site_url or "")
    base = base.rstrip("/") if is_safe_url(base) else ""
    return f"{base}/{paths.sovereign_dir(slug)}" if base else paths.sovereign_dir(slug)


def _data_files(ctx: SiteContext, source: Source) -> tuple[dict[str, bytes], dict[str, Any]]:
    """Raw documents under their repository paths, and the coalition-wide exports."""
    v = ctx.verification
    files: dict[str, bytes] = {}
    for path in ROOT_DOCUMENTS:
        if any(e.path == path and e.type == "file" for e in source.entries(path)):
            files[path] = source.read(path)
    for sovereign in v.sovereigns:
        slug = ctx.slugs[sovereign.id]
        for path in sovereign.files:
            files[paths.raw_path(slug, path)] = source.read(path)
    export = export_recognition_graph(v)
    view = connectome_view(export)
    files["recognition-graph.json"] = json_bytes(export)
    files["connectome.json"] = json_bytes(view)
    files["roll-call.json"] = json_bytes(export_roll_call(v))
    return files, view


def _sovereign_exports(ctx: SiteContext, sovereign: Sovereign) -> dict[str, bytes]:
    """The sovereign's own connectome view (its NA's /connectome.json) and trust bundle + hash."""
    v = ctx.verification
    slug = ctx.slugs[sovereign.id]
    files = {f"{paths.sovereign_dir(slug)}/connectome.json":
             json_bytes(connectome_view(export_sovereign_graph(v, sovereign.id)))}
    if sovereign.genesis is not None:
        endpoint = _endpoint(ctx, slug)
        surfaces = {**default_surfaces(sovereign, endpoint),
                    "trust_bundle": _endpoint_file(ctx, paths.bundle_path(slug))}
        bundle = export_trust_bundle(v, sovereign.id, created_at=v.at, source_endpoint=endpoint, surfaces=surfaces)
        files[paths.bundle_path(slug)] = render_bundle(bundle)
        files[paths.bundle_hash_path(slug)] = (bundle_hash(bundle) + "\n").encode("ascii")
    return files


def _bundle_index(ctx: SiteContext, files: dict[str, bytes]) -> tuple[bytes, dict[str, str]]:
    hashes = {paths.bundle_path(ctx.slugs[s.id]): files[paths.bundle_hash_path(ctx.slugs[s.id])].decode().strip()
              for s in ctx.verification.sovereigns if paths.bundle_path(ctx.slugs[s.id]) in files}
    index = {"bundles": [{"sovereign_id": s.id, "path": paths.bundle_path(ctx.slugs[s.id]),
                          "bundle_hash": hashes[paths.bundle_path(ctx.slugs[s.id])]}
                         for s in ctx.verification.sovereigns if paths.bundle_path(ctx.slugs[s.id]) in hashes]}
    return json_bytes(index), hashes


def _endpoint_file(ctx: SiteContext, path: str) -> str:
    base = ctx.provenance.base_url or (ctx.verification.coalition.site_url or "")
    base = base.rstrip("/") if is_safe_url(base) else ""
    return f"{base}/{path}" if base else path


def content_digest(files: dict[str, bytes]) -> str:
    """sha256 over the sorted (path, sha256) list of the published documents and exports."""
    listing = {path: sha256(data) for path, data in sorted(files.items())}
    return sha256(json.dumps(listing, sort_keys=True, separators=(",", ":")).encode("utf-8"))


def _site_info(ctx: SiteContext) -> dict[str, Any]:
    coalition = ctx.verification.coalition
    docs_external = coalition.docs_url is not None and is_safe_url(coalition.docs_url)
    prov = ctx.provenance
    return {"name": coalition.name, "generator": prov.generator, "evaluated_at": fmt_z(prov.evaluated_at),
            "commit": (prov.source_commit or "working tree")[:12],
            "docs": {"href": coalition.docs_url if docs_external else "docs/index.html", "external": docs_external},
            "errors_shown": prov.allow_errors and not ctx.verification.ok}


def _sovereign_pages(ctx: SiteContext, site: dict[str, Any], sovereign_ids: list[str],
                     history: History) -> dict[str, bytes]:
    """The exports and pages of each sovereign and of each of its treaties."""
    pages: dict[str, bytes] = {}
    for sovereign_id in sovereign_ids:
        sovereign = ctx.sovereigns[sovereign_id]
        pages.update(_sovereign_exports(ctx, sovereign))
        model = sovereign_view(ctx, sovereign)
        model["history"] = sovereign_history(ctx, history, sovereign.id, model["page"]["root"])
        pages[model["page"]["path"]] = render("sovereign.html", {"site": site, **model})
        owner = {"name": sovereign.display_name, "href": ctx.sovereign_href(sovereign.id)}
        for treaty in sovereign.treaties:
            path = paths.treaty_page(ctx.slugs[sovereign.id], ctx.treaty_slugs[(sovereign.id, treaty.treaty_id)])
            pages[path] = render("treaty.html", {"site": site, "page": page(path, f"Treaty {treaty.treaty_id}",
                                                                             "sovereigns"),
                                                 "treaty": treaty_view(ctx, treaty), "sovereign": owner})
    return pages


_FORKED: tuple[SiteContext, dict[str, Any], History] | None = None     # the parent's state, inherited by fork


def _render_chunk(sovereign_ids: list[str]) -> dict[str, bytes]:
    assert _FORKED is not None
    return _sovereign_pages(_FORKED[0], _FORKED[1], sovereign_ids, _FORKED[2])


def _all_sovereign_pages(ctx: SiteContext, site: dict[str, Any], workers: int, history: History) -> dict[str, bytes]:
    """Per-sovereign pages, on `workers` forked processes for large coalitions (pages are
    independent; results are merged by path, so the output does not depend on scheduling)."""
    global _FORKED
    ids = [s.id for s in ctx.verification.sovereigns]
    if workers <= 1 or len(ids) < PARALLEL_THRESHOLD or "fork" not in multiprocessing.get_all_start_methods():
        return _sovereign_pages(ctx, site, ids, history)
    size = max(1, len(ids) // (workers * 4))
    chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
    _FORKED = (ctx, site, history)
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("fork")) as pool:
            pages: dict[str, bytes] = {}
            for result in pool.map(_render_chunk, chunks):
                pages.update(result)
            return pages
    finally:
        _FORKED = None


def _pages(ctx: SiteContext, site: dict[str, Any], view: dict[str, Any], digest: str,
           data: dict[str, bytes], schemas: list[str], changes: Sequence[ChangeEntry] | None) -> dict[str, bytes]:
    """The coalition-wide pages (after the per-sovereign files: they show the content digest)."""
    pages: dict[str, bytes] = {}

    def emit(template: str, model: dict[str, Any]) -> None:
        pages[model["page"]["path"]] = render(template, {"site": site, **model})

    emit("index.html", index_view(ctx, digest) | {
        "root_documents": [p for p in ROOT_DOCUMENTS if p in data], "schemas": schemas})
    emit("roll-call.html", roll_call_page_view(ctx))
    connectome, clusters = connectome_page_view(ctx, view)
    emit("connectome.html", connectome)
    for cluster in clusters:
        emit("cluster.html", cluster)
    emit("changes.html", changes_page_view(ctx, changes))
    pages["changes.atom"] = render("changes.atom", changes_feed_view(ctx, changes, ctx.provenance.base_url))
    emit("guide.html", docs_view(ctx, "guide.html", "How to read this site"))
    if not site["docs"]["external"]:
        emit("docs.html", docs_view(ctx, "docs/index.html", "Handshake documentation"))
    return pages


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
               changes: Sequence[ChangeEntry] | None = None) -> Site:
    """Every file of the site, in memory (BuildRefused when verification has errors).

    `changes` is the repository's change channel read from git at the source commit (newest
    first), or None when there is no history: the change pages then say so."""
    if not verification.ok and not provenance.allow_errors:
        raise BuildRefused([f for f in verification.findings if f.severity.value == "error"])
    stage = on_stage or (lambda name: None)
    ctx = build_context(verification, provenance)
    site = _site_info(ctx)
    stage("context")
    data, view = _data_files(ctx, source)
    history: History = None
    if changes is not None:
        from publisher.history.changes import by_sovereign
        history = by_sovereign(changes)
    per_sovereign = _all_sovereign_pages(ctx, site, workers, history)
    data.update((p, b) for p, b in per_sovereign.items() if not p.endswith(".html"))
    data["trust-bundles/index.json"], hashes = _bundle_index(ctx, data)
    stage("sovereigns")
    digest = content_digest(data)
    schemas = schema_files()
    pages = _pages(ctx, site, view, digest, data, sorted(p.split("/", 1)[1] for p in schemas), changes)
    pages.update((p, b) for p, b in per_sovereign.items() if p.endswith(".html"))
    stage("pages")
    files = {**data, **pages, "search-index.json": search_index(ctx), **static_files(), **schemas}
    # The redaction scan over every byte about to be published, and what verification found
    # (a seed pasted into a .pub file is only recognisable with the sovereign's keys).
    leaks = [f for f in verification.findings if f.code in PUBLISH_REFUSED] + scan_site(files)
    if leaks:
        raise PrivateMaterialRefused(leaks)
    manifest = {
        "manifest_version": 1, "generator": provenance.generator, "source_commit": provenance.source_commit,
        "evaluated_at": fmt_z(provenance.evaluated_at), "base_url": provenance.base_url,
        "allow_errors": provenance.allow_errors, "history": changes is not None,
        "content_digest": digest, "bundle_hashes": hashes,
        "files": {path: sha256(files[path]) for path in sorted(files)},
    }
    files[MANIFEST] = json_bytes(manifest)
    return Site(files=dict(sorted(files.items())), pages=sum(p.endswith(".html") for p in pages), manifest=manifest,
                notes=tuple(naming_notes(ctx)))
