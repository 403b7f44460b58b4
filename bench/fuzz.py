#!/usr/bin/env python3
"""Fuzz `handshake verify` (or `handshake review`) on a small repository for a fixed budget;
report inputs and crashes.

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

A crash is any exception out of the command, an exit status other than 0 or 1, output that is
not the complete report (review: a JSON summary that miscounts its changes, a markdown comment
without its marker or counts, or longer than a GitHub comment holds), an `internal.*` code
(review: an introduced finding) or an unregistered code. Each crash is saved under --out (the
command, its options, the target path and bytes) to become a hostile-corpus file; fuzzing goes
on. Inputs slower than --slow-seconds are saved as slow-*.json (denial-of-service candidates).
Engines: atheris (coverage-guided libFuzzer, `pip install atheris`) when importable, otherwise
`random` (seeded random mutations, no coverage guidance).

Usage: python bench/fuzz.py [--command verify|review] [--seconds 600] [--max-inputs N]
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


def content_for(path: str, original: bytes | None, c: Choices) -> bytes:
    mode = c.below(4) if original is not None else 0
    if mode == 0:
        return c.rest()
    if mode == 3:
        at = c.below(len(original) + 1)
        cut = c.below(16)
        return original[:at] + (c.chunk() or TOKENS[c.below(len(TOKENS))].encode()) + original[at + cut:]
    try:
        value = json.loads(original)
    except ValueError:
        return c.rest()
    for _ in range(1 + c.below(3)):
        value = mutate_value(value, c)
    signer = signer_for(path)
    if mode == 2 and signer and isinstance(value, dict):
        kind, key = signer
        value = world.signed(value, kind, key)
    if mode == 2 and path.endswith("key-history.json") and isinstance(value, dict):
        value = resign_successions(value)
    return render(value, c)


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

    def options(self, c: Choices) -> dict[str, str]:
        """The command's options drawn from the input, after the path and before the content."""
        return {"format": self.formats[0] if c.below(4) else self.formats[1]}

    def __call__(self, data: bytes) -> None:
        c = Choices(data)
        path = self.slots[c.below(len(self.slots))]
        options = self.options(c)
        content = content_for(path, self.files.get(path), c)
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
        digest = hashlib.sha256(path.encode() + b"\0" + content).hexdigest()[:16]
        self.out.mkdir(parents=True, exist_ok=True)
        record = {"command": self.command, **options, "path": path, "problem": problem,
                  "content_base64": base64.b64encode(content).decode("ascii")}
        (self.out / f"{kind}-{digest}.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")

    def report(self, engine: str, seconds: float) -> dict[str, Any]:
        return {"command": self.command, "engine": engine, "inputs": self.inputs, "crashes": self.crashes,
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
    parser.add_argument("--command", choices=("verify", "review"), default="verify",
                        help="verify: a work tree; review: a pull request's commit (default verify)")
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
    global world
    import hostile_world
    world = hostile_world
    files = build_repository()
    repo = Path(tempfile.mkdtemp(prefix="handshake-fuzz-repo-"))
    if args.command == "review":
        init_repository(repo, files)
        target: Target = ReviewTarget(repo, files, Path(args.out))
    else:
        for path, data in files.items():
            (repo / path).parent.mkdir(parents=True, exist_ok=True)
            (repo / path).write_bytes(data)
        target = Target(repo, files, Path(args.out))
    target.slow_seconds = args.slow_seconds
    baseline_problem = target.baseline()
    if baseline_problem:
        raise SystemExit(f"the fuzzing repository itself fails: {baseline_problem}")
    start = time.monotonic()
    deadline = start + args.seconds

    def finish() -> None:
        summary = target.report(engine, time.monotonic() - start)
        shutil.rmtree(repo, ignore_errors=True)
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
