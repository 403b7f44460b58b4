"""The stages the benchmark runs, as the command lines a user or CI would type.

A stage whose command is not on this branch yet (the site, history, pin and review commands
land separately) is reported as not measured, with the reason, instead of failing the run.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from bench.synth import NOW

BUILD_RATE = 1000          # pages/s, every build stage
MKDOCS_RATIO = 20          # the cold build's pages/s over mkdocs's on the same page count
BUILD_TARGET = f">= {BUILD_RATE:,} pages/s"

AT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Stage:
    name: str
    command: list[str] | None          # None: not measurable on this branch
    missing: str = ""
    env: dict[str, str] = field(default_factory=dict)
    output: str | None = None           # file name (under the run directory) for stdout
    floor: str = ""                     # which floor the stage is compared with
    target: str = ""
    before: Callable[[], None] | None = None   # run before the stage, not measured
    cleanup: Callable[[], None] | None = None  # run once after the last stage, even on failure


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"publisher.cli.cmd_{name}") is not None


@cache
def help_text(command: str, repo_root: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "publisher", command, "--help"], cwd=repo_root,
                          capture_output=True, text=True, check=False)
    return done.stdout


def handshake(*args: str) -> list[str]:
    return [sys.executable, "-m", "publisher", *args]


def verify_stages(repo: Path, repo_root: Path, cache: Path, jobs: int) -> list[Stage]:
    extra = ["--no-history"] if "--no-history" in help_text("verify", repo_root) else []
    base = handshake("verify", str(repo), "--at", AT, "--jobs", str(jobs), *extra)
    env = {"HANDSHAKE_CACHE_DIR": str(cache)}
    stages = [
        Stage("verify (cold)", base, env=env, output="verify-cold.txt",
              floor="signatures / cores", target="<= 1.5x floor"),
        Stage("verify (no change)", base, env=env, output="verify-warm.txt",
              floor="signatures / cores", target="< 1 s"),
    ]
    if extra:
        # The command as CI runs it (the history checks included), on the same cache: the first
        # run walks the history once, the next answers it from the cache. The build that follows
        # (as in CI) reads its change channel from what this walk kept.
        full = handshake("verify", str(repo), "--at", AT, "--jobs", str(jobs))
        stages.append(Stage("verify + history (first walk)", full, env=env, output="verify-history.txt",
                            floor="signatures / cores", target="informational"))
        stages.append(Stage("verify + history (no change)", full, env=env, output="verify-history-warm.txt",
                            floor="signatures / cores", target="< 1 s"))
    if "--rev" in help_text("verify", repo_root):
        rev = [*base, "--rev", "HEAD"]
        stages.append(Stage("verify --rev HEAD (cold)", rev, env={"HANDSHAKE_CACHE_DIR": str(cache) + "-rev"},
                            output="verify-rev-cold.txt", floor="signatures / cores", target="<= 1.5x floor"))
        stages.append(Stage("verify --rev HEAD (no change)", rev, env={"HANDSHAKE_CACHE_DIR": str(cache) + "-rev"},
                            output="verify-rev-warm.txt", floor="signatures / cores", target="< 1 s"))
    return stages


def build_stages(repo: Path, site: Path, cache: Path, jobs: int) -> list[Stage]:
    if not has_command("build"):
        return [Stage("build", None, "`handshake build` is not on this branch yet (site helper)"),
                Stage("build (no change)", None, "`handshake build` is not on this branch yet")]
    command = handshake("build", str(repo), "--out", str(site), "--at", AT, "--jobs", str(jobs))
    env = {"HANDSHAKE_CACHE_DIR": str(cache)}
    return [Stage("build", command, env=env, output="build.txt", floor="mkdocs / hugo pages per second",
                  target=f"{BUILD_TARGET} and >= {MKDOCS_RATIO}x mkdocs"),
            Stage("build (no change)", command, env=env, output="build-warm.txt",
                  floor="mkdocs / hugo pages per second", target=BUILD_TARGET)]


HISTORY_SNIPPET = """
import sys
from publisher.cache import open_cache
from publisher.history.load import history_findings, read_history
history, problems = read_history(sys.argv[1], cache=open_cache(sys.argv[1]))
found = problems + history_findings(history)
print(len(found))
"""


def history_stages(repo: Path, cache: Path) -> list[Stage]:
    """Pin and the history checks with nothing cached; then as CI runs them,
    sharing one cache (`cache`, emptied by the caller): pin reads git log and keeps it, the
    history checks reuse it (publisher.history.logcache), and a second run reuses their result."""
    stages = []
    history = [sys.executable, "-c", HISTORY_SNIPPET, str(repo)]
    shared = {"HANDSHAKE_CACHE_DIR": str(cache)}
    stages.append(Stage("history checks (nothing cached)", history, env={"HANDSHAKE_NO_CACHE": "1"},
                        output="history-cold.txt", floor="git log --raw", target="pin + history <= 3x floor"))
    if has_command("pin"):
        # Its own stage: pin on a cache also keeps the log, which costs it 0.2-0.4 s more.
        stages.append(Stage("pin (--check, nothing cached)", handshake("pin", str(repo), "--check"),
                            env={"HANDSHAKE_NO_CACHE": "1"}, output="pin-cold.txt", floor="git log --raw",
                            target="pin + history <= 3x floor"))
        stages.append(Stage("pin (--check)", handshake("pin", str(repo), "--check"), env=shared, output="pin.txt",
                            floor="git log --raw", target="pin + history <= 3x floor"))
    else:
        stages.append(Stage("pin", None, "`handshake pin` is not on this branch yet (history helper)"))
    stages.append(Stage("history checks", history, env=shared, output="history.txt", floor="git log --raw",
                        target="pin + history <= 3x floor"))
    stages.append(Stage("history checks (no change)", history, env=shared, output="history-warm.txt",
                        floor="git log --raw", target="< 1 s"))
    if has_command("review"):
        stages.append(Stage("review (one-file change)", handshake(
            "review", "main", "proposal", "--repo", str(repo), "--format", "json", "--at", AT),
            output="review.json", floor="", target="< 0.5 s"))
        keyed = KeyHistoryBranch(repo)
        stages.append(Stage("review (key-history change)", handshake(
            "review", "main", KeyHistoryBranch.BRANCH, "--repo", str(repo), "--format", "json", "--at", AT),
            output="review-keyed.json", floor="", target="informational", before=keyed.make, cleanup=keyed.drop))
        removed = CoalitionRemovedBranch(repo)
        stages.append(Stage("review (coalition.json removed)", handshake(
            "review", "main", CoalitionRemovedBranch.BRANCH, "--repo", str(repo), "--format", "json", "--at", AT),
            output="review-no-coalition.json", floor="", target="informational", before=removed.make,
            cleanup=removed.drop))
    else:
        stages.append(Stage("review (one-file change)", None,
                            "`handshake review` is not on this branch yet (history helper)"))
    return stages


class _Branch:
    """A branch on main made with git's plumbing (one change to main's tree, never checked
    out), removed after the run."""

    BRANCH = ""
    MESSAGE = ""

    def __init__(self, repo: Path) -> None:
        self.repo = repo

    def _git(self, *args: str, env: dict[str, str] | None = None, data: bytes | None = None) -> str:
        return subprocess.run(["git", "-C", str(self.repo), *args], input=data, capture_output=True, check=True,
                              env={**os.environ, **(env or {})}).stdout.decode().strip()

    def change(self, index: dict[str, str]) -> None:
        """Edit the index (`index`: the environment naming it) that becomes the branch's tree."""
        raise NotImplementedError

    def make(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            index = {"GIT_INDEX_FILE": str(Path(folder) / "index")}
            self._git("read-tree", "main", env=index)
            self.change(index)
            tree = self._git("write-tree", env=index)
        commit = self._git("commit-tree", tree, "-p", "main", "-m", self.MESSAGE,
                           env={"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@example.org",
                                "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.org"})
        self._git("update-ref", f"refs/heads/{self.BRANCH}", commit)

    def drop(self) -> None:
        subprocess.run(["git", "-C", str(self.repo), "update-ref", "-d", f"refs/heads/{self.BRANCH}"],
                       capture_output=True, check=False)


class KeyHistoryBranch(_Branch):
    """Rewrites one sovereign's key-history.json (its bytes, one more line break): a change to
    a sovereign's keys, which a review follows to every folder that names it
    (publisher.review.referrers)."""

    BRANCH = "bench-key-history"
    MESSAGE = "Rewrite one key history"

    def change(self, index: dict[str, str]) -> None:
        first = self._git("ls-tree", "--name-only", "main", "sovereigns/").splitlines()[0]
        path = f"{first}/key-history.json"
        blob = self._git("hash-object", "-w", "--stdin", data=self._git("show", f"main:{path}").encode() + b"\n\n")
        self._git("update-index", "--cacheinfo", f"100644,{blob},{path}", env=index)


class CoalitionRemovedBranch(_Branch):
    """Removes coalition.json: every folder's membership changes, the widest review a
    one-file change makes (each folder is read for its genesis, publisher.review.collect)."""

    BRANCH = "bench-no-coalition"
    MESSAGE = "Remove coalition.json"

    def change(self, index: dict[str, str]) -> None:
        self._git("update-index", "--force-remove", "coalition.json", env=index)


class OneFileEdit:
    """The `proposal` branch's one new treaty, written into the working tree and taken out
    again: what an operator's verify and build meet after editing one file."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self.path: Path | None = None
        self.before: bytes | None = None   # the file's bytes before the edit (None: it was not there)

    def apply(self) -> None:
        if self.path is not None:
            return                       # applied by the stage before
        name = subprocess.run(["git", "-C", str(self.repo), "diff", "--name-only", "main", "proposal"],
                              capture_output=True, text=True, check=True).stdout.split()[0]
        data = subprocess.run(["git", "-C", str(self.repo), "show", f"proposal:{name}"],
                              capture_output=True, check=True).stdout
        self.path = self.repo / name
        self.before = self.path.read_bytes() if self.path.is_file() else None
        self.path.write_bytes(data)
        # Older than the racy window (publisher.source.RACY_NS), as a file saved before a command
        # is typed: a file changed in the last 2 s is never vouched for by its stat stamp.
        time.sleep(2.1)

    def revert(self) -> None:
        """The file as it was: removed when the edit added it, else its bytes put back."""
        if self.path is not None:
            if self.before is None:
                self.path.unlink(missing_ok=True)
            else:
                self.path.write_bytes(self.before)
            self.path = self.before = None


def one_file_stages(repo: Path, site: Path, cache: Path, jobs: int) -> list[Stage]:
    """verify, then build, after one file was added to the working tree, on the cache and over
    the site the stages before left (as an operator, or CI with a kept cache, meets them). Run
    last: the change leaves the tree's stat stamps different from the ones the other stages
    remembered."""
    edit = OneFileEdit(repo)
    env = {"HANDSHAKE_CACHE_DIR": str(cache)}
    verify = handshake("verify", str(repo), "--at", AT, "--jobs", str(jobs), "--no-history")
    stages = [Stage("verify (one-file change)", verify, env=env, output="verify-one-file.txt",
                    floor="signatures / cores", target="informational", before=edit.apply, cleanup=edit.revert)]
    if has_command("build"):
        stages.append(Stage("build (one-file change)", handshake(
            "build", str(repo), "--out", str(site), "--at", AT, "--jobs", str(jobs)), env=env,
            output="build-one-file.txt", floor="mkdocs / hugo pages per second", target=BUILD_TARGET,
            before=edit.apply, cleanup=edit.revert))
    return stages


class TreatyRevocation:
    """A row revocation by `handshake treaty revoke`, as an operator types it after a
    `handshake verify` (run first, not measured); the file it writes is put back after the
    run. The treaty: the last sovereign's first row that is not revoked."""

    def __init__(self, repo: Path, cache: Path) -> None:
        self.repo, self.cache = repo, cache
        last = sorted(p.name for p in (repo / "sovereigns").iterdir())[-1]
        self.path = repo / "sovereigns" / last / "recognition-treaties.json"
        rows = json.loads(self.path.read_bytes())["recognition_treaties"]
        self.treaty_id = next(row["treaty"]["treaty_id"] for row in rows if row.get("status") != "revoked")
        self.before: bytes | None = None

    def prepare(self) -> None:
        self.before = self.path.read_bytes()
        env = {name: value for name, value in os.environ.items() if name != "HANDSHAKE_NO_CACHE"}
        subprocess.run(handshake("verify", str(self.repo), "--at", AT, "--no-history"), capture_output=True,
                       check=False, env={**env, "HANDSHAKE_CACHE_DIR": str(self.cache)})

    def revert(self) -> None:
        if self.before is not None:
            self.path.write_bytes(self.before)
            self.before = None


def authoring_stages(repo: Path, cache: Path) -> list[Stage]:
    """One authoring command at the repository's scale, after a verify, on the verify stages'
    cache: it verifies before, as planned and (unless the disk provably holds the plan) as
    written (publisher.authoring.writer)."""
    if not has_command("treaty"):
        return [Stage("authoring: treaty revoke (one row)", None, "`handshake treaty` is not on this branch")]
    revocation = TreatyRevocation(repo, cache)
    command = handshake("treaty", "revoke", revocation.treaty_id, "--repo", str(repo), "--at", AT,
                        "--reason", "member_departed")
    return [Stage("authoring: treaty revoke (one row)", command, env={"HANDSHAKE_CACHE_DIR": str(cache)},
                  output="authoring-revoke.txt", target="informational", before=revocation.prepare,
                  cleanup=revocation.revert)]
