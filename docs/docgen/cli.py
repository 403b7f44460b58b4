"""The command-line reference, rendered from `publisher.cli.build_parser()`.

`walk` visits the root parser and every subparser, depth first in registration order, so a
command that lands as a `publisher/cli/cmd_<name>.py` module appears on the next build
without anyone editing a page. Usage lines are formatted at a fixed width so the page does
not depend on the terminal that builds it.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass
from collections.abc import Iterator

from docgen.text import code, fenced, plain

USAGE_WIDTH = 88


@dataclass(frozen=True)
class Command:
    """One parser in the tree: its words (`("handshake", "treaty", "issue")`) and summary."""

    words: tuple[str, ...]
    parser: argparse.ArgumentParser
    summary: str
    children: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join(self.words)

    @property
    def anchor(self) -> str:
        return "-".join(self.words)


def _subparser_actions(
        parser: argparse.ArgumentParser) -> list[argparse._SubParsersAction[argparse.ArgumentParser]]:
    return [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]


def walk(parser: argparse.ArgumentParser, words: tuple[str, ...] = ("handshake",),
         summary: str = "") -> Iterator[Command]:
    """Every command of the tree, the root first; aliases are not repeated."""
    subcommands: list[tuple[str, str, argparse.ArgumentParser]] = []
    for action in _subparser_actions(parser):
        for choice in action._choices_actions:
            name = choice.dest
            subcommands.append((name, choice.help or "", action.choices[name]))
    yield Command(words, parser, summary, tuple(name for name, _, _ in subcommands))
    for name, help_text, child in subcommands:
        yield from walk(child, words + (name,), help_text)


def usage(parser: argparse.ArgumentParser) -> str:
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _expanded_help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    if not action.help or action.help == argparse.SUPPRESS:
        return ""
    formatter = argparse.HelpFormatter(parser.prog, width=USAGE_WIDTH)
    return formatter._expand_help(action)


def _argument_name(action: argparse.Action) -> str:
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.nargs == 0:
            return names
        metavar = action.metavar or (action.dest.upper() if not action.choices else
                                     "{" + ",".join(map(str, action.choices)) + "}")
        return f"{names} {metavar}"
    return str(action.metavar or action.dest.upper())


def _argument_rows(parser: argparse.ArgumentParser) -> list[str]:
    rows = []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        if action.help == argparse.SUPPRESS:
            continue
        details = []
        if action.choices and not isinstance(action, argparse._SubParsersAction):
            details.append("one of " + ", ".join(code(c) for c in action.choices))
        if action.required and action.option_strings:
            details.append("required")
        if action.nargs == argparse.ZERO_OR_MORE or action.nargs == argparse.ONE_OR_MORE:
            details.append("repeatable")
        default = action.default
        help_text = action.help or ""
        if default not in (None, False, argparse.SUPPRESS) and action.nargs != 0 \
                and "default" not in help_text.lower():
            details.append(f"default {code(default)}")
        text = plain(_expanded_help(parser, action))
        if details:
            text = (text + " " if text else "") + "(" + "; ".join(details) + ")"
        rows.append(f"| {code(_argument_name(action))} | {text} |")
    return rows


def render_command(command: Command) -> list[str]:
    level = "#" * min(2 + len(command.words) - 2, 4) if len(command.words) > 1 else "##"
    lines = [f"{level} {command.name} {{#{command.anchor}}}", ""]
    if command.summary:
        lines += [plain(command.summary[:1].upper() + command.summary[1:]) + ".", ""]
    description = command.parser.description
    if description and description.strip().rstrip(".") != command.summary.strip().rstrip("."):
        lines += [plain(description), ""]
    lines += [fenced(usage(command.parser)), ""]
    rows = _argument_rows(command.parser)
    if rows:
        lines += ["| Argument | Meaning |", "| --- | --- |", *rows, ""]
    if command.children:
        lines += ["Subcommands: " + ", ".join(
            f"[{code(child)}](#{command.anchor}-{child})" for child in command.children) + ".", ""]
    return lines


def render_cli(parser: argparse.ArgumentParser, exit_codes: dict[str, int]) -> str:
    """The whole CLI page as Markdown."""
    commands = list(walk(parser))
    top = commands[0]
    lines = [
        "# Command line",
        "",
        "Every `handshake` command, its arguments and their defaults. This page is generated "
        "from the argument parser (`publisher.cli.build_parser()`) when the documentation is "
        "built, so it matches the installed version. `handshake COMMAND --help` prints the "
        "same text in a terminal.",
        "",
        "## Exit status",
        "",
        "| Status | Meaning |",
        "| --- | --- |",
        f"| {exit_codes['ok']} | Clean: no finding of error severity (warnings and info allowed). |",
        f"| {exit_codes['findings']} | At least one finding of error severity (or, for review, "
        "a change at or above the `--fail-on` level; for `pin --check`, a `trust.lock` that "
        "would change). |",
        f"| {exit_codes['misuse']} | Misuse: a bad argument or a missing path. Nothing was judged. |",
        "",
        "## Which repository",
        "",
        "A command given no REPO works on the current directory, or on the nearest folder above it "
        "in the same git work tree that holds `sovereigns/`, `trust.lock` or `coalition.json` (a "
        "built site is passed over), and says which. A sovereign folder checked out as a git "
        "submodule is a git work tree of its own, with no `sovereigns/`: run from it, a command "
        "works on the superproject (as `git rev-parse --show-superproject-working-tree` names it) "
        "when that is the Handshake repository whose `sovereigns/` holds the submodule, and says "
        "so. A git repository inside `sovereigns/` that is no submodule of the repository around "
        "it (a clone made there) is misuse (exit status 2), and the error names both folders: by "
        "git's account neither is the repository, so give REPO.",
        "",
        "## Commands",
        "",
        "| Command | What it does |",
        "| --- | --- |",
    ]
    for command in commands[1:]:
        lines.append(f"| [{code(command.name)}](#{command.anchor}) | {plain(command.summary)} |")
    lines += [""]
    lines += render_command(top)
    for command in commands[1:]:
        lines += render_command(command)
    return "\n".join(lines) + "\n"
