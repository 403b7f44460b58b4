"""bench/fuzz.py: it runs for its input budget, reports zero crashes on the current verifier,
and it does notice a crash (an exception, a bad exit status, internal.check_failed), for
`handshake verify` and for `handshake review` of a pull request's commit."""
from __future__ import annotations

import base64
import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "bench" / "fuzz.py"


def load_fuzz() -> ModuleType:
    if not FUZZ.is_file():
        pytest.fail(f"{FUZZ} is missing", pytrace=False)
    spec = importlib.util.spec_from_file_location("handshake_fuzz", FUZZ)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    import hostile_world
    module.world = hostile_world
    return module


def test_random_engine_runs_its_budget_without_crashes(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(FUZZ), "--engine", "random", "--max-inputs", "25",
                          "--seconds", "600", "--out", str(tmp_path / "crashes")],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    assert (run.returncode, report["inputs"], report["crashes"]) == (0, 25, 0)
    assert not (tmp_path / "crashes").exists()


@pytest.mark.parametrize("behaviour, problem", [
    ("raise", "ZeroDivisionError"),
    ("exit-2", "exit status 2"),
    ("internal", "internal.check_failed"),
], ids=["exception", "misuse-exit", "internal-finding"])
def test_target_saves_a_crash(tmp_path: Path, behaviour: str, problem: str) -> None:
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    target = fuzz.Target(repo, files, tmp_path / "crashes")

    def broken_main(argv: list[str]) -> int:
        if behaviour == "raise":
            raise ZeroDivisionError("boom")
        if behaviour == "exit-2":
            return 2
        print(json.dumps({"findings": [{"code": "internal.check_failed"}]}))
        return 1

    target.main = broken_main
    target(b"\x00\x00\x01\x00\x00\x00{}")
    saved = list((tmp_path / "crashes").glob("crash-*.json"))
    assert target.crashes == 1 and len(saved) == 1
    record = json.loads(saved[0].read_text())
    assert problem in record["problem"] and record["path"] in files and record["command"] == "verify"
    assert (repo / record["path"]).read_bytes() == files[record["path"]]   # the repository is restored


def test_target_saves_slow_inputs_apart_from_crashes(tmp_path: Path) -> None:
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    target = fuzz.Target(repo, files, tmp_path / "out")
    target.slow_seconds = 0.0           # every input counts as slow: the bookkeeping, not a timing
    target(b"\x00\x00\x01\x00\x00\x00{}")
    assert (target.crashes, target.slow) == (0, 1)
    assert [p.name.split("-")[0] for p in (tmp_path / "out").iterdir()] == ["slow"]


def review_target(tmp_path: Path) -> tuple[ModuleType, Any, str]:
    """The fuzz module, a review target on a fresh git repository of the world, its base commit."""
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    repo.mkdir()
    base = fuzz.init_repository(repo, files)
    return fuzz, fuzz.ReviewTarget(repo, files, tmp_path / "crashes"), base


def assert_base_intact(fuzz: ModuleType, target: Any, base: str) -> None:
    """Branch main still at the base commit, its tree the world's files, the work tree clean."""
    assert fuzz.git(target.repo, "rev-parse", "main") == base
    assert fuzz.git(target.repo, "status", "--porcelain", "--untracked-files=all") == ""
    listed = fuzz.git(target.repo, "ls-tree", "-r", "--name-only", "main").splitlines()
    assert sorted(listed) == sorted(target.files)
    assert not target.index.exists()


def test_review_random_engine_runs_its_budget_without_crashes(tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, str(FUZZ), "--command", "review", "--engine", "random",
                          "--max-inputs", "25", "--seconds", "600", "--out", str(tmp_path / "crashes")],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    assert (run.returncode, report["command"], report["inputs"], report["crashes"]) == (0, "review", 25, 0)
    assert report["distinct_codes"] > 0             # the head commits did change something
    assert not (tmp_path / "crashes").exists()


