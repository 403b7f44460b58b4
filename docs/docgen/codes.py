"""The reason-code reference, rendered from `publisher.codes.REGISTRY` (the one registry).

`undocumented` names every code a reader could not look up (empty title or explanation);
the build fails on them and so does a test. `render_reason_codes` groups codes by their
prefix (`sig.`, `treaty.`...) and gives each its own anchor, `#<code>`, so findings and
other pages can link to `reference/reason-codes.md#sig.invalid`.
"""
from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from collections.abc import Mapping

from docgen.text import code, plain

SEVERITY_MEANING = {
    "error": "The repository is not publishable as it is: `handshake verify` exits with status 1 "
             "and `handshake build` refuses to publish (unless `--allow-errors`, which shows "
             "the errors on every affected page).",
    "warning": "Publishable, but a reader or reviewer should know: something is stale, "
               "inconsistent or unusual.",
    "info": "A fact worth showing (a revoked treaty, an external subject); nothing to fix.",
}


def defining_modules() -> dict[str, str]:
    """Code name -> the module file that defines it (`publisher/codes/<area>.py`)."""
    import publisher.codes as package

    where: dict[str, str] = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"publisher.codes.{info.name}")
        for item in getattr(module, "CODES", ()):
            where[item.name] = f"publisher/codes/{info.name}.py"
    return where


def undocumented(registry: Mapping[str, object]) -> list[str]:
    """Codes with an empty title or explanation, sorted."""
    return sorted(name for name, item in registry.items()
                  if not str(getattr(item, "title", "")).strip()
                  or not str(getattr(item, "explanation", "")).strip())


def group_of(name: str) -> str:
    return name.split(".", 1)[0]


def render_reason_codes(registry: Mapping[str, object], modules: Mapping[str, str],
                        levels: Mapping[str, str] | None = None) -> str:
    """The whole reason-code page as Markdown; `levels` gives the review level of change codes."""
    levels = levels or {}
    severities = Counter(item.severity.value for item in registry.values())  # type: ignore[attr-defined]
    groups: dict[str, list[object]] = {}
    for name in sorted(registry):
        groups.setdefault(group_of(name), []).append(registry[name])
    lines = [
        "# Reason codes",
        "",
        "Every finding Handshake reports carries one of these codes. A code is stable: tools and "
        "reviews may match on it. The severity is fixed by the code, never by the message.",
        "",
        f"This page is generated from `publisher.codes.REGISTRY` when the documentation is built: "
        f"{len(registry)} codes, "
        + ", ".join(f"{severities.get(s, 0)} {s}" for s in ("error", "warning", "info")) + ".",
        "",
        "| Severity | Meaning |",
        "| --- | --- |",
    ]
    lines += [f"| {s} | {SEVERITY_MEANING[s]} |" for s in ("error", "warning", "info")]
    lines += [
        "",
        "A pull-request review ranks changes on its own scale (critical to info); see "
        "[Review a pull request](../reviewers/pull-requests.md).",
        "",
        "Where a code has a *genesis-mesh reason*, it corresponds to that reason string of "
        "genesis-mesh 1.8.1's strict verifier, so a verdict can be compared with the reference.",
        "",
        "## Index",
        "",
        "| Code | Severity | Title |",
        "| --- | --- | --- |",
    ]
    for name in sorted(registry):
        item = registry[name]
        lines.append(f"| [{code(name)}](#{name}) | {item.severity.value} | {plain(item.title)} |")  # type: ignore[attr-defined]
    for group in sorted(groups):
        lines += ["", f"## {group}", ""]
        for item in groups[group]:
            lines += _render_code(item, modules, levels)
    return "\n".join(lines) + "\n"


def _render_code(item: object, modules: Mapping[str, str], levels: Mapping[str, str]) -> list[str]:
    name = item.name  # type: ignore[attr-defined]
    level = f" · review level **{levels[name]}**" if name in levels else ""
    lines = [
        f"### {plain(name)} {{#{name}}}",
        "",
        f"**{plain(item.title)}** · severity **{item.severity.value}**{level}",  # type: ignore[attr-defined]
        "",
        plain(item.explanation) or "*(no explanation)*",  # type: ignore[attr-defined]
        "",
    ]
    facts = []
    reference = getattr(item, "reference", ())
    if reference:
        facts.append("genesis-mesh reason: " + ", ".join(code(r) for r in reference))
    if name in modules:
        facts.append(f"defined in {code(modules[name])}")
    if facts:
        lines += ["<small>" + " · ".join(facts) + "</small>", ""]
    return lines
