"""Structural validation against the JSON Schemas in `schemas/` (draft 2020-12).

Validators are compiled once per process and resolve `$ref`s from the shipped files only
(no network). Schema errors become findings: an `additionalProperties` failure is
`doc.unknown_field`; a subschema annotated with `x-handshake-code` (public keys, signatures)
gives that code; an integer written as a string or a boolean is `doc.non_canonical_form` (the reference
would coerce and re-write it); everything else is `doc.malformed`.
"""
from __future__ import annotations

import json
import re
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any
from collections.abc import Callable, Mapping

from publisher.fastschema import FastSchemas
from publisher.findings import Finding, finding, pointer
from publisher.resources import resource_dir

if TYPE_CHECKING:   # jsonschema is imported on first use: valid documents never need it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from referencing import Registry

_NUMERIC = re.compile(r"-?\d+")
MAX_ERRORS_PER_DOCUMENT = 50


@lru_cache(maxsize=1)
def load_schemas() -> Mapping[str, Mapping[str, Any]]:
    """Every shipped schema by kind (file name without `.schema.json`)."""
    schemas = {}
    for path in sorted(resource_dir("schemas").glob("*.schema.json")):
        schemas[path.name[: -len(".schema.json")]] = json.loads(path.read_text("utf-8"))
    return schemas


@lru_cache(maxsize=1)
def _registry() -> Registry:
    from referencing import Registry, Resource

    resources = [(s["$id"], Resource.from_contents(s)) for s in load_schemas().values() if "$id" in s]
    return Registry().with_resources(resources)


@cache
def validator(kind: str) -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    schema = load_schemas()[kind]
    return Draft202012Validator(schema, registry=_registry())


@lru_cache(maxsize=1)
def _fast_schemas() -> FastSchemas:
    return FastSchemas(load_schemas())


@cache
def fast_validator(kind: str) -> Callable[[Any], bool]:
    """A yes/no validator for the hot path, compiled once per process: jsonschema-rs where it
    provably agrees with jsonschema (see publisher.fastschema), else jsonschema itself. It may
    reject what jsonschema accepts (check_schema then finds no error), never the reverse."""
    return _fast_schemas().compile(kind) or validator(kind).is_valid


def check_schema(kind: str, value: Any, path: str) -> list[Finding]:
    """Findings for every way `value` departs from the schema of `kind` (empty when valid)."""
    if fast_validator(kind)(value):
        return []
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for error in validator(kind).iter_errors(value):
        for found in _explain(error, path):
            if (found.pointer, found.code) not in seen:  # one finding per place and reason
                seen.add((found.pointer, found.code))
                out.append(found)
        if len(out) >= MAX_ERRORS_PER_DOCUMENT:
            break
    return out


def _leaves(error: ValidationError) -> list[ValidationError]:
    """For oneOf/anyOf failures, the errors of the closest alternative."""
    if error.context:
        best = min(error.context, key=lambda e: (-len(e.absolute_path), len(e.context or ())))
        same = [e for e in error.context if e.relative_schema_path[0] == best.relative_schema_path[0]]
        return [leaf for e in same for leaf in _leaves(e)]
    return [error]


def _explain(error: ValidationError, path: str) -> list[Finding]:
    out: list[Finding] = []
    for leaf in _leaves(error):
        where = pointer(*leaf.absolute_path)
        schema = leaf.schema if isinstance(leaf.schema, Mapping) else {}
        if leaf.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(leaf.instance, dict):
            known = set(schema.get("properties", {}))
            for key in sorted(k for k in leaf.instance if k not in known):
                out.append(finding(path, where + pointer(key), "doc.unknown_field",
                                   f"field {key!r} is not defined for this document type"))
            continue
        code = schema.get("x-handshake-code") if isinstance(schema.get("x-handshake-code"), str) else None
        if code is None and leaf.validator == "type" and leaf.validator_value == "integer" \
                and (isinstance(leaf.instance, bool) or isinstance(leaf.instance, str)
                     and _NUMERIC.fullmatch(leaf.instance)):
            code = "doc.non_canonical_form"   # the reference's model reads true as 1 and writes 1
        out.append(finding(path, where, code or "doc.malformed", _message(leaf)))
    return out


def _message(error: ValidationError) -> str:
    text = error.message
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{text} (schema rule: {error.validator})"
