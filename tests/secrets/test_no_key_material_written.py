"""Private keys never enter the repository, the reports or anything a command writes.

- the leak scanner finds what it must (planted seeds, PEM blocks) and nothing in clean trees;
- the project's tracked files hold no private key outside tests/hostile/ (this runs in CI:
  .ci/run -> make test, so CI refuses a commit that adds one);
- scripts/make_demo.py writes no private key (its keys live in memory only);
- `handshake verify` writes nothing into the repository it checks, and its reports never
  repeat a private key found there (reports end up in CI logs and review comments).
"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_attacks import pem_private_key
from hostile_repo import materialize
from hostile_world import ALPHA, ATTACKER, BETA, Key, baseline
from leak_scan import private_key_findings, read_tree, real_private_keys, seed_leaks
from publisher.cli import main as cli_main

ROOT = Path(__file__).resolve().parents[2]
WORLD_KEYS: list[Key] = [k for m in (ALPHA, BETA) for k in (m.root, m.na, m.na2, m.operator)] + [ATTACKER]
PRIVATE_KEY_ATTACKS = ["private-key-genesis-mesh-file", "private-key-bare-seed-file", "private-key-pem-file",
                       "private-key-pem-in-readme", "private-key-in-identity-field",
                       "private-key-as-public-key-file"]


def secret_spellings(key: Key) -> list[str]:
    der = bytes.fromhex("302e020100300506032b657004220420") + key.seed
    return [base64.b64encode(key.seed).decode(), key.seed.hex(), base64.b64encode(der).decode()]


def test_scanner_finds_planted_seeds_and_nothing_in_a_clean_tree() -> None:
    files = baseline()
    assert seed_leaks(files) == [] and private_key_findings(files) == []
    planted = dict(files)
    planted["sovereigns/alpha/notes.txt"] = f"backup {ALPHA.na.seed.hex()}\n".encode()
    planted["sovereigns/beta/README.md"] = f"root: {base64.b64encode(BETA.root.seed).decode()}\n".encode()
    assert seed_leaks(planted) == ["sovereigns/alpha/notes.txt", "sovereigns/beta/README.md"]
    assert real_private_keys(pem_private_key(ALPHA.root))
    assert not real_private_keys(b'_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")')


def tracked_files() -> dict[str, bytes]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    if listed.returncode != 0:
        pytest.fail(f"git ls-files failed in {ROOT}: {listed.stderr.decode()[:200]}", pytrace=False)
    paths = [p for p in listed.stdout.decode().split("\0") if p and not p.startswith("tests/hostile/")]
    return {p: (ROOT / p).read_bytes() for p in paths if (ROOT / p).is_file() and not (ROOT / p).is_symlink()}


def test_repository_tracks_no_private_key() -> None:
    files = tracked_files()
    assert len(files) > 50
    assert [p for p in files if p.endswith((".key", ".pem"))] == []
    assert [p for p, data in files.items() if real_private_keys(data)] == []
    assert seed_leaks(files) == []


def test_demo_generator_writes_no_private_key(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    run = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo.py"), "--out", str(out)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    files = read_tree(out)
    assert any(p.endswith("keys/root.pub") for p in files)
    assert private_key_findings(files) == [] and seed_leaks(files) == []
    assert [p for p, data in files.items() if real_private_keys(data)] == []


@pytest.mark.parametrize("attack", PRIVATE_KEY_ATTACKS)
def test_verify_writes_nothing_and_never_repeats_the_key(attack: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    repo = materialize(tmp_path / "repo", attack)
    before = read_tree(repo)
    reports = []
    for fmt in ("text", "json"):
        status = cli_main(["verify", str(repo), "--at", "2026-11-23T12:00:00Z", "--format", fmt, "--jobs", "1"])
        reports.append(capsys.readouterr().out)
        assert status == 1
    assert "redaction.private_key" in {f["code"] for f in json.loads(reports[1])["findings"]}
    assert read_tree(repo) == before
    for report in reports:
        assert "PRIVATE KEY" not in report
        assert [s for key in WORLD_KEYS for s in secret_spellings(key) if s in report] == []


SECRET_ATTACKS = PRIVATE_KEY_ATTACKS + ["secret-field-in-identity", "secret-passphrase-in-identity",
                                        "secret-apikey-in-identity", "secret-field-name-escaped",
                                        "admin-material-in-identity"]


def build(repo: Path, out: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    status = cli_main(["build", str(repo), "--out", str(out), "--at", "2026-11-23T12:00:00Z",
                       "--allow-errors", "--no-history", "--jobs", "1"])
    return status, capsys.readouterr().err


@pytest.mark.parametrize("attack", SECRET_ATTACKS)
def test_build_never_publishes_private_material(attack: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Even with --allow-errors the site builder refuses, and the previous site stays as it was."""
    clean = materialize(tmp_path / "clean")
    out = tmp_path / "site"
    assert build(clean, out, capsys)[0] == 0
    previous = read_tree(out)
    status, err = build(materialize(tmp_path / "repo", attack), out, capsys)
    assert status == 1
    assert "never publishes" in err and "Traceback" not in err
    assert read_tree(out) == previous
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".site.build-")]


