"""The operator walkthrough, end to end through the real `handshake` command line: from nothing
to two verifying sovereigns with treaties, a revocation feed and roll calls, an NA key
rotation, and never a private key under the repository (a git checkout)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def handshake(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "publisher", *args], cwd=cwd, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, f"handshake {' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
    assert "Traceback" not in proc.stderr
    return proc


def test_from_nothing_to_a_verifying_coalition_using_only_handshake(tmp_path: Path) -> None:
    offline, repo = tmp_path / "offline", tmp_path / "coalition"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    run = lambda *args: handshake(*args, cwd=repo)  # noqa: E731

    # 1. Keys, generated on an offline medium, never inside the repository.
    for name, role in (("aurora-root", "root"), ("aurora-na", "na"), ("borealis-root", "root"),
                       ("borealis-na", "na")):
        run("keygen", "--role", role, "--out", str(offline / name), "--key-id", name)
    refused = subprocess.run([sys.executable, "-m", "publisher", "keygen", "--role", "na", "--out", "keys/na"],
                             cwd=repo, capture_output=True, text=True, env={"PYTHONPATH": str(REPO_ROOT)})
    assert refused.returncode == 1 and "git work tree" in refused.stderr
    key = lambda name: str(offline / f"{name}.key")  # noqa: E731

    # 2. Two sovereigns, each verifying at once.
    run("new-sovereign", "aurora", "--root-key", key("aurora-root"), "--na-key", key("aurora-na"),
        "--display-name", "Aurora Commons", "--contact", "mailto:trust@aurora.example",
        "--endpoint", "https://na.aurora.example", "--at", "2026-11-01T09:00:00Z")
    run("new-sovereign", "borealis", "--root-key", key("borealis-root"), "--na-key", key("borealis-na"),
        "--display-name", "Borealis Health", "--at", "2026-11-01T09:30:00Z")

    # 3. Treaties both ways (the subject's current NA key comes from its folder).
    run("treaty", "issue", "aurora", "borealis", "--roles", "client,service:referrals", "--valid-for", "90d",
        "--na-key", key("aurora-na"), "--at", "2026-11-02T10:00:00Z")
    run("treaty", "issue", "borealis", "aurora", "--roles", "operator", "--valid-for", "180d",
        "--na-key", key("borealis-na"), "--at", "2026-11-02T11:00:00Z")

    # 4. A revocation feed, and a roll call naming a continuity partner.
    run("feed", "revoke", "attestation-7f3e", "--reason", "member_departed", "--na-key", key("aurora-na"),
        "--at", "2026-11-03T10:00:00Z")
    run("roll-call", "aurora", "--party", "Lumen Continuity", "--roles", "continuity", "--holds-keys", "",
        "--contact", "https://lumen.example", "--na-key", key("aurora-na"), "--at", "2026-11-03T11:00:00Z")
    report = run("verify", ".", "--at", "2026-11-04T00:00:00Z", "--format", "json")
    assert json.loads(report.stdout)["summary"]["error"] == 0

    # 5. Later: rotate Aurora's NA key, then renew its treaty under the new key.
    run("keygen", "--role", "na", "--out", str(offline / "aurora-na-2"), "--key-id", "aurora-na-2")
    run("na", "rotate", "--root-key", key("aurora-root"), "--new-na-key", key("aurora-na-2"),
        "--na-key", key("aurora-na"), "--at", "2026-12-01T09:00:00Z")
    [treaty] = (repo / "sovereigns" / "aurora" / "treaties").glob("*.json")
    run("treaty", "renew", treaty.stem, "--na-key", key("aurora-na-2"), "--at", "2026-12-01T09:10:00Z")
    shown = run("show-payload", str(treaty), "--at", "2026-12-01T10:00:00Z")
    assert "network-authority key" in shown.stdout

    report = run("verify", ".", "--at", "2026-12-10T00:00:00Z", "--format", "json")
    summary = json.loads(report.stdout)["summary"]
    assert summary["error"] == 0 and summary["sovereigns"] == 2 and summary["treaties"] == 3
    codes = {f["code"] for f in json.loads(report.stdout)["findings"]}
    assert "treaty.replaced" in codes                     # the renewed treaty, by its successor

    # Never a private key under the repository.
    seeds = [line for path in offline.glob("*.key") for line in path.read_text().splitlines()
             if not line.startswith("#")]
    for path in repo.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            text = path.read_text("utf-8")
            assert "Private Key" not in text and not any(seed in text for seed in seeds), path
    assert not list(repo.rglob("*.key"))
