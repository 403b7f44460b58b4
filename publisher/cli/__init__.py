"""The `handshake` command line: a thin shell over the library.

Each `publisher/cli/cmd_<name>.py` module contributes one command with `register(subparsers)`
and `run(args) -> int`; they are discovered here so commands stay independent. The library
never prints or exits; commands map outcomes to exit statuses: 0 clean (warnings allowed),
1 findings of error severity, 2 misuse (bad arguments, missing paths).
"""
from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from publisher import __version__
from publisher.layout import printable

EXIT_OK, EXIT_FINDINGS, EXIT_MISUSE = 0, 1, 2


class UsageError(Exception):
    """Misuse the user can fix: printed without a traceback, exit status 2."""


def command_modules(only: str | None = None) -> list[object]:
    """Every command module, or just `cmd_<only>` when that module exists (a command run by
    name imports only its own module: importing all of them costs ~0.2 s per invocation)."""
    import publisher.cli as package
    names = sorted(m.name for m in pkgutil.iter_modules(package.__path__) if m.name.startswith("cmd_"))
    if only is not None and f"cmd_{only.replace('-', '_')}" in names:
        names = [f"cmd_{only.replace('-', '_')}"]
    return [importlib.import_module(f"publisher.cli.{name}") for name in names]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="handshake",
        description="Publish and verify Genesis Mesh sovereign trust material from a git repository.",
    )
    parser.add_argument("--version", action="version", version=f"handshake {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in command_modules(command):
        module.register(sub)  # type: ignore[attr-defined]
    if command is not None and command not in sub.choices:
        return build_parser()
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    first = argv[0] if argv and not argv[0].startswith("-") else None
    parser = build_parser(first)
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as exc:
        # A usage error may quote what the repository holds (a branch name in a ref hint, a
        # path): escaped like every other terminal line (`layout.printable`).
        print(f"handshake {args.command}: {printable(str(exc))}", file=sys.stderr)
        return EXIT_MISUSE
    except KeyboardInterrupt:
        return 130
