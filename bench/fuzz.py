#!/usr/bin/env python3
"""Fuzz `handshake verify` (or `review`, `bundle import`, `import-na`) on a small repository for
a fixed budget; report inputs and crashes.

The repository is the hostile corpus's world (tests/hostile): two sovereigns, one with a
verified NA key succession, built in memory from fixed seeds and written to a temporary
directory. Each input picks one file (or a new one) and replaces its bytes: raw fuzzer bytes,
the original JSON mutated by the fuzzer, the same re-signed with the right fixed-seed key (so
the checks after the signature run too), or the original with fuzzer bytes spliced in.

--command verify (default): the file is written into the work tree and
`handshake verify --format json|text` runs in-process on it.
--command review: the repository is a git repository whose branch main holds the world in
one base commit; the file is committed as a child of it (a pull request changing one file,
committer date drawn from COMMIT_DATES, the author's to choose) and
`handshake review BASE HEAD --format json|markdown` runs in-process, as CI runs it on
untrusted pull requests. The commit is dropped after each input: the base never changes.

--command bundle-import: each input is a trust bundle another coalition sent, mutated from a
seed bundle (the world's alpha and beta exported in-process, genesis-mesh-shaped ones for
alpha and for gamma, a sovereign not pinned here), under a name the input picks, and
`handshake bundle import FILE` runs in-process on the world (optionally twice: the second
import must be a no-op, or a refusal over a foreign file planted at the receipt path).
--command import-na: each input changes one of alpha's NA endpoint bodies saved in a folder
(or adds a policy or a single treaty row), and `handshake import-na DIR` runs in-process into
an empty repository, the world without alpha's folder, or the whole world, with the root
given, accepted on first use, or neither. Both put every repository and the foreign folder
back exactly after each input, and count as a crash, besides the above: a traceback in the
output, an exit status other than 0 or 1, a file changed outside imports/ (bundle) or outside
the imported sovereign's folder and its trust.lock pin (import-na), anything written when the
command refused, a receipt whose trust_granted is not false or whose bundle_hash is not the
bundle's, an endpoint body not written as received (see BundleImportTarget, ImportNaTarget).
The mutations add extreme values (deep nesting, huge numbers and strings) at one node.

A crash is any exception out of the command, an exit status other than 0 or 1, output that is
not the complete report (review: a JSON summary that miscounts its changes, a markdown comment
without its marker or counts, or longer than a GitHub comment holds), an `internal.*` code
(review: an introduced finding) or an unregistered code. Each crash is saved under --out (the
command, its options, the target path and bytes) to become a hostile-corpus file; fuzzing goes
on. Inputs slower than --slow-seconds are saved as slow-*.json (denial-of-service candidates).
Engines: atheris (coverage-guided libFuzzer, `pip install atheris`) when importable, otherwise
`random` (seeded random mutations, no coverage guidance).

Usage: python bench/fuzz.py [--command verify|review|bundle-import|import-na] [--seconds 600] [--max-inputs N]
                            [--engine atheris|random] [--out bench/out/fuzz] [--seed 0]
Exit status: 0 when no crash was found, 1 otherwise.
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import copy
import hashlib
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from collections.abc import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "hostile")]
world: Any = None   # tests/hostile/hostile_world, imported in main() after atheris instruments publisher

AT = "2026-11-23T12:00:00Z"
A, B = "sovereigns/alpha", "sovereigns/beta"
NEW_FILES = (f"{A}/README.md", f"{A}/keys/operator.pub", f"{A}/treaties/new.json", f"{A}/policy.json",
             f"{A}/recognition-policy.json", f"{A}/genesis.json", f"{B}/revocation-feed.json",
             "sovereigns/gamma/genesis.signed.json")
HOSTILE_STRINGS = ("", "\u202e", "javascript:alert(1)", "<script>alert(1)</script>", "\ud800", "../../x",
                   "A" * 70_000, "-----BEGIN PRIVATE KEY-----", "2026-11-23T12:00:00+00:00", "\x00",
                   "sha256:" + "0" * 64, "alpha", "beta", "mailto:", "https://", "NaN",
                   "https://" + "a" * 60_000 + " ", "mailto:" + "a" * 60_000 + "\n",
                   # timestamps at the edges of the datetime range (a treaty valid from year 1
                   # once crashed the lifecycle check)
                   "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "0001-01-01T00:04:59Z",
                   "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+00:01")
HOSTILE_NUMBERS = (0, -1, 1, 2**63, 2**64, -(2**63) - 1, 1e308, -0.0, 0.5, 10**20)
TOKENS = ('"signatures"', '"sig"', '"key_id"', '"treaty_id"', '"issuer_sovereign_id"', '"successions"',
          '"root_public_key"', '"network_authority"', "NaN", "Infinity", "1e400", "-0", '"\\ud800"',
          "\\u0000", "[[[[[[[[", "{{{{", "\ufeff", '"status"', '"revoked"', "null", "true")


def build_repository() -> dict[str, bytes]:
    """The fuzzing repository: the corpus baseline after a complete, valid NA key succession."""
    import hostile_attacks
    files = world.baseline()
    hostile_attacks.rotate_alpha(files, complete=True)
    return files


def signer_for(path: str) -> tuple[str, world.Key] | None:
    """The document kind and the fixed-seed key that legitimately signs the file at `path`."""
    member = world.ALPHA if path.startswith(A + "/") else world.BETA if path.startswith(B + "/") else None
    if member is None:
        return None
    na = member.na2 if member is world.ALPHA else member.na
    name = path.split("/", 2)[2]
    if name == "genesis.signed.json":
        return "genesis-block", member.root
    if name.startswith("treaties/"):
        return "recognition-treaty", na
    return {"revocation-feed.json": ("revocation-feed", na), "roll-call.json": ("roll-call", na),
            "policy.json": ("policy-manifest", na)}.get(name)


class Choices:
    """Decisions drawn from the fuzzer's bytes (atheris) or from a seeded generator (random)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            return 0
        self.pos += 1
        return self.data[self.pos - 1]

    def below(self, n: int) -> int:
        return (self.byte() | self.byte() << 8) % n if n > 1 else 0

    def chunk(self) -> bytes:
        size = self.below(64)
        out = self.data[self.pos:self.pos + size]
        self.pos += size
        return out

    def rest(self) -> bytes:
        return self.data[self.pos:]