@pytest.mark.parametrize("attack", ["treaty-tampered-after-signing", "folder-bidi-override",
                                    "identity-javascript-endpoint"])
def test_sites_built_with_errors_hold_no_private_material(attack: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "site"
    assert build(materialize(tmp_path / "repo", attack), out, capsys)[0] == 0
    files = read_tree(out)
    assert len(files) > 20
    assert private_key_findings(files) == [] and seed_leaks(files) == []
    assert [p for p, data in files.items() if real_private_keys(data)] == []


GIT = ["git", "-c", "user.name=Secrets Test", "-c", "user.email=secrets@example.invalid", "-c", "commit.gpgsign=false"]


@pytest.fixture(scope="module")
def leaked_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository whose last commit adds every secret attack of the corpus at once."""
    from hostile_repo import corpus_dir

    repo = materialize(tmp_path_factory.mktemp("leak") / "repo")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "baseline"]):
        subprocess.run([*GIT, *args], cwd=repo, check=True)
    for attack in SECRET_ATTACKS:
        overlay = corpus_dir() / "attacks" / attack
        for path in overlay.rglob("*"):
            if path.is_file():
                target = repo / path.relative_to(overlay)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    for args in (["add", "-A"], ["commit", "-qm", "leak"]):
        subprocess.run([*GIT, *args], cwd=repo, check=True)
    return repo


def assert_no_secret(text: str) -> None:
    assert "PRIVATE KEY" not in text and "Private Key" not in text
    assert [s for key in WORLD_KEYS for s in secret_spellings(key) if s in text] == []
    assert "hunter2" not in text and "tok_live" not in text and "correct horse" not in text


@pytest.mark.parametrize("fmt", ["markdown", "json"])
def test_review_reports_the_leak_without_repeating_it(leaked_history: Path, fmt: str,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    cli_main(["review", "--repo", str(leaked_history), "HEAD~1", "HEAD", "--at", "2026-11-23T12:00:00Z",
              "--format", fmt])
    report = capsys.readouterr().out
    plain = report.replace("\\_", "_")
    assert "redaction.private_key" in plain and "redaction.admin_material" in plain   # the last identity wins
    assert_no_secret(report)


def test_bundle_export_carries_no_secret(leaked_history: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "bundle.json"
    cli_main(["bundle", "export", "alpha", "--repo", str(leaked_history), "--out", str(out),
              "--at", "2026-11-23T12:00:00Z"])
    capsys.readouterr()
    data = out.read_bytes()
    assert_no_secret(data.decode("utf-8"))
    assert "bundle.json" not in seed_leaks({"bundle.json": data, **read_tree(leaked_history / "sovereigns")})
