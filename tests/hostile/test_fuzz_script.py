"""bench/fuzz.py: it runs for its input budget, reports zero crashes on the current verifier,
and it does notice a crash (an exception, a bad exit status, internal.check_failed)."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

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
    assert problem in record["problem"] and record["path"] in files
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
