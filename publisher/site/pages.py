"""Coalition-wide pages (index, roll call, connectome, clusters, changes, guide), each rendered or
taken from the render cache by the digest of its model, and scanned before it is published.
Used by the builder and, for the cluster pages of a large coalition, by the page workers.
"""
from __future__ import annotations

from typing import Any

from publisher.cache import Cache
from publisher.checks.redaction import scan_site
from publisher.findings import Finding
from publisher.site import render_cache
from publisher.site.context import SiteContext
from publisher.site.render import render
from publisher.site.sink import Writer


class Pages:
    def __init__(self, ctx: SiteContext, site: dict[str, Any], cache: Cache | None, sink: Writer) -> None:
        self.site, self.cache, self.sink = site, cache, sink
        self.commit = render_cache.commit_texts(ctx.provenance.source_commit)
        self.leaks: list[Finding] = []
        self.count = 0

    def emit(self, template: str, model: dict[str, Any], path: str | None = None) -> None:
        context = model if path is not None else {"site": self.site, **model}
        path = path or model["page"]["path"]
        key = render_cache.digest(template, context)
        entry = render_cache.load(self.cache, render_cache.PAGE_KIND, key)
        if not (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], bytes)):
            data = render(template, context)
            entry = (data, scan_site({path: data}))
            render_cache.store(self.cache, render_cache.PAGE_KIND, key, entry)
        elif self.cache is not None:
            self.cache.touch(render_cache.PAGE_KIND, key)     # still current: kept (build_site's eviction)
        self.leaks.extend(entry[1])
        self.sink.put(path, render_cache.finish(entry[0], *self.commit))
        self.count += path.endswith(".html")