def scalar(c: Choices) -> Any:
    kind = c.below(6)
    if kind == 0:
        return c.chunk().decode("utf-8", "replace")
    if kind == 1:
        return HOSTILE_STRINGS[c.below(len(HOSTILE_STRINGS))]
    if kind == 2:
        return HOSTILE_NUMBERS[c.below(len(HOSTILE_NUMBERS))]
    if kind == 3:
        return [None, True, False][c.below(3)]
    if kind == 4:
        return {} if c.below(2) else []
    return c.below(1 << 16) - (1 << 15)


def mutate_value(value: Any, c: Choices) -> Any:
    """One structural change at a node chosen by walking down the value."""
    if isinstance(value, (dict, list)) and value and c.below(3):
        keys = sorted(value) if isinstance(value, dict) else list(range(len(value)))
        key = keys[c.below(len(keys))]
        out = copy.copy(value)
        out[key] = mutate_value(value[key], c)
        return out
    op = c.below(6)
    if op == 0 and isinstance(value, dict) and value:
        keys = sorted(value)
        return {k: v for k, v in value.items() if k != keys[c.below(len(keys))]}
    if op == 1 and isinstance(value, dict):
        name = TOKENS[c.below(len(TOKENS))].strip('"') if c.below(2) else c.chunk().decode("utf-8", "replace")
        return {**value, name: scalar(c)}
    if op == 2 and isinstance(value, list):
        return value + [copy.deepcopy(value[c.below(len(value))]) if value else scalar(c)]
    if op == 3 and isinstance(value, str) and value:
        i = c.below(len(value))
        return value[:i] + chr(c.below(0x3000)) + value[i + 1:]
    if op == 4:
        return [value] if c.below(2) else {"n": value}
    return scalar(c)


def render(value: Any, c: Choices) -> bytes:
    indent = [None, 2, 0][c.below(3)]
    return json.dumps(value, indent=indent, ensure_ascii=bool(c.below(2)), sort_keys=bool(c.below(2))
                      ).encode("utf-8", "surrogatepass")


_UNREADABLE = object()     # `mutated`'s answer for an original that is not JSON


def spliced(original: bytes, c: Choices) -> bytes:
    """The original with a fuzzer chunk or a JSON token spliced in, over up to 15 bytes."""
    at = c.below(len(original) + 1)
    cut = c.below(16)
    return original[:at] + (c.chunk() or TOKENS[c.below(len(TOKENS))].encode()) + original[at + cut:]


def mutated(original: bytes, c: Choices) -> Any:
    """The original's JSON value mutated one to three times, or _UNREADABLE."""
    try:
        value = json.loads(original)
    except ValueError:
        return _UNREADABLE
    for _ in range(1 + c.below(3)):
        value = mutate_value(value, c)
    return value


# Extreme JSON a mutated document may carry at one node: planted as a sentinel string, then
# replaced in the rendered text (json.dumps cannot write most of them).
EXTREMES = ("[" * 100_000 + "]" * 100_000, '{"a":' * 5_000 + "0" + "}" * 5_000, "1" + "0" * 5_000,
            "1e999999", "-1e-999999", "123456789" * 1_000, '"' + "A" * 1_500_000 + '"',
            "[" + ",".join(["0"] * 200_000) + "]", '"' + "\\ud800" * 1_000 + '"', '"\\u0000"')


def _sentinel(index: int) -> str:
    return f"\x00EXTREME:{index}\x00"


def plant(value: Any, c: Choices, sentinel: str) -> Any:
    """`value` with the node reached by walking down it replaced by `sentinel`."""
    if isinstance(value, (dict, list)) and value and c.below(3):
        keys = sorted(value) if isinstance(value, dict) else list(range(len(value)))
        key = keys[c.below(len(keys))]
        out = copy.copy(value)
        out[key] = plant(value[key], c, sentinel)
        return out
    return sentinel


def fuzzed_content(original: bytes | None, c: Choices, resign: Callable[[Any], Any], *,
                   extremes: bool = False) -> bytes:
    """A file's content from the input. Modes: 0 raw bytes; 1 the original's JSON mutated;
    2 mutated, then re-signed by `resign` (so the checks after the signature run); with
    `extremes` (a file a stranger wrote), 3 mutated with one node replaced by an extreme value
    (deep nesting, a 5,000-digit number, a 1.5 MB string, 200,000 items); last, a splice."""
    mode = c.below(5 if extremes else 4) if original is not None else 0
    if mode == 0 or original is None:
        return c.rest()
    if mode == (4 if extremes else 3):
        return spliced(original, c)
    value = mutated(original, c)
    if value is _UNREADABLE:
        return c.rest()
    extreme = c.below(len(EXTREMES)) if extremes and mode == 3 else None
    if extreme is not None:
        value = plant(value, c, _sentinel(extreme))
    if mode == 2:
        value = resign(value)
    text = render(value, c)
    if extreme is not None:
        text = text.replace(json.dumps(_sentinel(extreme)).encode(), EXTREMES[extreme].encode(), 1)
    return text


def resign_for(path: str) -> Callable[[Any], Any]:
    """Re-signing for a mutated world file at `path`: by its signer, and a key history's
    succession records by theirs."""
    signer = signer_for(path)

    def again(value: Any) -> Any:
        if signer and isinstance(value, dict):
            value = world.signed(value, signer[0], signer[1])
        if path.endswith("key-history.json") and isinstance(value, dict):
            value = resign_successions(value)
        return value
    return again


def resign_successions(history: dict[str, Any]) -> dict[str, Any]:
    """Each succession record re-signed by the root and by those of its new and previous keys
    whose seeds the world knows, so the chain rules after the signatures are exercised."""
    records = history.get("successions")
    if not isinstance(records, list):
        return history
    keys = {k.public: k for m in (world.ALPHA, world.BETA) for k in (m.root, m.na, m.na2, m.operator)}
    out = []
    for record in records:
        if isinstance(record, dict):
            member = world.ALPHA if record.get("sovereign_id") != "beta" else world.BETA
            named = (record.get("new_public_key"), record.get("previous_public_key"))
            signers = [member.root] + [keys[k] for k in named if isinstance(k, str) and k in keys]
            record = world.signed(record, "key-succession-record", *signers)
        out.append(record)
    return {**history, "successions": out}


