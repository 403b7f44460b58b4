"""Generators for the documentation pages that must never drift from the code.

Each module renders one kind of page to Markdown from a source of truth, at build time:
`codes` from `publisher.codes.REGISTRY`, `cli` from `publisher.cli.build_parser()`,
`schemas` from the shipped JSON Schemas, `layout` from `publisher.layout`. They are pure
(values in, text out) so tests can call them directly; `docs/hooks.py` wires them into
mkdocs. Nothing here is ever written to the repository.
"""
