"""The hand-written pages show only commands that exist: every `handshake ...` line of a shell
block parses with the real argument parser, and every command named in the text is one the
parser knows."""
from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from tests.docs.support import DOCS
from docgen.cli import walk
from publisher.cli import build_parser

PAGES = sorted((DOCS / "pages").rglob("*.md"))
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
COMMAND_WORDS = re.compile(r"`handshake ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)")

# Commands a page may name before their module lands on main (none now: every command the
# pages show is held to the real parser).
SPECIFIED_NOT_YET_ON_MAIN: set[str] = set()


def known_commands() -> set[tuple[str, ...]]:
    return {c.words[1:] for c in walk(build_parser())}


def command_lines(page: Path) -> list[str]:
    lines = []
    for block in SHELL_BLOCK.findall(page.read_text("utf-8")):
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("handshake "):
                lines.append(line)
    return lines


def test_pages_exist():
    assert len(PAGES) >= 8


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS / "pages")) for p in PAGES])
def test_shell_examples_parse_with_the_real_parser(page: Path):
    known = known_commands()
    for line in command_lines(page):
        words = shlex.split(line)[1:]
        for stop in (">", "|", "&&", ";"):
            if stop in words:
                words = words[: words.index(stop)]
        if words[0].startswith("-"):
            assert words[0] in build_parser()._option_string_actions, f"{page.name}: {line!r}"
            continue
        if (words[0],) not in known:
            assert words[0] in SPECIFIED_NOT_YET_ON_MAIN, f"{page.name}: unknown command in {line!r}"
            continue
        try:
            build_parser().parse_args(words)
        except SystemExit as exc:
            pytest.fail(f"{page.name}: {line!r} does not parse (exit {exc.code})")


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS / "pages")) for p in PAGES])
def test_named_commands_exist(page: Path):
    known = known_commands()
    for match in COMMAND_WORDS.finditer(page.read_text("utf-8")):
        words = tuple(match.group(1).split())
        if (words[0],) not in known:
            assert words[0] in SPECIFIED_NOT_YET_ON_MAIN, f"{page.name}: unknown command {match.group(0)}"
            continue
        parent = {w for w in known if len(w) == 2 and w[0] == words[0]}
        if len(words) == 2 and parent:
            assert words in known, f"{page.name}: unknown subcommand {match.group(0)}"


def test_parse_check_catches_a_wrong_option():
    with pytest.raises(SystemExit):
        build_parser().parse_args(["verify", ".", "--no-such-option"])
