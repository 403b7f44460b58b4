"""The pre-commit hooks this repository ships (.pre-commit-hooks.yaml) refuse the corpus's
private keys, run for real through `pre-commit try-repo` (offline: both hooks need no
environment). CI refuses them too: .ci/run runs the test suite, whose
test_repository_tracks_no_private_key fails on a tracked key; the CI templates run
`handshake verify`, which reports redaction.private_key."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_repo import corpus_dir

ROOT = Path(__file__).resolve().parents[2]
KEY_FILES = {
    "backup.pem": "private-key-pem-file/sovereigns/alpha/backup.pem",
    "na.key": "private-key-genesis-mesh-file/sovereigns/alpha/keys/na.key",
    "root.key": "private-key-bare-seed-file/sovereigns/alpha/keys/root.key",
    "README.md": "private-key-pem-in-readme/sovereigns/alpha/README.md",
}


def pre_commit() -> list[str]:
    found = shutil.which("pre-commit", path=str(Path(sys.executable).parent)) or shutil.which("pre-commit")
    if found is None:
        pytest.fail("pre-commit is not installed: pip install -e '.[test]'", pytrace=False)
    return [found]


def try_hook(hook: str, folder: Path, files: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PRE_COMMIT_COLOR": "never"}
    return subprocess.run([*pre_commit(), "try-repo", str(ROOT), hook, "--files", *files],
                          cwd=folder, capture_output=True, text=True, env=env, check=False)


@pytest.fixture
def staged(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    for name, source in KEY_FILES.items():
        shutil.copy(corpus_dir() / "attacks" / source, folder / name)
    (folder / "na.pub").write_text("# Ed25519 Public Key\nc0ZFeJruA4rsrsRtqw9ERPh/Pq/AUJ8ZNONM330VU6U=\n")
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    subprocess.run(["git", "add", "-A"], cwd=folder, check=True)
    return folder


def test_hooks_file_is_committed() -> None:
    tracked = subprocess.run(["git", "ls-files", ".pre-commit-hooks.yaml"], cwd=ROOT, capture_output=True,
                             text=True, check=False).stdout.split()
    assert tracked == [".pre-commit-hooks.yaml"]


def test_content_hook_refuses_pem_and_genesis_mesh_keys(staged: Path, tmp_path: Path) -> None:
    run = try_hook("handshake-no-private-keys", staged, sorted(KEY_FILES) + ["na.pub"], tmp_path / "home")
    assert run.returncode == 1, run.stdout + run.stderr
    refused = {line.split(":", 1)[0] for line in run.stdout.splitlines() if ":" in line and not line.startswith("-")}
    assert {"backup.pem", "na.key", "README.md"} <= refused and "na.pub" not in refused


def test_name_hook_refuses_key_files_even_without_a_header(staged: Path, tmp_path: Path) -> None:
    run = try_hook("handshake-no-key-files", staged, ["root.key", "na.key", "na.pub"], tmp_path / "home")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "root.key" in run.stdout and "na.key" in run.stdout and "na.pub" not in run.stdout


def test_public_key_passes_both_hooks(staged: Path, tmp_path: Path) -> None:
    for hook in ("handshake-no-private-keys", "handshake-no-key-files"):
        run = try_hook(hook, staged, ["na.pub"], tmp_path / "home")
        assert run.returncode == 0, (hook, run.stdout + run.stderr)
