"""Render templates to bytes: the one Jinja2 environment of the site.

`autoescape=True` for every template (every string in a trust document is attacker-controlled)
and `StrictUndefined` (a view-model typo fails the build instead of printing nothing). The
environment and its compiled templates are created once per process and cached. Templates
receive view models only; no HTML is built in Python.
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.compiler
import markupsafe

from publisher.resources import resource_dir

try:
    # The C function behind markupsafe.escape (markupsafe 3). Private, so guarded: without it
    # every output goes through markupsafe.escape, as Jinja2 writes it.
    from markupsafe._speedups import _escape_inner as _escape_text
except ImportError:  # pragma: no cover - markupsafe 2, or no compiled speedups
    _escape_text = None  # type: ignore[assignment]


def escape_output(value: Any) -> str:
    """The text `markupsafe.escape(value)` holds, as a plain str, for one `{{ }}` output.

    Jinja2 compiles each output of an autoescaped template to `escape(...)`, which wraps every
    value in a new Markup (a Python-level `__new__`: 8% of a cold build's CPU, with its
    wrapper). An output is only ever joined into its page, macro or block, which Jinja2 wraps
    in Markup itself, so the wrapper adds nothing: the same text, escaped by the same C
    function, gives the same page."""
    if type(value) is str:
        return _escape_text(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_text(str(value))


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Writes `environment.escape_output(...)` where Jinja2 writes `escape(...)` around an
    autoescaped output; everything else (volatile autoescape blocks, constants folded at
    compile time, which markupsafe.escape still escapes) as Jinja2 writes it."""

    def _output_child_pre(self, node: Any, frame: Any, finalize: Any) -> None:
        if frame.eval_ctx.volatile or not frame.eval_ctx.autoescape:
            super()._output_child_pre(node, frame, finalize)
            return
        self.write("environment.escape_output(")
        if finalize.src is not None:
            self.write(finalize.src)


class _Environment(jinja2.Environment):
    """View models are dicts: look `x.name` up as a key first. Jinja's default tries the
    attribute first, which for a dict raises and catches an AttributeError on every access
    (a third of the render time) and lets dict methods shadow keys such as `items`."""

    if _escape_text is not None:
        code_generator_class = _CodeGenerator
    escape_output = staticmethod(escape_output)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


# Characters that reorder or hide text: C0/C1 controls (but tab and newlines), bidi embeddings,
# overrides, isolates and marks, zero-width and invisible formatters, line/paragraph separators;
# and those XML 1.0 has no place for even escaped (U+FFFE, U+FFFF, surrogates): one of them in a
# signed treaty id made changes.atom not well-formed, and a feed reader drops the whole feed.
_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
                        "\u202a-\u202e\u2028\u2029\u2060-\u2064\u2066-\u2069\ufeff\ud800-\udfff\ufffe\uffff]")


def visible(value: Any) -> Any:
    """Every `{{ }}` output passes here before autoescaping: characters that would make an id
    display as another (a right-to-left override, a zero-width space) are written as a visible
    `\\uXXXX`. Markup built by templates is left alone (its own outputs passed here already)."""
    if not isinstance(value, str) or isinstance(value, markupsafe.Markup) or (value.isascii() and value.isprintable()):
        return value    # printable ASCII (most outputs) holds none of them: two C checks, no regex
    if _INVISIBLE.search(value):
        return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
    return value


_CHROME_KEPT = 4096     # chromes kept per process (a build has a few dozen: roots x sections)


def _page_chrome(env: jinja2.Environment) -> Any:
    """`page_chrome(site, page)` for base.html: the `_chrome.html` fragments (head, header, footer)
    rendered once for each site, page root, section and description, instead of on every page.
    They read nothing else (the title, which differs on every page, stays in base.html), so a
    page is the same bytes either way."""
    kept: dict[str, dict[str, markupsafe.Markup]] = {}

    def page_chrome(site: dict[str, Any], page: dict[str, Any]) -> dict[str, markupsafe.Markup]:
        key = json.dumps([site, page["root"], page["section"], page["description"]], sort_keys=True)
        found = kept.get(key)
        if found is None:
            if len(kept) >= _CHROME_KEPT:
                kept.clear()
            module = env.get_template("_chrome.html").make_module({"site": site, "page": page, "root": page["root"]})
            found = kept[key] = {part: getattr(module, part)() for part in ("head", "header", "footer")}
        return found
    return page_chrome


def _page_macros(env: jinja2.Environment) -> Any:
    """`page_macros(root)`: the `_macros.html` module for pages at one root, made once. The macros
    read nothing from the page but its root, and `{% import ... with context %}` made a new
    module on every page: a dozen macros whose closures hold the page's context in a cycle,
    which only the cyclic collector frees (68 objects a page, measured on a full-scale build)."""
    @lru_cache(maxsize=_CHROME_KEPT)
    def page_macros(root: str) -> Any:
        return env.get_template("_macros.html").make_module({"page": {"root": root}})
    return page_macros


@lru_cache(maxsize=4)
def environment(template_dir: str | None = None) -> jinja2.Environment:
    env = _environment(template_dir)
    env.globals["page_chrome"] = _page_chrome(env)
    env.globals["page_macros"] = _page_macros(env)
    return env


def _environment(template_dir: str | None) -> jinja2.Environment:
    folder = template_dir or str(resource_dir("site_template"))
    return _Environment(
        loader=jinja2.FileSystemLoader(folder),
        autoescape=True,
        finalize=visible,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=-1,
    )


def render(template: str, context: dict[str, Any], *, template_dir: str | None = None) -> bytes:
    """The rendered page as UTF-8 bytes (jinja2 errors propagate: a template bug fails the build)."""
    return environment(template_dir).get_template(template).render(context).encode("utf-8")


def static_files(template_dir: str | None = None) -> dict[str, bytes]:
    """Vendored assets under site_template/static/, by site path (static/...)."""
    root = Path(template_dir or resource_dir("site_template")) / "static"
    return {f"static/{p.relative_to(root).as_posix()}": p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}
