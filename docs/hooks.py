"""mkdocs hooks: the reference pages are generated from the code at every build.

Stage: documentation build (`mkdocs build`), after mkdocs has read `docs/pages/`.
Contract: adds `reference/reason-codes.md` (from `publisher.codes.REGISTRY`),
`reference/cli.md` (from `publisher.cli.build_parser()`), and `reference/schemas/*.md` (from
the schemas the verifier loads) as in-memory pages, and fills `<!-- handshake:NAME -->`
markers in hand-written pages. A code without a title or explanation is a build warning, so
`mkdocs build --strict` fails on it.
Refuses: a checked-in file at a generated path (it could drift), and unknown markers.
"""
from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any
from collections.abc import Callable

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))   # document this checkout, not another installed copy

from docgen import cli as cli_page  # noqa: E402
from docgen import codes as codes_page  # noqa: E402
from docgen import layout as layout_page  # noqa: E402
from docgen import review as review_page  # noqa: E402
from docgen import schemas as schema_pages  # noqa: E402

log = logging.getLogger("mkdocs.hooks.handshake")

CODES_URI = "reference/reason-codes.md"
CLI_URI = "reference/cli.md"
SCHEMAS_INDEX_URI = "reference/schemas/index.md"
MARKER = re.compile(r"<!--\s*handshake:([a-z-]+)\s*-->")


def _check_checkout() -> None:
    import publisher

    origin = Path(publisher.__file__).resolve()
    if REPO_ROOT not in origin.parents:
        raise PluginError(f"publisher is imported from {origin}, not from this checkout {REPO_ROOT}")


def _schemas() -> dict[str, Any]:
    from publisher.schemas import load_schemas

    return dict(load_schemas())


def generated_pages() -> dict[str, str]:
    """Every generated page by its path in the docs: the build and the tests share this."""
    from publisher import cli
    from publisher.codes import REGISTRY

    schemas = _schemas()
    by_id = {str(s["$id"]).partition("#")[0]: name for name, s in schemas.items() if "$id" in s}
    where = layout_page.locations()
    exit_codes = {"ok": cli.EXIT_OK, "findings": cli.EXIT_FINDINGS, "misuse": cli.EXIT_MISUSE}
    review_levels = review_page.load_levels()
    levels = review_levels[1] if review_levels else None
    pages = {
        CODES_URI: codes_page.render_reason_codes(REGISTRY, codes_page.defining_modules(), levels),
        CLI_URI: cli_page.render_cli(cli.build_parser(), exit_codes),
        SCHEMAS_INDEX_URI: schema_pages.render_index(schemas, where),
    }
    for name, schema in schemas.items():
        pages[schema_pages.page_uri(name)] = schema_pages.render_schema(name, schema, by_id, where)
    return pages


def _expand_nav(items: Any, schema_uris: list[str]) -> bool:
    """Put every schema page under the nav entry of the document-types index."""
    found = False
    if isinstance(items, list):
        for item in items:
            found = _expand_nav(item, schema_uris) or found
    elif isinstance(items, dict):
        for title, value in items.items():
            if value == SCHEMAS_INDEX_URI:
                items[title] = [{"Overview": SCHEMAS_INDEX_URI}, *schema_uris]
                found = True
            else:
                found = _expand_nav(value, schema_uris) or found
    return found


def on_config(config: Any) -> Any:
    _check_checkout()
    uris = [page.src_uri for page in schema_pages.pages(_schemas())]
    if config.nav is not None and not _expand_nav(config.nav, uris):
        raise PluginError(f"mkdocs.yml nav must list {SCHEMAS_INDEX_URI}")
    return config


def on_files(files: Files, config: Any) -> Files:
    from publisher.codes import REGISTRY

    for name in codes_page.undocumented(REGISTRY):
        log.warning(f"reason code {name} has an empty title or explanation: document it in "
                    f"{codes_page.defining_modules().get(name, 'publisher/codes/')}")
    pages = generated_pages()
    checked_in = sorted(uri for uri in pages if files.get_file_from_path(uri) is not None)
    if checked_in:
        raise PluginError(f"docs/pages/{checked_in[0]} is generated at build time; delete the "
                          "checked-in copy")
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    return files


def _demo_link(page: Any, config: Any) -> str:
    url = str(config.extra.get("demo_url") or "")
    if not url:
        raise PluginError("mkdocs.yml extra.demo_url is not set")
    if not re.match(r"^[a-z][a-z0-9+.-]*:|^/", url):
        depth = page.url.count("/") if page.url else 0
        url = "../" * depth + url
    from html import escape

    return f'<a href="{escape(url)}">the live demo</a>'


MARKERS: dict[str, Callable[[Any, Any], str]] = {
    "layout-table": lambda page, config: layout_page.render_layout_table(set(_schemas())),
    "limits-table": lambda page, config: layout_page.render_limits_table(),
    "review-levels": lambda page, config: review_page.render_review_levels(),
    "demo-link": _demo_link,
}


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in MARKERS:
            raise PluginError(f"{page.file.src_uri}: unknown marker handshake:{name}")
        return MARKERS[name](page, config)

    return MARKER.sub(replace, markdown)
