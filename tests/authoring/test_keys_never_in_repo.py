"""Every command that reads a private key refuses one placed inside the repository, and
writes nothing; no file any command writes ever holds private key material."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.authoring.conftest import Keys, Runner, at, ok

TREATY = "sovereigns/alpha/treaties/t-1.json"

# command (with {key} where the in-repo key file goes), and which key file is copied in
COMMANDS = {
    "new-sovereign-root": (["new-sovereign", "gamma", "--root-key", "{key}", "--na-key", "@gamma-na"], "beta-root"),
    "new-sovereign-na": (["new-sovereign", "gamma", "--root-key", "@board", "--na-key", "{key}"], "gamma-na"),
    "treaty-issue": (["treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "9d",
                      "--na-key", "{key}"], "alpha-na"),
    "treaty-renew": (["treaty", "renew", "t-1", "--na-key", "{key}"], "alpha-na"),
    "treaty-replace": (["treaty", "replace", "t-1", "--roles", "bridge", "--na-key", "{key}"], "alpha-na"),
    "treaty-suspend": (["treaty", "suspend", "t-1", "--na-key", "{key}"], "alpha-na"),
    "treaty-revoke-signed": (["treaty", "revoke", "t-1", "--reason", "x", "--form", "signed", "--na-key", "{key}"],
                             "alpha-na"),
    "feed-revoke": (["feed", "revoke", "att-9", "--reason", "x", "--na-key", "{key}"], "alpha-na"),
    "feed-refresh": (["feed", "refresh", "--na-key", "{key}"], "alpha-na"),
    "na-rotate-root": (["na", "rotate", "--root-key", "{key}", "--new-na-key", "@alpha-na2",
                        "--na-key", "@alpha-na"], "alpha-root"),
    "na-rotate-new": (["na", "rotate", "--root-key", "@alpha-root", "--new-na-key", "{key}",
                       "--na-key", "@alpha-na"], "alpha-na2"),
    "na-rotate-previous": (["na", "rotate", "--root-key", "@alpha-root", "--new-na-key", "@alpha-na2",
                            "--na-key", "{key}"], "alpha-na"),
    "roll-call": (["roll-call", "alpha", "--party", "Aud", "--roles", "auditor", "--na-key", "{key}"], "alpha-na"),
    "cosigners-add": (["cosigners", "add", "alpha", "--cosigner-key", "@board.pub", "--root-key", "{key}"],
                      "alpha-root"),
    "sign": (["sign", "@" + TREATY, "--key", "{key}"], "board"),
}


def snapshot(repo: Path) -> dict[str, bytes]:
    return {p.relative_to(repo).as_posix(): p.read_bytes() for p in sorted(repo.rglob("*")) if p.is_file()}


@pytest.fixture
def populated(two_sovereigns: Path, hs: Runner, keys: Keys) -> Path:
    ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d", "--treaty-id", "t-1",
          "--na-key", keys.path("alpha-na"), "--at", at(1)))
    ok(hs("feed", "revoke", "att-1", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    ok(hs("cosigners", "add", "alpha", "--cosigner-key", keys.pub("board"), "--valid-from", at(0),
          "--root-key", keys.path("alpha-root"), "--at", at(1)))
    return two_sovereigns


@pytest.mark.parametrize("place", ["repo-root", "sovereign-folder"])
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_private_key_inside_the_repository_is_refused(populated: Path, hs: Runner, keys: Keys, name: str,
                                                        place: str) -> None:
    argv, key_name = COMMANDS[name]
    folder = populated / ("private" if place == "repo-root" else "sovereigns/alpha/keys")
    folder.mkdir(parents=True, exist_ok=True)
    leaked = folder / f"{key_name}.key"
    shutil.copy(keys.path(key_name), leaked)
    before = snapshot(populated)

    def resolve(arg: str) -> str:
        if arg == "{key}":
            return str(leaked)
        if arg.startswith("@sovereigns/"):
            return str(populated / arg[1:])
        if arg.startswith("@"):
            return keys.pub(arg[1:-4]) if arg.endswith(".pub") else keys.path(arg[1:])
        return arg

    result = hs(*[resolve(a) for a in argv], "--at", at(2))
    assert result.code == 1, result.out
    assert "inside the repository" in result.err and "refused" in result.err
    assert snapshot(populated) == before


def test_the_same_commands_succeed_with_keys_kept_outside(populated: Path, hs: Runner, keys: Keys) -> None:
    """Control for the table above: the refusal is about the key's place, nothing else."""
    ok(hs("treaty", "suspend", "t-1", "--na-key", keys.path("alpha-na"), "--at", at(2)))
    ok(hs("sign", str(populated / TREATY), "--key", keys.path("board"), "--at", at(2), repo_arg=None))


def test_nothing_written_holds_a_seed(populated: Path, keys: Keys) -> None:
    seeds = [line.strip() for path in keys.folder.glob("*.key")
             for line in path.read_text().splitlines() if not line.startswith("#")]
    assert len(seeds) == 8
    for path in populated.rglob("*"):
        if path.is_file():
            data = path.read_text("utf-8")
            assert "PRIVATE KEY" not in data.upper().replace("ED25519 PUBLIC KEY", "")
            assert not any(seed in data for seed in seeds), path
