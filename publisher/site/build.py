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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

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
from publisher.site.views_connectome import connectome_page_view
from publisher.site.views_sovereign import sovereign_view
from publisher.source import Source

if TYPE_CHECKING:
    from publisher.verify import Verification

ROOT_DOCUMENTS = ("coalition.json", "trust.lock")
MANIFEST = "manifest.json"


class BuildRefused(Exception):
    """The repository's verification has errors and the build was not told to allow them."""

    def __init__(self, errors: list[Finding]) -> None:
        super().__init__(f"verification reported {len(errors)} error(s); fix them or build with --allow-errors")
        self.errors = errors


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
    return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _endpoint(ctx: SiteContext, slug: str) -> str:
    base = ctx.provenance.base_url or (ctx.verification.coalition.site_url or "")
    base = base.rstrip("/") if is_safe_url(base) else ""
    return f"{base}/{paths.sovereign_dir(slug)}" if base else paths.sovereign_dir(slug)


def _data_files(ctx: SiteContext, source: Source) -> tuple[dict[str, bytes], dict[str, Any], dict[str, str]]:
    v = ctx.verification
    files: dict[str, bytes] = {}
    for path in ROOT_DOCUMENTS:
        if any(e.path == path and e.type == "file" for e in source.entries(path)):
            files[path] = source.read(path)
    for sovereign in v.sovereigns:
        slug = ctx.slugs[sovereign.id]
        for path in sovereign.files:
            files[paths.raw_path(slug, path)] = source.read(path)
        files[f"{paths.sovereign_dir(slug)}/connectome.json"] = json_bytes(
            connectome_view(export_sovereign_graph(v, sovereign.id)))
    export = export_recognition_graph(v)
    view = connectome_view(export)
    files["recognition-graph.json"] = json_bytes(export)
    files["connectome.json"] = json_bytes(view)
    files["roll-call.json"] = json_bytes(export_roll_call(v))
    hashes: dict[str, str] = {}
    for sovereign in v.sovereigns:
        if sovereign.genesis is None:
            continue
        slug = ctx.slugs[sovereign.id]
        endpoint = _endpoint(ctx, slug)
        surfaces = {**default_surfaces(sovereign, endpoint), "trust_bundle": _endpoint_file(ctx, paths.bundle_path(slug))}
        bundle = export_trust_bundle(v, sovereign.id, created_at=v.at, source_endpoint=endpoint, surfaces=surfaces)
        digest = bundle_hash(bundle)
        files[paths.bundle_path(slug)] = render_bundle(bundle)
        files[paths.bundle_path(slug)[: -len(".json")] + ".bundle-hash"] = (digest + "\n").encode("ascii")
        hashes[paths.bundle_path(slug)] = digest
    files["trust-bundles/index.json"] = json_bytes({
        "bundles": [{"sovereign_id": s.id, "path": paths.bundle_path(ctx.slugs[s.id]),
                     "bundle_hash": hashes[paths.bundle_path(ctx.slugs[s.id])]}
                    for s in v.sovereigns if paths.bundle_path(ctx.slugs[s.id]) in hashes]})
    return files, view, hashes


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


def _pages(ctx: SiteContext, view: dict[str, Any], digest: str, data: dict[str, bytes],
           schemas: list[str]) -> dict[str, bytes]:
    site = _site_info(ctx)
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
    emit("guide.html", docs_view(ctx, "guide.html", "How to read this site"))
    if not site["docs"]["external"]:
        emit("docs.html", docs_view(ctx, "docs/index.html", "Handshake documentation"))
    for sovereign in ctx.verification.sovereigns:
        emit("sovereign.html", sovereign_view(ctx, sovereign))
        for treaty in sovereign.treaties:
            model = treaty_view(ctx, treaty)
            slug = ctx.slugs[sovereign.id]
            path = paths.treaty_page(slug, ctx.treaty_slugs[(sovereign.id, treaty.treaty_id)])
            emit("treaty.html", {"page": page(path, f"Treaty {treaty.treaty_id}", "sovereigns"), "treaty": model,
                                 "sovereign": {"name": sovereign.display_name, "href": ctx.sovereign_href(sovereign.id)}})
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


def build_site(verification: "Verification", source: Source, provenance: Provenance,
               *, on_stage: Callable[[str], None] | None = None) -> Site:
    """Every file of the site, in memory (BuildRefused when verification has errors)."""
    if not verification.ok and not provenance.allow_errors:
        raise BuildRefused([f for f in verification.findings if f.severity.value == "error"])
    stage = on_stage or (lambda name: None)
    ctx = build_context(verification, provenance)
    stage("context")
    data, view, hashes = _data_files(ctx, source)
    stage("exports")
    digest = content_digest(data)
    schemas = schema_files()
    pages = _pages(ctx, view, digest, data, sorted(p.split("/", 1)[1] for p in schemas))
    stage("pages")
    files = {**data, **pages, "search-index.json": search_index(ctx), **static_files(), **schemas}
    manifest = {
        "manifest_version": 1, "generator": provenance.generator, "source_commit": provenance.source_commit,
        "evaluated_at": fmt_z(provenance.evaluated_at), "base_url": provenance.base_url,
        "allow_errors": provenance.allow_errors, "content_digest": digest, "bundle_hashes": hashes,
        "files": {path: sha256(files[path]) for path in sorted(files)},
    }
    files[MANIFEST] = json_bytes(manifest)
    return Site(files=dict(sorted(files.items())), pages=len(pages), manifest=manifest,
                notes=tuple(naming_notes(ctx)))