JSON_INPUT = b"\x00\x00\x01\x00\x00\x00\x00\x00{}"      # first file, json, first date, raw "{}"
MARKDOWN_INPUT = b"\x00\x00\x00\x00\x00\x00\x00\x00{}"


@pytest.mark.parametrize("behaviour, problem", [
    ("raise", "ZeroDivisionError"),
    ("exit-2", "exit status 2"),
    ("internal", "internal.check_failed"),
    ("unregistered", "unregistered codes ['made.up']"),
    ("miscounted", "summary counts 0 changes, the report lists 1"),
    ("markdown-cut", "markdown report incomplete"),
], ids=["exception", "misuse-exit", "internal-finding", "unregistered-code", "miscounted", "markdown-cut"])
def test_review_target_saves_a_planted_crash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             behaviour: str, problem: str) -> None:
    import publisher.gitrepo
    import publisher.review.collect
    from publisher.history.model import Change
    fuzz, target, base = review_target(tmp_path)
    real_build = publisher.review.collect.build_review

    def build_with(change: Change) -> Any:
        def build(*args: Any, **kwargs: Any) -> Any:
            review = real_build(*args, **kwargs)
            return type(review)(review.base, review.head, review.at, review.changes + (change,),
                                review.changed_paths, review.sovereigns, review.stats)
        return build

    def raising(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError("boom")

    def git_failing(*args: Any, **kwargs: Any) -> Any:
        raise publisher.gitrepo.GitError("cannot diff: boom")

    def miscounted(argv: list[str]) -> int:
        change = {"code": "change.finding_introduced", "subject": "sig.invalid"}
        print(json.dumps({"summary": {"high": 0}, "changes": [change]}))
        return 0

    def cut(argv: list[str]) -> int:
        print("<!-- handshake-review -->\n## Handshake trust review")
        return 0

    data = JSON_INPUT
    if behaviour == "raise":
        monkeypatch.setattr(publisher.review.collect, "build_review", raising)
    elif behaviour == "exit-2":
        monkeypatch.setattr(publisher.gitrepo, "diff_raw", git_failing)
    elif behaviour == "internal":
        monkeypatch.setattr(publisher.review.collect, "build_review", build_with(Change(
            "change.finding_introduced", "alpha", "sovereigns/alpha", "planted", "internal.check_failed", "high")))
    elif behaviour == "unregistered":
        monkeypatch.setattr(publisher.review.collect, "build_review", build_with(Change(
            "change.finding_introduced", "alpha", "sovereigns/alpha", "planted", "made.up", "high")))
    elif behaviour == "miscounted":
        target.main = miscounted
    else:
        target.main, data = cut, MARKDOWN_INPUT
    target(data)
    saved = list((tmp_path / "crashes").glob("crash-*.json"))
    assert (target.inputs, target.crashes, len(saved)) == (1, 1, 1)
    record = json.loads(saved[0].read_text())
    assert problem in record["problem"]
    assert (record["command"], record["path"], base64.b64decode(record["content_base64"])) == (
        "review", sorted(target.files)[0], b"{}")
    assert record["format"] == ("markdown" if behaviour == "markdown-cut" else "json")
    assert_base_intact(fuzz, target, base)


def test_review_inputs_stay_independent(tmp_path: Path) -> None:
    """Each input's head commit is a child of the base changing at most its one file, whatever
    the inputs before it; the base, main and the work tree never change; dropped commits are
    pruned."""
    fuzz, target, base = review_target(tmp_path)
    target.PRUNE_EVERY = 10
    heads: list[str] = []
    real_run = target.run

    def run(fmt: str, head: str = "HEAD") -> Any:
        assert fuzz.git(target.repo, "rev-parse", f"{head}^") == base
        assert len(fuzz.git(target.repo, "diff", "--name-only", base, head).splitlines()) <= 1
        heads.append(head)
        return real_run(fmt, head)

    target.run = run
    fuzz.run_random(target, deadline=float("inf"), max_inputs=20, seed=7)
    assert (target.inputs, len(heads), target.crashes) == (20, 20, 0)
    assert len(set(heads)) > 10                      # the inputs did differ
    assert_base_intact(fuzz, target, base)
    gone = subprocess.run(["git", "cat-file", "-e", heads[0]], cwd=target.repo, check=False)
    assert gone.returncode != 0                      # pruned after the 10th and 20th inputs


# -- the importers of foreign material: `bundle import FILE` and `import-na DIR` ---------------

@pytest.mark.parametrize("command", ["bundle-import", "import-na"])
def test_importer_random_engine_runs_its_budget_without_crashes(tmp_path: Path, command: str) -> None:
    run = subprocess.run([sys.executable, str(FUZZ), "--command", command, "--engine", "random",
                          "--max-inputs", "25", "--seconds", "600", "--out", str(tmp_path / "crashes")],
                         capture_output=True, text=True, check=False)
    report = json.loads(run.stdout)
    assert (run.returncode, report["command"], report["inputs"], report["crashes"]) == (0, command, 25, 0)
    assert report["ms_per_input"] > 0 and report["distinct_codes"] > 0
    assert not (tmp_path / "crashes").exists()


def importer(tmp_path: Path, command: str) -> tuple[ModuleType, Any]:
    """The fuzz module and a bundle-import or import-na target on a fresh copy of the world."""
    fuzz = load_fuzz()
    files = fuzz.build_repository()
    repo = tmp_path / "repo"
    fuzz.seed_world(repo, files)
    kind = fuzz.BundleImportTarget if command == "bundle-import" else fuzz.ImportNaTarget
    return fuzz, kind(repo, files, tmp_path / "crashes", workdir=tmp_path)


def valid_input(fuzz: ModuleType, target: Any, slot: str, options: bytes | None = None) -> bytes:
    """The input that imports the seed file of `slot` unchanged (raw mode)."""
    return target.slots.index(slot).to_bytes(2, "little") + (options or target.seed_options) + b"\x00\x00" \
        + target.files[slot]


def repositories(target: Any) -> list[tuple[Path, Any]]:
    if hasattr(target, "repos"):
        return [(target.repos[name], target.pristine[name]) for name in target.repos]
    return [(target.repo, target.pristine)]


def assert_restored(fuzz: ModuleType, target: Any) -> None:
    for repo, pristine in repositories(target):
        assert fuzz.snapshot(repo) == pristine
    names = {p for p in fuzz.snapshot(target.inbox)[0]}
    assert names == (set(target.saved) if hasattr(target, "saved") else set())


def test_valid_inputs_import_and_leave_nothing_behind(tmp_path: Path) -> None:
    """The seed inputs are imported (a receipt; a sovereign folder), then the repositories are
    as before: the checks run on real imports, not only on refusals."""
    fuzz, bundles = importer(tmp_path / "b", "bundle-import")
    seen: list[tuple[int | None, list[str]]] = []
    real = bundles.check_written

    def spy(bundle: Path, text: str) -> Any:
        seen.append((bundles.status, bundles.receipts()))
        return real(bundle, text)

    bundles.check_written = spy
    for slot in bundles.slots:
        bundles(valid_input(fuzz, bundles, slot))
    assert bundles.crashes == 0 and [s for s, _ in seen] == [0] * len(bundles.slots)
    assert all(len(r) == 1 and r[0].startswith("imports/") for _, r in seen)
    assert_restored(fuzz, bundles)
    fuzz, na = importer(tmp_path / "n", "import-na")
    statuses = []
    real_run = na.run_import

    def run(repo: Path, options: dict[str, str], saved: Any) -> Any:
        problem = real_run(repo, options, saved)
        statuses.append((na.status, fuzz.tree_changes(na.pristine[options["repository"]], fuzz.snapshot(repo))[0]))
        return problem

    na.run_import = run
    na(valid_input(fuzz, na, "genesis"))                       # fresh repository, --trust-on-first-use
    assert na.crashes == 0 and statuses[0][0] == 0 and "sovereigns/alpha/genesis.signed.json" in statuses[0][1]
    assert_restored(fuzz, na)


def planted(target: Any, fuzz: ModuleType, behaviour: str) -> Any:
    """A `handshake` main that runs the real one, then does what a broken importer would."""
    real = target.main

    def broken(argv: list[str]) -> int:
        if behaviour == "raise":
            raise ZeroDivisionError("boom")
        status = real(argv)
        repo = Path(argv[argv.index("--repo") + 1])
        folder = Path(argv[2] if argv[0] == "bundle" else argv[1])
        receipts = [p for p in (repo / "imports").rglob("*.json")] if (repo / "imports").is_dir() else []
        if behaviour == "exit-2":
            return 2
        if behaviour == "traceback":
            print("Traceback (most recent call last):\n  File ...", file=sys.stderr)
        elif behaviour == "internal":
            print("  ERROR   internal.check_failed                x.json: boom")
        elif behaviour == "unregistered":
            print("  WARNING made.up                              x.json: boom")
        elif behaviour == "receipt-on-refusal":
            (repo / "imports" / "alpha").mkdir(parents=True, exist_ok=True)
            (repo / "imports" / "alpha" / "x.receipt.json").write_text("{}")
            return 1
        elif behaviour == "trust-granted":
            for receipt in receipts:
                receipt.write_text(receipt.read_text().replace('"trust_granted": false', '"trust_granted": true'))
        elif behaviour == "outside-imports":
            (repo / "sovereigns" / "alpha" / "note.txt").write_text("x")
        elif behaviour == "trust-file-changed":
            (repo / "trust.lock").write_text("{}")
        elif behaviour == "bundle-touched":
            (folder.parent / "bundle.json.bak" if argv[0] == "bundle" else folder / "genesis").write_bytes(b"{}")
        elif behaviour == "half-written":
            (repo / "sovereigns" / "alpha").mkdir(parents=True, exist_ok=True)
            (repo / "sovereigns" / "alpha" / "genesis.signed.json").write_text("{}")
            return 1
        elif behaviour == "outside-folder":
            (repo / "sovereigns" / "beta" / "x.json").parent.mkdir(parents=True, exist_ok=True)
            (repo / "sovereigns" / "beta" / "x.json").write_text("{}")
        elif behaviour == "not-as-received":
            (repo / "sovereigns" / "alpha" / "sovereign.json").write_text("{}")
        elif behaviour == "lock-rewritten":
            (repo / "trust.lock").write_text(json.dumps({"lock_version": 1, "sovereigns": {"beta": {}}}))
        return status
    return broken


BUNDLE_CRASHES = [
    ("raise", "ZeroDivisionError: boom"), ("exit-2", "exit status 2"), ("traceback", "a traceback"),
    ("internal", "internal.check_failed"), ("unregistered", "unregistered codes ['made.up']"),
    ("receipt-on-refusal", "a receipt written for a bundle the command refused"),
    ("trust-granted", "trust_granted is not false"), ("outside-imports", "written outside imports/"),
    ("trust-file-changed", "the repository's files changed: ['trust.lock']"),
    ("bundle-touched", "the bundle's folder changed"),
]
NA_CRASHES = [
    ("raise", "ZeroDivisionError: boom"), ("exit-2", "exit status 2"), ("traceback", "a traceback"),
    ("internal", "internal.check_failed"),
    ("half-written", "refused (exit 1) but changed"), ("outside-folder", "written outside sovereigns/alpha/"),
    ("not-as-received", "sovereign.json not written as received"), ("bundle-touched", "the saved folder changed"),
    ("lock-rewritten", "trust.lock changed beyond"),
]


@pytest.mark.parametrize("command, behaviour, problem",
                         [("bundle-import", b, p) for b, p in BUNDLE_CRASHES]
                         + [("import-na", b, p) for b, p in NA_CRASHES],
                         ids=[f"bundle-{b}" for b, _ in BUNDLE_CRASHES] + [f"na-{b}" for b, _ in NA_CRASHES])
def test_importer_saves_a_planted_crash(tmp_path: Path, command: str, behaviour: str, problem: str) -> None:
    fuzz, target = importer(tmp_path, command)
    target.main = planted(target, fuzz, behaviour)
    slot = "export/alpha.json" if command == "bundle-import" else "genesis"
    # import-na: the pinned repository (it has a trust.lock) with the root given
    options = None if command == "bundle-import" else b"\x01\x00\x01\x00\x00\x00\x00\x00"
    data = valid_input(fuzz, target, slot, options)
    target(data)
    saved = list((tmp_path / "crashes").glob("crash-*.json"))
    assert (target.inputs, target.crashes, len(saved)) == (1, 1, 1)
    record = json.loads(saved[0].read_text())
    assert problem in record["problem"], record["problem"]
    assert (record["command"], record["path"]) == (command, slot)
    assert base64.b64decode(record["content_base64"]) == target.files[slot]
    assert_restored(fuzz, target)


def test_bundle_imported_again_must_be_a_no_op_or_a_refusal(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The second import of the same bundle: a no-op (`same`), refused over a foreign file at
    its receipt path (`over`); anything else is a crash."""
    import publisher.cli.cmd_bundle as cmd_bundle
    from publisher.authoring import AuthoringError
    real = cmd_bundle.already_recorded
    fuzz, target = importer(tmp_path, "bundle-import")
    same = b"\x00\x00\x02\x00"                 # bundle.json, imported again
    over = b"\x00\x00\x03\x00\x02\x00"         # bundle.json, again over a file holding "{}"
    for options in (same, over):
        target(valid_input(fuzz, target, "export/alpha.json", options))
    assert (target.inputs, target.crashes) == (2, 0)
    monkeypatch.setattr(cmd_bundle, "already_recorded", lambda state, check: None)     # not seen: refused
    target(valid_input(fuzz, target, "export/alpha.json", same))
    def lenient(state: Any, check: Any) -> str | None:        # a foreign file taken for the receipt
        try:
            return real(state, check)
        except AuthoringError:
            return "already recorded"

    monkeypatch.setattr(cmd_bundle, "already_recorded", lenient)
    target(valid_input(fuzz, target, "export/alpha.json", over))
    problems = sorted(json.loads(p.read_text())["problem"] for p in (tmp_path / "crashes").glob("crash-*.json"))
    assert target.crashes == 2 and len(problems) == 2
    assert any("imported again (same)" in p for p in problems) and any("imported again (over)" in p for p in problems)
    assert_restored(fuzz, target)


@pytest.mark.parametrize("command", ["bundle-import", "import-na"])
def test_importer_inputs_stay_independent(tmp_path: Path, command: str) -> None:
    """After every input the repositories and the foreign folder are exactly as before, so an
    input's outcome does not depend on the inputs before it: the same input gives the same
    exit status alone and after 30 others."""
    fuzz, target = importer(tmp_path, command)
    statuses: list[int | None] = []
    real_invoke = target.invoke

    def invoke(argv: list[str]) -> Any:
        result = real_invoke(argv)
        statuses.append(target.status)
        return result

    target.invoke = invoke
    probe = valid_input(fuzz, target, target.slots[0])
    target(probe)
    alone = list(statuses)
    fuzz.run_random(target, deadline=float("inf"), max_inputs=31, seed=11)
    assert_restored(fuzz, target)
    del statuses[:]
    target(probe)
    assert statuses == alone and alone[0] == 0
    assert target.crashes == 0
    assert_restored(fuzz, target)


def test_bundle_resigning_takes_any_network_name(tmp_path: Path) -> None:
    """The harness itself never raises on a mutated bundle (a list as network_name once did)."""
    fuzz, target = importer(tmp_path, "bundle-import")
    for name in ([], {}, None, "beta", "gamma", 7):
        signed = target.resign({"genesis": {"network_name": name}})
        assert signed["genesis"]["network_name"] == name and len(signed["genesis"]["signatures"]) == 1
    target.close()
