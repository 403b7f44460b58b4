"""Every shipped schema has a generated page listing its fields; the layout page covers every
path of publisher.layout and links each JSON kind to its schema page."""
from __future__ import annotations

import html
import inspect
import re

import pytest

from tests.docs.support import Build
from docgen import layout as layout_doc
from docgen.schemas import field_rows, render_schema, type_of
from publisher import layout
from publisher.schemas import load_schemas

SCHEMAS = load_schemas()


def test_schemas_are_shipped():
    assert len(SCHEMAS) >= 10, sorted(SCHEMAS)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_schema_has_a_generated_page(built: Build, name: str):
    page = built.html(f"reference/schemas/{name}")
    schema = SCHEMAS[name]
    assert html.escape(schema["title"], quote=False) in page
    for field in schema.get("properties", {}):
        assert f"<code>{field}</code>" in page, field
    for definition in schema.get("$defs", {}):
        assert f'id="def-{definition}"' in page, definition
    index = built.html("reference/schemas")
    assert f'href="{name}/"' in index


def test_refs_become_links_between_pages():
    by_id = {"https://x.invalid/v1/common.schema.json": "common"}
    ref = {"$ref": "https://x.invalid/v1/common.schema.json#/$defs/publicKey"}
    assert type_of(ref, by_id) == "[publicKey](common.md#def-publicKey)"
    assert type_of({"$ref": "#/$defs/party"}, by_id) == "[party](#def-party)"
    assert type_of({"type": "array", "items": ref}, by_id) == "array of [publicKey](common.md#def-publicKey)"
    assert type_of({"enum": ["a", "b"]}, by_id) == 'one of `"a"`, `"b"`'


def test_nested_fields_are_flattened_with_required_marks():
    schema = {"type": "object", "required": ["scope"], "properties": {
        "scope": {"type": "object", "required": ["roles"], "description": "what <is> covered",
                  "properties": {"roles": {"type": "array", "items": {"type": "string"}}}},
        "parties": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
    }}
    rows = list(field_rows(schema, {}))
    assert rows[0].startswith("| `scope` | object | yes | what &lt;is&gt; covered")
    assert rows[1].startswith("| `scope.roles` | array of string | yes |")
    assert any(r.startswith("| `parties[].name` | string | no |") for r in rows)
    page = render_schema("t", {"title": "T", **schema}, {}, {})
    assert page.startswith("# T\n")


def test_every_json_kind_of_the_layout_has_a_schema_page():
    from publisher.verify.sovereign import JSON_KINDS

    kinds = set(JSON_KINDS) | set(layout.ROOT_FILES.values())
    missing = {k: layout_doc.SCHEMA_OF.get(k) for k in kinds if layout_doc.SCHEMA_OF.get(k) not in SCHEMAS}
    assert missing == {}


def test_pattern_paths_cover_every_pattern_kind_of_the_classifier():
    source = inspect.getsource(layout.classify_sovereign_file)
    pattern_kinds = set(re.findall(r'return "([a-z-]+)"', source))
    documented = {kind for _, kind in layout_doc.PATTERN_PATHS.values()}
    assert pattern_kinds <= documented, pattern_kinds - documented
    for shown, (example, kind) in layout_doc.PATTERN_PATHS.items():
        if kind in pattern_kinds:
            assert layout.classify_sovereign_file(example) == kind, shown


def test_layout_page_lists_every_path(built: Build):
    page = built.html("reference/layout")
    for path in layout.ROOT_FILES:
        assert f"<code>{path}</code>" in page
    for path, kind in layout_doc.sovereign_paths():
        assert f"<code>{html.escape(path, quote=False)}</code>" in page, path
        assert layout_doc.KIND_TEXT.get(kind), f"no description for layout kind {kind}"
    assert set(layout.SOVEREIGN_FILES) <= {p for p, _ in layout_doc.sovereign_paths()}


def test_limits_page_lists_every_limit(built: Build):
    import dataclasses

    from publisher.limits import DEFAULT_LIMITS

    page = built.html("reference/layout")
    for item in dataclasses.fields(DEFAULT_LIMITS):
        assert f"<code>{item.name}</code>" in page
        assert layout_doc.LIMIT_TEXT.get(item.name), f"no description for limit {item.name}"