class Target:
    """One fuzz input -> one `handshake verify` run on the repository; counts and saves crashes."""

    command = "verify"
    formats = ("json", "text")
    seed_options = b"\x01\x00"            # the choices `options` reads: json

    def __init__(self, repo: Path, files: dict[str, bytes], out: Path) -> None:
        from publisher.cli import main
        from publisher.codes import REGISTRY
        self.main, self.registry = main, REGISTRY
        self.repo, self.files, self.out = repo, files, out
        self.slots = sorted(files) + list(NEW_FILES)
        self.inputs = self.crashes = self.slow = 0
        self.slowest = 0.0
        self.slow_seconds = 10.0
        self.codes: dict[str, int] = {}

    def close(self) -> None:
        """Remove what the target created besides the repository (main removes that)."""

    def options(self, c: Choices) -> dict[str, str]:
        """The command's options drawn from the input, after the path and before the content."""
        return {"format": self.formats[0] if c.below(4) else self.formats[1]}

    def __call__(self, data: bytes) -> None:
        c = Choices(data)
        path = self.slots[c.below(len(self.slots))]
        options = self.options(c)
        content = fuzzed_content(self.files.get(path), c, resign_for(path))
        self.run_input(path, content, options)

    def run_input(self, path: str, content: bytes, options: dict[str, str]) -> None:
        """One input attempted, timed, and saved when it crashed or was slow."""
        self.inputs += 1
        started = time.monotonic()
        problem = self.attempt(path, content, options)
        took = time.monotonic() - started
        self.slowest = max(self.slowest, took)
        if problem:
            self.crashes += 1
            self.save("crash", path, content, options, problem)
        elif took > self.slow_seconds:   # a denial-of-service candidate, kept for a benchmark
            self.slow += 1
            self.save("slow", path, content, options, f"took {took:.1f} s")

    def attempt(self, path: str, content: bytes, options: dict[str, str]) -> str | None:
        """The input's file written into the work tree, verify run, the file restored."""
        target = self.repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        try:
            return self.run(options["format"])
        finally:
            if path in self.files:
                target.write_bytes(self.files[path])
            else:
                target.unlink()

    def baseline(self) -> str | None:
        """The problem of the unchanged repository (None: it is fit to fuzz)."""
        return self.run("json")

    def invoke(self, argv: list[str]) -> tuple[str | None, str]:
        """(problem, stdout) of the command run in-process; a problem is an escape or a bad status."""
        stdout, stderr = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                status = self.main(argv)
        except BaseException as exc:  # noqa: BLE001 - every escape is the crash we look for
            return f"{type(exc).__name__}: {exc}"[:500], ""
        if status not in (0, 1):
            return f"exit status {status}: {stderr.getvalue()[:300]}", ""
        return None, stdout.getvalue()

    def check_codes(self, codes: list[str]) -> str | None:
        for code in set(codes):
            self.codes[code] = self.codes.get(code, 0) + 1
        internal = sorted(code for code in set(codes) if code.startswith("internal."))
        if internal:
            return ", ".join(internal)
        unknown = sorted(set(codes) - set(self.registry))
        return f"unregistered codes {unknown}" if unknown else None

    def run(self, fmt: str) -> str | None:
        problem, text = self.invoke(["verify", str(self.repo), "--at", AT, "--format", fmt, "--jobs", "1"])
        if problem:
            return problem
        if fmt == "text":
            return None if text.rstrip().endswith(("OK", "FAILED")) else "text report without summary"
        try:
            codes = [f["code"] for f in json.loads(text)["findings"]]
        except (ValueError, KeyError, TypeError) as exc:
            return f"unreadable JSON report: {exc}"
        return self.check_codes(codes)

    def save(self, kind: str, path: str, content: bytes, options: dict[str, str], problem: str) -> None:
        digest = self.digest(path, content, options)
        self.out.mkdir(parents=True, exist_ok=True)
        record = {"command": self.command, **options, "path": path, "problem": problem,
                  "content_base64": base64.b64encode(content).decode("ascii")}
        (self.out / f"{kind}-{digest}.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")

    def digest(self, path: str, content: bytes, options: dict[str, str]) -> str:
        return hashlib.sha256(path.encode() + b"\0" + content).hexdigest()[:16]

    def report(self, engine: str, seconds: float) -> dict[str, Any]:
        return {"command": self.command, "engine": engine, "inputs": self.inputs, "crashes": self.crashes,
                "ms_per_input": round(1000 * seconds / self.inputs, 1) if self.inputs else None,
                "slow_inputs": self.slow, "slowest_input_seconds": round(self.slowest, 2),
                "seconds": round(seconds, 1), "crash_dir": str(self.out),
                "distinct_codes": len(self.codes), "codes": dict(sorted(self.codes.items()))}


# Committer dates of the pull request's head commit (the review's evaluation time): the
# author of a pull request chooses them. Git's own range: 1970 to 9999.
COMMIT_DATES = ("@1795435200 +0000",) * 5 + ("@0 +0000", "@253402300799 +0000", "@1795435200 -2359")
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "fuzz", "GIT_AUTHOR_EMAIL": "fuzz@example.invalid",
                "GIT_COMMITTER_NAME": "fuzz", "GIT_COMMITTER_EMAIL": "fuzz@example.invalid",
                "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0"}


def git(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str:
    """stdout of `git ARGS` in `repo` with a fixed identity, no user or system configuration."""
    run = subprocess.run(["git", *args], cwd=repo, input=data, capture_output=True, check=True,
                         env={**os.environ, **GIT_IDENTITY, **(env or {})})
    return run.stdout.decode().strip()


def init_repository(repo: Path, files: dict[str, bytes]) -> str:
    """A git repository at `repo` whose branch main holds `files` in one commit; its id."""
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "gc.auto", "0")
    git(repo, "add", "-A")
    dates = {"GIT_AUTHOR_DATE": COMMIT_DATES[0], "GIT_COMMITTER_DATE": COMMIT_DATES[0]}
    git(repo, "commit", "-q", "--no-verify", "-m", "base", env=dates)
    return git(repo, "rev-parse", "HEAD")


