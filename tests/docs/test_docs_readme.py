"""The README's walkthrough runs as written: its shell block, with the offline medium in a
tmp folder, in a fresh git repository, through the real `handshake` command line."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
WALKTHROUGH = re.compile(r"### From nothing to a verifying sovereign\n.*?^```sh\n(.*?)^```", re.S | re.M)


def test_the_readme_walkthrough_runs_as_written(tmp_path: Path) -> None:
    [block] = WALKTHROUGH.findall((REPO_ROOT / "README.md").read_text("utf-8"))
    offline, repo, bin_dir = tmp_path / "offline", tmp_path / "coalition", tmp_path / "bin"
    for folder in (offline, repo, bin_dir):
        folder.mkdir()
    shim = bin_dir / "handshake"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m publisher "$@"\n')
    shim.chmod(0o755)
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONPATH": str(REPO_ROOT), "HOME": str(tmp_path),
           "GIT_AUTHOR_NAME": "Docs", "GIT_AUTHOR_EMAIL": "docs@example.org",
           "GIT_COMMITTER_NAME": "Docs", "GIT_COMMITTER_EMAIL": "docs@example.org", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q"], cwd=repo, env=env, check=True)
    # The key the other sovereign gave you, as the text before the block says.
    subprocess.run([str(shim), "keygen", "--role", "na", "--out", str(offline / "borealis-na")], env=env, check=True,
                   capture_output=True)
    (repo / "borealis-na.pub").write_bytes((offline / "borealis-na.pub").read_bytes())
    script = block.replace("/media/offline", str(offline))
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    assert "1 added" in proc.stdout and (repo / "trust.lock").is_file()
    assert not [p for p in repo.rglob("*.key")] and os.listdir(repo / "sovereigns") == ["aurora"]
