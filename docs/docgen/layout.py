"""The repository-layout table, rendered from `publisher.layout` (which path holds which kind).

Fixed file names come from `ROOT_FILES` and `SOVEREIGN_FILES`; the few paths the layout
matches by pattern are listed in `PATTERN_PATHS` with an example the classifier must accept
(a test checks both directions). `SCHEMA_OF` names the schema that validates each JSON kind;
`KIND_TEXT` says in a few words what the file is and who signs it.
"""
from __future__ import annotations

from collections.abc import Mapping

from docgen.text import code, plain

# Kinds matched by pattern in `classify_sovereign_file`: shown path -> (example, kind).
PATTERN_PATHS: Mapping[str, tuple[str, str]] = {
    "treaties/<treaty_id>.json": ("treaties/3d70acf6-6d86-5fae-9ada-24a647700545.json",
                                  "recognition-treaty"),
    "keys/na-<n>.pub": ("keys/na-1.pub", "key-na-history"),
    "keys/operator<label>.pub": ("keys/operator-ops.pub", "key-operator"),
    "root-rotations/<n>.json": ("root-rotations/1.json", "root-rotation"),
}

# Layout kind -> schema name (file name without .schema.json), for JSON kinds.
SCHEMA_OF: Mapping[str, str] = {
    "coalition": "coalition",
    "trust-lock": "trust-lock",
    "genesis": "genesis-block",
    "genesis-unsigned": "genesis-block",
    "sovereign": "sovereign",
    "key-history": "key-history",
    "recognition-treaties": "recognition-treaties",
    "revocation-feed": "revocation-feed",
    "recognition-policy": "recognition-policy",
    "policy-manifest": "policy-manifest",
    "roll-call": "roll-call",
    "recognition-treaty": "recognition-treaty",
    "root-rotation": "root-rotation",
    "na-cosigners": "na-cosigners",
}

KIND_TEXT: Mapping[str, str] = {
    "coalition": "Who publishes this repository and which sovereigns are members (unsigned).",
    "trust-lock": "The root key first seen for each sovereign (first-seen pinning, RFC-001 rule 4).",
    "genesis": "The genesis block, signed by the sovereign's root key. Required.",
    "genesis-unsigned": "The same block without signatures, as the reference writes it (optional).",
    "sovereign": "Public identity: id, root key, NA key, endpoints (unsigned). Required.",
    "key-history": "The NA key history: genesis plus root-signed key successions.",
    "recognition-treaties": "The issuer's treaty rows: revocation and replacement state (unsigned).",
    "revocation-feed": "The revocation feed, signed by the NA key.",
    "recognition-policy": "The local recognition policy (unsigned).",
    "policy-manifest": "The network policy manifest, signed by the NA key.",
    "roll-call": "Who operates the sovereign and who holds which key (RFC-008), NA-signed.",
    "note": "A free-text note for readers (not verified).",
    "key-root": "The root public key (genesis-mesh key-file format).",
    "key-na": "The current NA public key.",
    "key-na-history": "An earlier NA public key of the history.",
    "key-operator": "An operator public key (signs admin requests only, never a document).",
    "recognition-treaty": "One signed recognition treaty, named after its treaty_id.",
    "root-rotation": "A root key rotation record, signed by the old and the new root key.",
    "na-cosigners": "Extra NA keys that may co-sign toward the roll call's threshold, root-signed.",
}


def sovereign_paths() -> list[tuple[str, str]]:
    """(shown path relative to sovereigns/<id>/, kind) for every file the layout defines.

    A pattern path is listed only when the classifier accepts its example as that kind, so
    the table never shows a path the verifier would report as outside the layout.
    """
    from publisher.layout import SOVEREIGN_FILES, classify_sovereign_file

    fixed = sorted(SOVEREIGN_FILES.items(), key=lambda item: (item[0].count("/"), item[0]))
    patterns = [(shown, kind) for shown, (example, kind) in PATTERN_PATHS.items()
                if classify_sovereign_file(example) == kind]
    return fixed + patterns


