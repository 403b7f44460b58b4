"""Every command of the parser, subcommands included, is on the generated CLI page with its
arguments."""
from __future__ import annotations

import argparse
import html

from tests.docs.support import Build
from docgen.cli import render_cli, walk
from publisher.cli import build_parser

EXIT = {"ok": 0, "findings": 1, "misuse": 2}


def test_every_command_appears_on_the_generated_page(built: Build):
    page = built.html("reference/cli")
    commands = list(walk(build_parser()))
    assert [c.name for c in commands][:1] == ["handshake"]
    assert len(commands) > 1, "the parser has no subcommand"
    for command in commands:
        assert f'id="{command.anchor}"' in page, command.name
        for action in command.parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert html.escape(option) in page, f"{command.name} {option}"


def test_walk_visits_nested_subcommands_once():
    parser = argparse.ArgumentParser(prog="handshake")
    sub = parser.add_subparsers(dest="command")
    treaty = sub.add_parser("treaty", help="change treaties", aliases=["t"])
    actions = treaty.add_subparsers(dest="action")
    issue = actions.add_parser("issue", help="issue a treaty")
    issue.add_argument("--subject", required=True, help="the recognized sovereign")
    actions.add_parser("revoke", help="revoke a treaty")
    sub.add_parser("verify", help="verify a repository")
    names = [c.name for c in walk(parser)]
    assert names == ["handshake", "handshake treaty", "handshake treaty issue",
                     "handshake treaty revoke", "handshake verify"]
    page = render_cli(parser, EXIT)
    assert "{#handshake-treaty-issue}" in page
    assert "`--subject SUBJECT` | the recognized sovereign (required)" in page
    assert "[`issue`](#handshake-treaty-issue)" in page


def test_help_text_is_escaped():
    parser = argparse.ArgumentParser(prog="handshake")
    sub = parser.add_subparsers(dest="command")
    cmd = sub.add_parser("show", help="print <FILE> *as is*")
    cmd.add_argument("file", metavar="FILE", help="a path like sovereigns/<id>/x.json")
    page = render_cli(parser, EXIT)
    assert "<FILE>" not in page and "&lt;id&gt;" in page and "\\*as is\\*" in page


def test_usage_does_not_depend_on_the_terminal(monkeypatch):
    first = render_cli(build_parser(), EXIT)
    monkeypatch.setenv("COLUMNS", "40")
    assert render_cli(build_parser(), EXIT) == first