class ReviewTarget(Target):
    """One fuzz input -> a pull request's head commit changing one file, then `handshake review
    BASE HEAD` in-process. The commit is made with plumbing on a scratch index (blob, tree,
    commit: no work tree, no branch moves; faster than `git commit` + `git reset`), so the
    base commit, branch main and the work tree never change; unreachable commits are pruned
    every PRUNE_EVERY inputs."""

    command = "review"
    formats = ("json", "markdown")
    seed_options = b"\x01\x00\x00\x00"    # json, the first commit date
    PRUNE_EVERY = 500
    COMMENT_LIMIT = 65_536          # characters a GitHub comment holds (render.MARKDOWN_BUDGET's reason)

    def __init__(self, repo: Path, files: dict[str, bytes], out: Path) -> None:
        super().__init__(repo, files, out)
        self.base = git(repo, "rev-parse", "main")
        self.index = repo / ".git" / "fuzz-index"
        self.pristine = repo / ".git" / "index"

    def options(self, c: Choices) -> dict[str, str]:
        fmt = super().options(c)["format"]
        return {"format": fmt, "commit_date": COMMIT_DATES[c.below(len(COMMIT_DATES))]}

    def commit(self, path: str, content: bytes, date: str) -> str:
        """A child of the base commit in which `path` holds `content`; its id."""
        shutil.copyfile(self.pristine, self.index)
        scratch = {"GIT_INDEX_FILE": str(self.index), "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        blob = git(self.repo, "hash-object", "-w", "--stdin", data=content)
        git(self.repo, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", env=scratch)
        tree = git(self.repo, "write-tree", env=scratch)
        return git(self.repo, "commit-tree", tree, "-p", self.base, "-m", "pull request", env=scratch)

    def attempt(self, path: str, content: bytes, options: dict[str, str]) -> str | None:
        head = self.commit(path, content, options["commit_date"])
        try:
            return self.run(options["format"], head)
        finally:
            self.index.unlink(missing_ok=True)
            if self.inputs % self.PRUNE_EVERY == 0:      # the dropped commits, out of .git/objects
                git(self.repo, "prune", "--expire=now")

    def baseline(self) -> str | None:
        return self.run("json", self.base)

    def run(self, fmt: str, head: str = "HEAD") -> str | None:
        problem, text = self.invoke(["review", self.base, head, "--repo", str(self.repo), "--format", fmt])
        if problem:
            return problem
        if fmt == "markdown":
            from publisher.review.render import MARKER
            if not (text.startswith(MARKER + "\n") and text.endswith("\n")
                    and ("change(s):" in text or "No trust change" in text)):
                return "markdown report incomplete"
            return f"markdown report of {len(text):,} characters" if len(text) > self.COMMENT_LIMIT else None
        try:
            report = json.loads(text)
            changes = report["changes"]
            codes = [c["code"] for c in changes] + [c["subject"] for c in changes
                                                   if c["code"] == "change.finding_introduced"]
            counted = sum(report["summary"].values())
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return f"unreadable JSON report: {exc!r}"
        if counted != len(changes):
            return f"summary counts {counted} changes, the report lists {len(changes)}"
        return self.check_codes(codes)


# -- importers of foreign material: `bundle import FILE` and `import-na DIR` ---------------------

TRACEBACK = "Traceback (most recent call last)"
FINDING_LINE = re.compile(r"^ +(?:ERROR|WARNING|INFO) +([a-z0-9_]+(?:\.[a-z0-9_]+)+) ", re.MULTILINE)


Tree = tuple[dict[str, bytes], frozenset[str]]


def snapshot(root: Path) -> Tree:
    """Every file (path -> bytes, symbolic links as `-> target`) and folder under `root`."""
    files: dict[str, bytes] = {}
    folders: set[str] = set()
    for folder, names, filenames in os.walk(root):
        base = Path(folder)
        for name in names + filenames:
            path = base / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                files[rel] = b"-> " + os.fsencode(os.readlink(path))
            elif path.is_dir():
                folders.add(rel)
            else:
                files[rel] = path.read_bytes()
    return files, frozenset(folders)


def tree_changes(before: Tree, after: Tree) -> tuple[list[str], list[str], list[str]]:
    """(added, changed, removed) paths, folders with a trailing slash."""
    (old, old_dirs), (new, new_dirs) = before, after
    added = sorted([p for p in new if p not in old] + [d + "/" for d in new_dirs - old_dirs])
    changed = sorted(p for p in new if p in old and new[p] != old[p])
    removed = sorted([p for p in old if p not in new] + [d + "/" for d in old_dirs - new_dirs])
    return added, changed, removed


def restore_tree(root: Path, tree: Tree) -> None:
    """Put `root` back as `tree` recorded it: new files and folders removed, the rest rewritten
    (only below `root`, a directory this script created)."""
    files, folders = tree
    now_files, now_dirs = snapshot(root)
    for rel in now_files:
        if rel not in files or now_files[rel] != files[rel]:
            (root / rel).unlink()
    for rel in sorted(now_dirs - folders, key=lambda d: -d.count("/")):
        (root / rel).rmdir()
    for rel in sorted(folders):
        (root / rel).mkdir(parents=True, exist_ok=True)
    for rel, data in files.items():
        target = root / rel
        if not target.exists() and not target.is_symlink():
            if data.startswith(b"-> "):
                os.symlink(os.fsdecode(data[3:]), target)
            else:
                target.write_bytes(data)


class ImporterTarget(Target):
    """Shared by the importers: the command's whole output read for a traceback and its codes,
    a repository (and the folder the foreign files are in) compared file by file before and
    after, and put back exactly as it was after every input. Exit statuses: 0 (imported or
    already recorded) and 1 (refused); 2 is misuse, which a file's content never is, since the
    command line is fixed."""

    statuses = (0, 1)

    def __init__(self, repo: Path, files: dict[str, bytes], out: Path, workdir: Path | None = None) -> None:
        super().__init__(repo, files, out)
        self.workdir = workdir            # where the scratch folders go (default: the system's temp)
        self.inbox = Path(tempfile.mkdtemp(prefix="handshake-fuzz-inbox-", dir=workdir))
        self.scratch = [self.inbox]
        self.status: int | None = None
        self.stderr = ""

    def digest(self, path: str, content: bytes, options: dict[str, str]) -> str:
        """The same file under other options (a name, a second import) is another crash."""
        named = json.dumps(options, sort_keys=True).encode() + b"\0" + path.encode() + b"\0" + content
        return hashlib.sha256(named).hexdigest()[:16]

    def close(self) -> None:
        for path in self.scratch:
            shutil.rmtree(path, ignore_errors=True)

    def invoke(self, argv: list[str]) -> tuple[str | None, str]:
        stdout, stderr = io.StringIO(), io.StringIO()
        self.status, self.stderr = None, ""
        try:
            with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                self.status = self.main(argv)
        except BaseException as exc:  # noqa: BLE001 - every escape is the crash we look for
            return f"{type(exc).__name__}: {exc}"[:500], ""
        self.stderr = stderr.getvalue()
        text = stdout.getvalue()
        if self.status not in self.statuses:
            return f"exit status {self.status}: {self.stderr[:300]}", text
        if TRACEBACK in text or TRACEBACK in self.stderr:
            return "a traceback in the output", text
        codes = FINDING_LINE.findall(text) + FINDING_LINE.findall(self.stderr)
        return self.check_codes(codes), text


def seed_world(repo: Path, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)


# File names the bundle arrives under (the receipt records the name, never the path).
BUNDLE_NAMES = ("bundle.json", "trust-bundle", "b\u202enosj.json", "x" * 250 + ".json", "é bundle.json",
                "a\nb.json", "-.json", ".bundle.json", "bundle.json.receipt.json")
# What may already sit at the bundle's receipt path when it is imported a second time.
CONFLICTS: tuple[bytes | None, ...] = (None, b"", b"{}", b"[]", b"\xff\xfe", b'{"bundle_hash": "sha256:0"}',
                                       b"-> symlink", b'{"bundle_hash": "%s", "workflow": "other"}')


class BundleImportTarget(ImporterTarget):
    """One fuzz input -> a trust bundle another coalition sent, mutated from one of the seed
    bundles (exported from the world in-process, and genesis-mesh-shaped ones), then
    `handshake bundle import FILE` in-process against the world repository. Options: the
    file's name, and whether the same bundle is imported again (it must be a no-op) or again
    over a foreign file planted at its receipt path (it must be refused, the file untouched).

    A crash, besides an escape, a bad status, a traceback, an internal or unregistered code:
    a receipt written when the command refused; a receipt that is not JSON, whose
    trust_granted is not false, whose bundle_hash is not the bundle's, or that records
    validation errors or a rejected genesis; more than one file written, or a file written
    outside imports/ (the world's trust files changed, the bundle's folder touched)."""

    command = "bundle-import"
    seed_options = b"\x00\x00\x00\x00"   # bundle.json, imported once

    def __init__(self, repo: Path, files: dict[str, bytes], out: Path, workdir: Path | None = None) -> None:
        super().__init__(repo, files, out, workdir)
        self.bundles = self.seed_bundles()
        self.files = self.bundles             # the slots: one per seed bundle
        self.slots = sorted(self.bundles)
        self.pristine = snapshot(repo)

    def seed_bundles(self) -> dict[str, bytes]:
        out = {}
        for sid in ("alpha", "beta"):
            problem, text = self.invoke(["bundle", "export", sid, "--repo", str(self.repo), "--at", AT])
            if problem or self.status != 0:
                raise SystemExit(f"cannot export {sid}'s bundle from the fuzz world: {problem or self.stderr}")
            out[f"export/{sid}.json"] = text.encode("utf-8")
        exported = json.loads(out["export/alpha.json"])
        self.gamma = world.Member("gamma")
        out["gm/gamma.json"] = world.dump(reference_bundle(self.gamma, sections=True))     # not pinned here
        out["gm/alpha.json"] = world.dump({**reference_bundle(world.ALPHA, sections=False),
                                           "connectome": exported["connectome"]})
        return out

    def options(self, c: Choices) -> dict[str, str]:
        name = BUNDLE_NAMES[c.below(len(BUNDLE_NAMES))]
        again = c.below(4)
        conflict = CONFLICTS[c.below(len(CONFLICTS))] if again == 3 else None
        return {"name": name, "again": "no" if again < 2 else "same" if again == 2 else "over",
                **({"conflict": conflict.decode("latin-1")} if conflict is not None else {})}

    def resign(self, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("genesis"), dict):
            return value
        genesis = value["genesis"]
        name = genesis.get("network_name")        # any JSON value: compared, never hashed
        member = world.BETA if name == "beta" else self.gamma if name == "gamma" else world.ALPHA
        return {**value, "genesis": world.signed(genesis, "genesis-block", member.root)}

    def __call__(self, data: bytes) -> None:
        c = Choices(data)
        path = self.slots[c.below(len(self.slots))]
        options = self.options(c)
        content = fuzzed_content(self.bundles[path], c, self.resign, extremes=True)
        self.run_input(path, content, options)

    def attempt(self, path: str, content: bytes, options: dict[str, str]) -> str | None:
        bundle = self.inbox / options["name"]
        bundle.write_bytes(content)
        inbox = snapshot(self.inbox)
        try:
            return self.run_import(bundle, options, inbox)
        finally:
            restore_tree(self.repo, self.pristine)
            restore_tree(self.inbox, ({}, frozenset()))

    def baseline(self) -> str | None:
        for path in self.slots:
            bundle = self.inbox / "bundle.json"
            bundle.write_bytes(self.bundles[path])
            try:
                problem = self.run_import(bundle, {"again": "same"}, snapshot(self.inbox), expect=0)
            finally:
                restore_tree(self.repo, self.pristine)
                bundle.unlink()
            if problem:
                return f"{path}: {problem}"
        return None

    def import_once(self, bundle: Path) -> tuple[str | None, str]:
        return self.invoke(["bundle", "import", str(bundle), "--repo", str(self.repo), "--at", AT])

    def run_import(self, bundle: Path, options: dict[str, str], inbox: Tree, expect: int | None = None) -> str | None:
        problem, text = self.import_once(bundle)
        if problem:
            return problem
        if expect is not None and self.status != expect:
            return f"exit status {self.status} on a valid bundle: {self.stderr[:300]}"
        problem = self.check_written(bundle, text) or self.check_untouched(inbox)
        if problem or self.status != 0 or options.get("again", "no") == "no":
            return problem
        receipts = self.receipts()
        receipt = receipts[0] if receipts else None
        if receipt is None:           # recorded already, or nothing to record: nothing to repeat
            return None
        if options["again"] == "over":
            conflict = options.get("conflict", "").encode("latin-1")
            target = self.repo / receipt
            target.unlink()
            if conflict == b"-> symlink":
                os.symlink(bundle, target)
            else:
                data = json.loads(bundle.read_bytes())
                hashed = conflict.replace(b"%s", bundle_hash_of(data).encode())
                target.write_bytes(hashed)
        before = snapshot(self.repo)
        problem, _ = self.import_once(bundle)
        if problem:
            return f"imported again ({options['again']}): {problem}"
        want = 0 if options["again"] == "same" else 1
        if self.status != want:
            return f"imported again ({options['again']}): exit status {self.status}, not {want}"
        added, changed, removed = tree_changes(before, snapshot(self.repo))
        if added or changed or removed:
            return f"imported again ({options['again']}): the repository changed: {(added + changed + removed)[:5]}"
        return self.check_untouched(inbox)

    def receipts(self) -> list[str]:
        added, _, _ = tree_changes(self.pristine, snapshot(self.repo))
        return [p for p in added if not p.endswith("/")]

    def check_untouched(self, inbox: Tree) -> str | None:
        added, changed, removed = tree_changes(inbox, snapshot(self.inbox))
        touched = added + changed + removed
        return f"the bundle's folder changed: {touched[:5]}" if touched else None

    def check_written(self, bundle: Path, text: str) -> str | None:
        added, changed, removed = tree_changes(self.pristine, snapshot(self.repo))
        if changed or removed:
            return f"the repository's files changed: {(changed + removed)[:5]}"
        outside = [p for p in added if not p.startswith("imports/")]
        if outside:
            return f"written outside imports/: {outside[:5]}"
        written = [p for p in added if not p.endswith("/")]
        if written and self.status != 0:
            return f"a receipt written for a bundle the command refused (exit {self.status}): {written[:3]}"
        if len(written) > 1:
            return f"{len(written)} files written for one bundle: {written[:3]}"
        if not written:
            return None
        try:
            receipt = json.loads((self.repo / written[0]).read_bytes())
        except ValueError as exc:
            return f"an unreadable receipt {written[0]}: {exc}"
        try:
            data = json.loads(bundle.read_bytes())
        except (ValueError, RecursionError) as exc:
            return f"a receipt recorded for a bundle that is not JSON to Python: {exc}"[:300]
        if not isinstance(receipt, dict) or receipt.get("trust_granted") is not False:
            return f"a receipt whose trust_granted is not false: {written[0]}"
        if receipt.get("bundle_hash") != bundle_hash_of(data) or f"bundle_hash: {receipt.get('bundle_hash')}" \
                not in text:
            return f"a receipt whose bundle_hash is not the bundle's: {str(receipt.get('bundle_hash'))[:80]}"
        validation, genesis = receipt.get("validation"), receipt.get("embedded_genesis")
        if not isinstance(validation, dict) or validation.get("errors") or not isinstance(genesis, dict) \
                or genesis.get("status") == "rejected":
            return f"a receipt recorded for an invalid bundle: {written[0]}"
        return None


def bundle_hash_of(bundle: Any) -> str:
    """The reference's bundle hash, computed here (not by the code under test)."""
    canonical = json.dumps(bundle, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def reference_bundle(member: Any, *, sections: bool) -> dict[str, Any]:
    """A bundle shaped as genesis-mesh 1.8.1's `trust-bundle export` writes it, for `member`
    (with `sections`, its feed and policy as `ok` envelopes, and the endpoint checks)."""
    genesis = member.genesis()
    na = genesis["network_authority"]
    feed = world.signed(member.feed(), "revocation-feed", member.na)
    bundle = {
        "bundle_type": "genesis-mesh.trust-bundle", "bundle_version": "v1", "created_at": "2026-11-22T10:00:00+00:00",
        "source_endpoint": f"https://na.{member.host}.example", "sovereign_id": member.id,
        "network_version": genesis["network_version"],
        "sovereign_metadata": {"sovereign_id": member.id, "network_name": member.id,
                               "root_public_key": genesis["root_public_key"], "network_version": "v1.0",
                               "network_authority": {"public_key": na["public_key"], "valid_from": na["valid_from"],
                                                     "valid_to": na["valid_to"]}},
        "genesis": genesis,
        "recognition_policy": {"status": "not_configured"},
        "revocation_feed": {"status": "skipped"},
        "connectome": {"summary": {"recognition_edge_count": 0, "active_edge_count": 0}, "recognition_edges": [],
                       "active_treaties": [], "revoked_trust_material": []},
    }
    if sections:
        bundle["recognition_policy"] = {"status": "ok", "payload": {"local_sovereign_id": member.id,
                                                                    "accepted_statuses": ["active"]}}
        bundle["revocation_feed"] = {"status": "ok", "payload": feed}
        bundle["endpoint_checks"] = {"healthz": "ok", "readyz": "ready"}
    return bundle


# import-na: the endpoint bodies of alpha as saved from its NA (name in DIR <- layout file).
NA_SAVED = {"sovereign.json": "sovereign.json", "genesis": "genesis.signed.json", "na/key-history": "key-history.json",
            "recognition-treaties": "recognition-treaties.json", "sovereign-revocation-feed": "revocation-feed.json"}
NA_NEW = ("policy", "recognition-policy.json", "treaty-rows/extra.json", "treaty-rows/t-1")
# Where the import goes: an empty repository, the world without alpha's folder (alpha pinned in
# trust.lock), the whole world (an update: every file already there).
NA_REPOS = ("fresh", "pinned", "world")
NA_TRUST = ("--trust-on-first-use", "--root-key", "")
# An optional endpoint body the input may also leave out (one in three inputs leaves one out).
NA_OPTIONAL = ("", "", "", "", "", "", "na/key-history", "recognition-treaties", "sovereign-revocation-feed")


class ImportNaTarget(ImporterTarget):
    """One fuzz input -> alpha's NA endpoint bodies saved in a folder, one of them mutated (or
    one more added: a policy, a single treaty row), maybe one optional body left out (or, for a
    changed genesis, the key history changed in step: it embeds the genesis), then
    `handshake import-na DIR` in-process into a scratch repository (options: which one, and
    how the root is accepted). Each scratch repository and the folder are put back exactly
    after every input.

    A crash, besides an escape, a bad status, a traceback, an internal or unregistered code:
    anything changed when the command refused (a half-written folder); a file written, changed
    or removed outside the folder of the sovereign the genesis names, except trust.lock gaining
    that sovereign's pin (its other pins unchanged); an endpoint body not written as received;
    the saved folder changed."""

    command = "import-na"
    seed_options = b"\x00\x00\x00\x00\x00\x00\x00\x00"   # fresh, --trust-on-first-use, nothing left out, as is

    def __init__(self, repo: Path, files: dict[str, bytes], out: Path, workdir: Path | None = None) -> None:
        super().__init__(repo, files, out, workdir)
        self.world_files = files
        self.saved = {name: files[f"{A}/{layout}"] for name, layout in NA_SAVED.items()}
        self.files = self.saved
        self.slots = sorted(self.saved) + list(NA_NEW)
        self.repos: dict[str, Path] = {}
        self.pristine: dict[str, Tree] = {}
        for name in NA_REPOS:
            path = Path(tempfile.mkdtemp(prefix=f"handshake-fuzz-na-{name}-", dir=self.workdir))
            self.scratch.append(path)
            (path / "sovereigns").mkdir()
            if name != "fresh":
                seed_world(path, {p: d for p, d in files.items() if name == "world" or not p.startswith(A + "/")})
            self.repos[name] = path
            self.pristine[name] = snapshot(path)
        seed_world(self.inbox, self.saved)
        self.saved_tree = snapshot(self.inbox)
        self.root_pub = self.inbox.parent / f"{self.inbox.name}.root.pub"     # outside the folder read
        self.root_pub.write_text(world.ALPHA.root.public + "\n")
        self.scratch.append(self.root_pub)

    def close(self) -> None:
        self.root_pub.unlink(missing_ok=True)
        self.scratch.remove(self.root_pub)
        super().close()

    def options(self, c: Choices) -> dict[str, str]:
        return {"repository": NA_REPOS[c.below(len(NA_REPOS))], "trust": NA_TRUST[c.below(len(NA_TRUST))],
                "left_out": NA_OPTIONAL[c.below(len(NA_OPTIONAL))], "in_step": ("no", "yes")[c.below(2)]}

    def resign(self, path: str) -> Callable[[Any], Any]:
        layout = NA_SAVED.get(path) or {"policy": "policy.json"}.get(path, "")
        signer = signer_for(f"{A}/{layout}") if layout else None

        def again(value: Any) -> Any:
            if layout == "key-history.json" and isinstance(value, dict):
                return resign_successions(value)
            if layout == "genesis.signed.json" and isinstance(value, dict):
                member = world.BETA if value.get("network_name") == "beta" else world.ALPHA
                return world.signed(value, "genesis-block", member.root)
            if signer and isinstance(value, dict):
                return world.signed(value, signer[0], signer[1])
            return value
        return again

    def __call__(self, data: bytes) -> None:
        c = Choices(data)
        path = self.slots[c.below(len(self.slots))]
        options = self.options(c)
        original = self.saved.get(path) or (self.world_files[f"{A}/recognition-treaties.json"]
                                            if path.startswith("treaty-rows/") else None)
        if path.startswith("treaty-rows/") and original is not None and c.below(2):
            original = json.dumps(json.loads(original)["recognition_treaties"][0]).encode()
        content = fuzzed_content(original, c, self.resign(path), extremes=True)
        self.run_input(path, content, options)

    def attempt(self, path: str, content: bytes, options: dict[str, str]) -> str | None:
        target = self.inbox / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        if options.get("left_out") and options["left_out"] != path:
            (self.inbox / options["left_out"]).unlink()
        if path == "genesis" and options.get("in_step") == "yes" and options.get("left_out") != "na/key-history":
            self.in_step(content)
        before = snapshot(self.inbox)
        repo = self.repos[options["repository"]]
        try:
            return self.run_import(repo, options, before)
        finally:
            restore_tree(repo, self.pristine[options["repository"]])
            restore_tree(self.inbox, self.saved_tree)

    def baseline(self) -> str | None:
        for name in NA_REPOS:
            try:
                problem = self.run_import(self.repos[name], {"repository": name, "trust": "--root-key"},
                                          self.saved_tree)
                if not problem and self.status != 0:
                    problem = f"exit status {self.status}: {self.stderr[:300]}"
                if not problem and name != "world" and not tree_changes(self.pristine[name],
                                                                        snapshot(self.repos[name]))[0]:
                    problem = "nothing was imported"
            finally:
                restore_tree(self.repos[name], self.pristine[name])
            if problem:
                return f"{name}: {problem}"
        return None

    def in_step(self, genesis: bytes) -> None:
        """The key history re-saved embedding the changed genesis, as an NA serving that genesis
        would: the import gets past the check that the two agree."""
        try:
            value = json.loads(genesis)
        except (ValueError, RecursionError):
            return
        history = json.loads(self.saved["na/key-history"])
        (self.inbox / "na/key-history").write_bytes(world.dump({**history, "genesis": value}))

    def run_import(self, repo: Path, options: dict[str, str], saved: Tree) -> str | None:
        trust = {"--trust-on-first-use": ["--trust-on-first-use"], "--root-key": ["--root-key", str(self.root_pub)],
                 "": []}[options["trust"]]
        problem, _ = self.invoke(["import-na", str(self.inbox), "--repo", str(repo), "--at", AT, *trust])
        if problem:
            return problem
        if snapshot(self.inbox) != saved:
            return "the saved folder changed"
        added, changed, removed = tree_changes(self.pristine[options["repository"]], snapshot(repo))
        touched = added + changed + removed
        if self.status != 0:
            return f"refused (exit {self.status}) but changed {touched[:5]}" if touched else None
        try:
            genesis = json.loads(saved[0]["genesis"])
            sid, root = genesis["network_name"], genesis["root_public_key"]
        except (ValueError, KeyError, TypeError):
            return "imported from a folder whose /genesis is not a genesis"
        folder = f"sovereigns/{sid}/"
        if removed:
            return f"removed {removed[:5]}"
        outside = [p for p in added + changed if not p.startswith(folder) and p != "trust.lock"]
        if outside:
            return f"written outside {folder}: {outside[:5]}"
        if "trust.lock" in added + changed:
            problem = self.check_lock(repo, options["repository"], sid, root)
            if problem:
                return problem
        from publisher.authoring.na_import import ENDPOINTS
        for layout, names in ENDPOINTS.items():
            found = next((n for n in names if n in saved[0]), None)
            written = repo / folder / layout
            if found is not None and (not written.is_file() or written.read_bytes() != saved[0][found]):
                return f"{found} not written as received to {folder}{layout}"
        return None

    def check_lock(self, repo: Path, name: str, sid: str, root: str) -> str | None:
        """trust.lock after an import: the pins it had, plus the imported sovereign's root."""
        try:
            old = json.loads(self.pristine[name][0]["trust.lock"])
            new = json.loads((repo / "trust.lock").read_bytes())
            pins = dict(new["sovereigns"])
        except (ValueError, KeyError, TypeError) as exc:
            return f"trust.lock unreadable after the import: {exc!r}"
        pinned = pins.pop(sid, None) if sid not in old["sovereigns"] else None
        if pins != old["sovereigns"] or {**new, "sovereigns": None} != {**old, "sovereigns": None}:
            return "trust.lock changed beyond the imported sovereign's pin"
        if not isinstance(pinned, dict) or pinned.get("root_public_key") != root:
            return f"trust.lock pins {sid!r} as {str(pinned)[:120]}, not the genesis root"
        return None


def seed_inputs(target: Target) -> list[bytes]:
    """One input per existing file that reproduces it unchanged (raw mode), as a starting corpus."""
    seeds = []
    for index, path in enumerate(target.slots):
        if path in target.files:
            choice = index.to_bytes(2, "little")
            seeds.append(choice + target.seed_options + b"\x00\x00" + target.files[path])   # raw mode
    return seeds


def run_random(target: Target, deadline: float, max_inputs: int, seed: int) -> None:
    rng = random.Random(seed)
    seeds = seed_inputs(target)
    while time.monotonic() < deadline and target.inputs < max_inputs:
        base = bytearray(rng.choice(seeds)) if rng.random() < 0.7 else bytearray()
        base[:8] = rng.randbytes(8)
        for _ in range(rng.randrange(1, 8)):
            if base:
                base[rng.randrange(len(base))] = rng.randrange(256)
        target(bytes(base) + rng.randbytes(rng.randrange(0, 64)))


def run_atheris(target: Target, deadline: float, max_inputs: int, args: argparse.Namespace,
                finish: Callable[[], None]) -> None:
    import atheris

    def one(data: bytes) -> None:
        if time.monotonic() >= deadline or target.inputs >= max_inputs:
            finish()
        target(data)

    corpus = Path(tempfile.mkdtemp(prefix="handshake-fuzz-corpus-"))
    target.out.mkdir(parents=True, exist_ok=True)
    for index, seed in enumerate(seed_inputs(target)):
        (corpus / f"seed-{index:03d}").write_bytes(seed)
    dictionary = corpus.parent / f"{corpus.name}.dict"
    dictionary.write_text("".join(f'"{_dict_escape(t.encode())}"\n' for t in TOKENS))
    flags = [sys.argv[0], str(corpus), f"-dict={dictionary}", "-max_len=16384", f"-seed={args.seed or 1}",
             f"-max_total_time={int(args.seconds) + 60}", "-print_final_stats=1",
             # libFuzzer's own artifacts (written when the process is killed mid-input): beside
             # the crashes, not in the current directory (a work tree)
             f"-artifact_prefix={target.out}{os.sep}libfuzzer-"]
    atheris.Setup(flags, one)
    atheris.Fuzz()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--command", choices=("verify", "review", "bundle-import", "import-na"), default="verify",
                        help="verify: a work tree; review: a pull request's commit; bundle-import: a trust "
                             "bundle; import-na: saved NA endpoint files (default verify)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time budget (default 60)")
    parser.add_argument("--max-inputs", type=int, default=10**12, help="input budget (default unbounded)")
    parser.add_argument("--engine", choices=("atheris", "random"), default=None,
                        help="default: atheris when importable, else random")
    parser.add_argument("--out", default=str(ROOT / "bench" / "out" / "fuzz"), help="crash directory")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random engine and of libFuzzer")
    parser.add_argument("--slow-seconds", type=float, default=10.0,
                        help="save inputs slower than this as slow-*.json (default 10)")
    args = parser.parse_args(argv)
    engine = args.engine or ("atheris" if _has_atheris() else "random")
    if engine == "atheris":
        import atheris
        with atheris.instrument_imports(include=["publisher"]):
            import publisher.cli  # noqa: F401  (instrumented before first use)
            import publisher.verify  # noqa: F401
            import publisher.checks.key_history  # noqa: F401
            import publisher.crypto  # noqa: F401
            if args.command == "review":     # imported lazily by the command: instrument them now
                import publisher.cli.cmd_review  # noqa: F401
                import publisher.review.collect  # noqa: F401
                import publisher.review.render  # noqa: F401
            if args.command in ("bundle-import", "import-na"):
                import publisher.authoring.writer  # noqa: F401
                import publisher.authoring.bundles  # noqa: F401
                import publisher.authoring.na_import  # noqa: F401
                import publisher.cli.cmd_bundle  # noqa: F401
                import publisher.cli.cmd_import_na  # noqa: F401
                import publisher.exports.bundle  # noqa: F401
                import publisher.strictjson  # noqa: F401
    global world
    import hostile_world
    world = hostile_world
    files = build_repository()
    repo = Path(tempfile.mkdtemp(prefix="handshake-fuzz-repo-"))
    target: Target
    if args.command == "review":
        init_repository(repo, files)
        target = ReviewTarget(repo, files, Path(args.out))
    else:
        seed_world(repo, files)
        kind = {"bundle-import": BundleImportTarget, "import-na": ImportNaTarget}.get(args.command, Target)
        target = kind(repo, files, Path(args.out))
    target.slow_seconds = args.slow_seconds
    baseline_problem = target.baseline()
    if baseline_problem:
        raise SystemExit(f"the fuzzing repository itself fails: {baseline_problem}")
    start = time.monotonic()
    deadline = start + args.seconds

    def finish() -> None:
        summary = target.report(engine, time.monotonic() - start)
        shutil.rmtree(repo, ignore_errors=True)
        target.close()
        sys.stdout.write(json.dumps(summary, sort_keys=True) + "\n")
        sys.stdout.flush()
        os._exit(1 if target.crashes else 0)   # libFuzzer never returns control; neither do we

    if engine == "atheris":
        run_atheris(target, deadline, args.max_inputs, args, finish)
    else:
        run_random(target, deadline, args.max_inputs, args.seed)
    finish()
    return 0


def _dict_escape(token: bytes) -> str:
    """A libFuzzer dictionary entry: printable ASCII as is, the rest as \\xNN."""
    return "".join(chr(b) if 32 <= b < 127 and b not in b'"\\' else f"\\x{b:02x}" for b in token)


def _has_atheris() -> bool:
    try:
        import atheris  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