def locations() -> dict[str, list[str]]:
    """Schema name -> repository paths holding a document validated by it."""
    from publisher.layout import ROOT_FILES

    out: dict[str, list[str]] = {}
    for path, kind in sorted(ROOT_FILES.items()):
        if kind in SCHEMA_OF:
            out.setdefault(SCHEMA_OF[kind], []).append(path)
    for path, kind in sovereign_paths():
        if kind in SCHEMA_OF:
            out.setdefault(SCHEMA_OF[kind], []).append(f"sovereigns/<id>/{path}")
    return out


def _row(path: str, kind: str, required: bool, schema_link_prefix: str, schemas: set[str]) -> str:
    schema = SCHEMA_OF.get(kind)
    link = f"[{plain(schema)}]({schema_link_prefix}{schema}.md)" if schema in schemas else "—"
    text = plain(KIND_TEXT.get(kind, ""))
    return f"| {code(path)} | {code(kind)} | {'yes' if required else 'no'} | {link} | {text} |"


def render_layout_table(schemas: set[str], schema_link_prefix: str = "schemas/") -> str:
    """Markdown tables of the root files and the sovereign folder, from publisher.layout.

    `schemas` are the schema names that have a page; other kinds get no link.
    """
    from publisher.layout import REQUIRED_SOVEREIGN_FILES, ROOT_FILES, SOVEREIGNS_DIR

    header = ["| Path | Kind | Required | Schema | What it is |", "| --- | --- | --- | --- | --- |"]
    lines = ["At the repository root:", "", *header]
    lines += [_row(path, kind, False, schema_link_prefix, schemas)
              for path, kind in sorted(ROOT_FILES.items())]
    lines += ["", f"In each sovereign folder, `{SOVEREIGNS_DIR}/<id>/`:", "", *header]
    lines += [_row(path, kind, path in REQUIRED_SOVEREIGN_FILES, schema_link_prefix, schemas)
              for path, kind in sovereign_paths()]
    return "\n".join(lines) + "\n"


LIMIT_TEXT: Mapping[str, str] = {
    "max_file_bytes": "Bytes per file; a larger file is not read (`limits.file_too_large`).",
    "max_depth": "Nesting of JSON objects and arrays, as genesis-mesh's strict parser (`json.too_deep`).",
    "max_string_chars": "Characters in one JSON string (`limits.string_too_long`).",
    "max_files_per_sovereign": "Files read in one sovereign folder (`limits.too_many_files`).",
    "max_signatures": "Signatures tried on one document (`limits.too_many_signatures`).",
    "max_history_keys": "NA keys in one key history; later successions are not used (`limits.too_many_keys`).",
    "max_total_files": "Files read in the whole repository (`limits.too_many_files`). The same number bounds "
                       "every git listing: one `ls-tree` or `diff`, each commit of `git log --raw`, and (three "
                       "times it) a whole log stop there, so that a few kilobytes of pushed trees naming the same "
                       "subtree at every level cannot stand for 2^depth paths (`limits.too_many_files` under "
                       "`verify --rev`, `git.unreadable` in the history checks).",
    "max_index_bytes": "Bytes in coalition.json or trust.lock (8 MiB: they grow with the number of sovereigns); "
                       "a larger one is not read (`limits.file_too_large`).",
}


def render_limits_table() -> str:
    """The input limits and their defaults, from `publisher.limits.Limits`."""
    import dataclasses

    from publisher.limits import DEFAULT_LIMITS

    lines = ["| Limit | Default | What it bounds |", "| --- | --- | --- |"]
    for item in dataclasses.fields(DEFAULT_LIMITS):
        value = getattr(DEFAULT_LIMITS, item.name)
        lines.append(f"| {code(item.name)} | {value:,} | {LIMIT_TEXT.get(item.name, '')} |")
    return "\n".join(lines) + "\n"
