"""One reference page per document type, rendered from the shipped JSON Schemas.

The schemas are read from `publisher.resources.resource_dir("schemas")`, the same files the
verifier validates against. A page shows the schema's title and description, where the file
lives in a repository, whether unknown fields are refused, every field with its type,
constraints and description (nested objects and array items flattened to dotted paths),
the schema's local definitions, and its examples. `$ref`s become links between pages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from collections.abc import Iterator, Mapping

from docgen.text import code, fenced, plain

MAX_DEPTH = 6
COMMON = "common"


@dataclass(frozen=True)
class SchemaPage:
    name: str          # file name without .schema.json: the verifier's kind
    title: str
    src_uri: str       # where the page lives in the docs


def page_uri(name: str) -> str:
    return f"reference/schemas/{name}.md"


def pages(schemas: Mapping[str, Mapping[str, Any]]) -> list[SchemaPage]:
    """Pages in navigation order: by title, the shared definitions last."""
    items = [SchemaPage(name, str(schema.get("title") or name), page_uri(name))
             for name, schema in schemas.items()]
    return sorted(items, key=lambda p: (p.name == COMMON, p.title.lower(), p.name))


def _ref_link(ref: str, by_id: Mapping[str, str]) -> str:
    """Markdown link for a `$ref`, relative to a page in reference/schemas/."""
    target, _, fragment = ref.partition("#")
    definition = fragment.rsplit("/", 1)[-1] if fragment.startswith("/$defs/") else ""
    page = "" if not target else f"{by_id.get(target, target.rsplit('/', 1)[-1].removesuffix('.schema.json'))}.md"
    if definition:
        return f"[{plain(definition)}]({page}#def-{definition})"
    return f"[{plain(page.removesuffix('.md') or 'this document')}]({page or '#'})"


def type_of(node: Any, by_id: Mapping[str, str]) -> str:
    """A short human type: `string`, `array of` a link, `one of "a", "b"`..."""
    if not isinstance(node, Mapping):
        return "any" if node is True else "nothing"
    if "$ref" in node:
        return _ref_link(str(node["$ref"]), by_id)
    if "const" in node:
        return "constant " + code(json.dumps(node["const"]))
    if "enum" in node:
        return "one of " + ", ".join(code(json.dumps(v)) for v in node["enum"])
    for key, word in (("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")):
        if key in node and isinstance(node[key], list):
            return word + ": " + "; ".join(type_of(n, by_id) for n in node[key])
    kinds = node.get("type")
    kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
    if "array" in kinds and isinstance(node.get("items"), Mapping):
        others = [k for k in kinds if k != "array"]
        text = "array of " + type_of(node["items"], by_id)
        return " or ".join([text, *others])
    if not kinds and "properties" in node:
        kinds = ["object"]
    return " or ".join(kinds) if kinds else "any"


def constraints(node: Any) -> list[str]:
    if not isinstance(node, Mapping):
        return []
    out = []
    for key, word in (("minLength", "min length"), ("maxLength", "max length"),
                      ("minItems", "min items"), ("maxItems", "max items"),
                      ("minimum", "minimum"), ("maximum", "maximum"),
                      ("maxProperties", "max properties"), ("format", "format")):
        if key in node:
            out.append(f"{word} {node[key]}")
    if node.get("uniqueItems"):
        out.append("unique items")
    if "pattern" in node:
        out.append("pattern " + code(node["pattern"]))
    if "default" in node:
        out.append("default " + code(json.dumps(node["default"])))
    if isinstance(node.get("propertyNames"), Mapping):
        names = node["propertyNames"]
        out.append("keys: " + (plain(names["description"]) if "description" in names else
                               ", ".join(constraints(names)) or "any"))
    if node.get("additionalProperties") is False and "properties" in node:
        out.append("no other fields")
    if "x-handshake-code" in node:
        code_name = str(node["x-handshake-code"])
        out.append(f"violation reported as [{code(code_name)}](../reason-codes.md#{code_name})")
    if "if" in node and "then" in node:
        out.append("conditional rules apply (see the schema file)")
    return out


def field_rows(node: Any, by_id: Mapping[str, str], prefix: str = "",
               depth: int = 0) -> Iterator[str]:
    """Table rows for the properties of `node`, nested ones as dotted paths."""
    if not isinstance(node, Mapping) or depth > MAX_DEPTH:
        return
    required = set(node.get("required", ()))
    for name, child in (node.get("properties") or {}).items():
        path = f"{prefix}{name}"
        description = plain(child.get("description", "")) if isinstance(child, Mapping) else ""
        extra = constraints(child)
        if extra:
            description = (description + " " if description else "") + "(" + "; ".join(extra) + ")"
        yield (f"| {code(path)} | {type_of(child, by_id)} | {'yes' if name in required else 'no'} "
               f"| {description} |")
        if isinstance(child, Mapping):
            yield from field_rows(child, by_id, f"{path}.", depth + 1)
            items = child.get("items")
            if isinstance(items, Mapping) and "properties" in items:
                yield from field_rows(items, by_id, f"{path}[].", depth + 1)
    for keyword in ("allOf", "oneOf", "anyOf"):
        for branch in node.get(keyword, ()) if isinstance(node.get(keyword), list) else ():
            if isinstance(branch, Mapping) and "properties" in branch:
                yield from field_rows(branch, by_id, prefix, depth + 1)


FIELDS_HEADER = ["| Field | Type | Required | Description |", "| --- | --- | --- | --- |"]


def _definition(name: str, node: Any, by_id: Mapping[str, str]) -> list[str]:
    lines = [f"### {plain(name)} {{#def-{name}}}", ""]
    if isinstance(node, Mapping) and node.get("description"):
        lines += [plain(node["description"]), ""]
    facts = [f"Type: {type_of(node, by_id)}"] + constraints(node)
    lines += ["; ".join(facts) + ".", ""]
    rows = list(field_rows(node, by_id))
    if isinstance(node, Mapping) and isinstance(node.get("items"), Mapping):
        rows += list(field_rows(node["items"], by_id, "[]."))
    if rows:
        lines += [*FIELDS_HEADER, *rows, ""]
    return lines


def render_schema(name: str, schema: Mapping[str, Any], by_id: Mapping[str, str],
                  locations: Mapping[str, list[str]]) -> str:
    """The reference page of one schema as Markdown.

    `by_id` maps schema `$id`s to schema names (for links); `locations` maps a schema name to
    the repository paths that hold a document of that type.
    """
    title = str(schema.get("title") or name)
    lines = [f"# {plain(title)}", ""]
    if schema.get("description"):
        lines += [plain(schema["description"]), ""]
    lines += ["| | |", "| --- | --- |",
              f"| Schema file | {code(f'schemas/{name}.schema.json')} |"]
    if schema.get("$id"):
        lines.append(f"| `$id` | {code(schema['$id'])} |")
    if name != COMMON:
        lines.append(f"| Verifier kind | {code(name)} |")
    where = locations.get(name, [])
    lines.append("| In a repository | " + (", ".join(code(p) for p in where) if where else
                 "not part of the repository layout (exchanged or exported)") + " |")
    if "properties" in schema:
        closed = schema.get("additionalProperties") is False
        lines.append("| Unknown top-level fields | " + (
            "refused, reported as [`doc.unknown_field`](../reason-codes.md#doc.unknown_field)"
            if closed else "allowed (ignored)") + " |")
    lines.append("")
    rows = list(field_rows(schema, by_id))
    if rows:
        lines += ["## Fields", "", *FIELDS_HEADER, *rows, ""]
    definitions = schema.get("$defs") if isinstance(schema.get("$defs"), Mapping) else {}
    if definitions:
        lines += ["## Definitions", ""]
        for def_name, node in definitions.items():
            lines += _definition(def_name, node, by_id)
    raw_examples = schema.get("examples")
    examples: list[Any] = raw_examples if isinstance(raw_examples, list) else []
    for index, example in enumerate(examples):
        heading = "## Example" if len(examples) == 1 else f"## Example {index + 1}"
        lines += [heading, "", fenced(json.dumps(example, indent=2, ensure_ascii=False), "json"), ""]
    return "\n".join(lines).rstrip() + "\n"


def render_index(schemas: Mapping[str, Mapping[str, Any]],
                 locations: Mapping[str, list[str]]) -> str:
    """The document-types overview page, linking every schema page."""
    lines = [
        "# Document types",
        "",
        "One page per JSON Schema in `schemas/`, generated from the schema files the verifier "
        "uses (draft 2020-12) when the documentation is built. The schemas check structure; "
        "signatures, key chains, cross-references and time are checked in code and reported "
        "with the [reason codes](../reason-codes.md).",
        "",
        "| Document type | Schema | In a repository |",
        "| --- | --- | --- |",
    ]
    for page in pages(schemas):
        where = locations.get(page.name, [])
        lines.append(f"| [{plain(page.title)}]({page.name}.md) | {code(page.name + '.schema.json')} | "
                     + (", ".join(code(p) for p in where) if where else "—") + " |")
    return "\n".join(lines) + "\n"
