"""Fixtures for authoring tests: fixed-seed key files in a tmp folder outside every repository,
an empty tmp repository, and an in-process `handshake` runner.

Keys are written only under pytest's tmp dir (never inside a repository); seeds are fixed so
documents are reproducible. Times are explicit (`--at`), never the wall clock.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any
from collections.abc import Callable

import pytest

from publisher.authoring.keys import write_keypair
from publisher.cli import main

START = datetime(2026, 11, 1, 10, 0, 0, tzinfo=UTC)


def at(days: float = 0, hours: float = 0) -> str:
    """An ISO time `days`/`hours` after START (for --at)."""
    return (START + timedelta(days=days, hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def seed(n: int) -> bytes:
    return bytes((7 * n + i) % 256 for i in range(32))


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


class Keys:
    """Fixed-seed key files under one folder outside any repository."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.public: dict[str, str] = {}

    def make(self, name: str, n: int, role: str = "na", key_id: str | None = None) -> Path:
        files = write_keypair(self.folder / name, role=role, key_id=key_id or name, repo=None, seed=seed(n))
        self.public[name] = files.public_key
        return files.private_path

    def path(self, name: str) -> str:
        return str(self.folder / f"{name}.key")

    def pub(self, name: str) -> str:
        return str(self.folder / f"{name}.pub")


@pytest.fixture(autouse=True, params=["stamps racy", "stamps trusted"])
def written_as_verified(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every authoring test runs twice: with the files it writes too young for their stat
    stamps to vouch (the written files are then verified afresh), and with stamps trusted at
    once, where a command's verification on disk is its planned one whenever the disk holds
    the plan (publisher.authoring.overlay). Either way, what a command reports as verified
    must be what a fresh verification of the disk finds."""
    from publisher import source as source_module
    from publisher.cli import authoring_args
    from publisher.source import WorktreeSource
    from publisher.verify import verify_repository

    if request.param == "stamps trusted":
        monkeypatch.setattr(source_module, "RACY_NS", 0)
    real = authoring_args.apply

    def checked(repo: Path, plan: Any, **kwargs: Any) -> Any:
        outcome = real(repo, plan, **kwargs)
        fresh = verify_repository(WorktreeSource(repo), at=kwargs["at"])
        assert outcome.verification == fresh, "a command's verification differs from the disk's"
        return outcome
    monkeypatch.setattr(authoring_args, "apply", checked)


@pytest.fixture
def keys(tmp_path: Path) -> Keys:
    folder = tmp_path / "offline-keys"
    folder.mkdir()
    made = Keys(folder)
    for index, name in enumerate(("alpha-root", "alpha-na", "beta-root", "beta-na", "alpha-na2",
                                  "board", "auditor", "gamma-na")):
        made.make(name, index + 1, role="root" if name.endswith("root") else "na")
    return made


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "repo"
    path.mkdir()
    return path


Runner = Callable[..., Result]


@pytest.fixture
def hs(capsys: pytest.CaptureFixture[str], repo: Path) -> Runner:
    """Run `handshake ARGS --repo REPO` in-process (pass repo=None to leave --repo out)."""
    def run(*args: str, repo_arg: Path | None = repo) -> Result:
        argv = list(args) + (["--repo", str(repo_arg)] if repo_arg is not None else [])
        capsys.readouterr()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse misuse
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run


def read(repo: Path, relative: str) -> Any:
    return json.loads((repo / relative).read_text("utf-8"))


def ok(result: Result) -> Result:
    assert result.code == 0, result.out + result.err
    return result


@pytest.fixture
def two_sovereigns(hs: Runner, keys: Keys, repo: Path) -> Path:
    """alpha and beta, created with `new-sovereign` at START."""
    ok(hs("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key", keys.path("alpha-na"),
          "--display-name", "Alpha Commons", "--contact", "mailto:ops@alpha.example",
          "--endpoint", "https://na.alpha.example", "--at", at()))
    ok(hs("new-sovereign", "beta", "--root-key", keys.path("beta-root"), "--na-key", keys.path("beta-na"),
          "--at", at()))
    return repo
