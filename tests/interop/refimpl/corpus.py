"""Write the corpus: repo/ (Handshake layout), documents/ (cases) and expected.json.

Verdicts are computed by reading back the files just written, through the same
`verdicts.verdict` that `reference_tool.py verify` uses, so an entry of expected.json is
what `verify` prints for its `argv`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from .cases import ALPHA_HISTORY, EVAL_AT, Case, build_cases
from .keys import KEYS
from .scenario import SOVEREIGNS, TIMES, Outcome, run_scenario
from .verdicts import Inputs, parse_time, verdict

#: Files in sovereigns/<ID>/ copied byte for byte from what the NA served.
SERVED_INTO_SOVEREIGN = ("sovereign.json", "key-history.json", "recognition-treaties.json",
                         "revocation-feed.json", "policy.json", "recognition-policy.json")
#: Files in served/<ID>/ copied byte for byte from what the NA served.
SERVED_EXTRA = {"genesis": "genesis.json", "recognition-graph.json": "recognition-graph.json",
                "connectome.json": "connectome.json", "atlas.json": "atlas.json"}
OWNED = ("repo", "documents", "expected.json")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _compact(doc: Any) -> bytes:
    """Flask's jsonify form (sorted keys, compact, trailing newline): how the NA serves a treaty."""
    return (json.dumps(doc, sort_keys=True, separators=(",", ":")) + "\n").encode("utf-8")


def write_repo(root: Path, out: Outcome) -> list[Case]:
    """Write repo/ and return the signed documents in it as cases to judge."""
    judged: list[Case] = []
    for name, sov in SOVEREIGNS.items():
        base = root / "repo" / "sovereigns" / name
        rel = f"repo/sovereigns/{name}"
        for filename, data in out.public_key_files[name].items():
            _write(base / "keys" / filename, data)
        _write(base / "genesis.signed.json", out.genesis_signed[name])
        for filename in SERVED_INTO_SOVEREIGN:
            _write(base / filename, out.served[name][filename])
        for endpoint, filename in SERVED_EXTRA.items():
            _write(root / "repo" / "served" / name / filename, out.served[name][endpoint])
        history = f"{rel}/key-history.json"
        own = dict(root=sov.root.letter, key_history=history)
        judged.append(Case(f"{rel}/genesis.signed.json", "genesis", out.genesis_signed[name],
                           "genesis as the CLI signed it", root=sov.root.letter))
        judged.append(Case(history, "key-history", out.served[name]["key-history.json"],
                           "GET /na/key-history", root=sov.root.letter))
        judged.append(Case(f"{rel}/revocation-feed.json", "feed", out.served[name]["revocation-feed.json"],
                           "GET /sovereign-revocation-feed", **own))
        judged.append(Case(f"{rel}/policy.json", "policy", out.served[name]["policy.json"], "GET /policy", **own))
        for treaty_id, row_bytes in sorted(out.treaty_rows[name].items()):
            row = json.loads(row_bytes)
            data = _compact(row["treaty"])
            _write(base / "treaties" / f"{treaty_id}.json", data)
            _write(root / "repo" / "served" / name / "treaty-rows" / f"{treaty_id}.json", row_bytes)
            judged.append(Case(f"{rel}/treaties/{treaty_id}.json", "treaty", data,
                               f"treaty issued by {name}; row status {row['status']}"
                               + (f" ({row['revocation_reason']})" if row["revocation_reason"] else "")
                               + (f"; superseded by {row['superseded_by']}" if row["superseded_by"] else ""),
                               **own))
        bundle, export_stdout = out.bundles[name]
        _write(root / "repo" / "served" / f"trust-bundle-{name}.json", bundle)
        _write(root / "repo" / "served" / f"trust-bundle-{name}.export.json", export_stdout)
        judged.append(Case(f"repo/served/trust-bundle-{name}.json", "trust-bundle", bundle,
                           "`genesis-mesh trust-bundle export` output", root=sov.root.letter))
    return judged


def _key_by_letter_or_name(ref: str) -> str:
    key = KEYS.get(ref) or next(k for k in KEYS.values() if k.letter == ref)
    return key.public_b64


def _key_name(public: str) -> str:
    return next((name for name, k in KEYS.items() if k.public_b64 == public), "?")


def judge(root: Path, case: Case, path: str) -> dict[str, Any]:
    """The expected.json entry for one file, read back from disk."""
    keys = tuple(_key_by_letter_or_name(k) for k in case.keys)
    pinned = _key_by_letter_or_name(case.root) if case.root else None
    history = json.loads((root / case.key_history).read_bytes()) if case.key_history else None
    inputs = Inputs(keys=keys, root=pinned, key_history=history, at=parse_time(case.at))
    data = (root / path).read_bytes()
    assert data == case.data, path
    result = verdict(case.kind, data, inputs, path=root / path)
    argv = ["verify", case.kind, path]
    if keys:
        argv += ["--keys", ",".join(keys)]
    if pinned:
        argv += ["--root", pinned]
    if case.key_history:
        argv += ["--key-history", case.key_history]
    argv += ["--at", case.at]
    return {
        "kind": case.kind, "description": case.what,
        "keys": list(keys), "key_names": [_key_name(k) for k in keys],
        "root": pinned, "root_name": _key_name(pinned) if pinned else None,
        "key_history": case.key_history, "at": case.at, "argv": argv, **result,
    }


def write_corpus(root: Path) -> dict[str, Any]:
    """Regenerate the whole corpus under ``root`` (only the paths it owns are replaced)."""
    root.mkdir(parents=True, exist_ok=True)
    for name in OWNED:
        target = root / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    out = run_scenario()
    entries: dict[str, Any] = {}
    repo_cases = write_repo(root, out)
    doc_cases = build_cases(out)
    names = [c.name for c in doc_cases]
    if len(set(names)) != len(names):
        raise ValueError("duplicate case names")
    for case in doc_cases:
        _write(root / "documents" / f"{case.name}.json", case.data)
    for case in repo_cases:
        entries[case.name] = judge(root, case, case.name)
    for case in doc_cases:
        entries[f"documents/{case.name}.json"] = judge(root, case, f"documents/{case.name}.json")
    from importlib.metadata import version

    expected = {
        "reference": {"package": "genesis-mesh", "version": version("genesis-mesh")},
        "default_at": EVAL_AT,
        "alpha_key_history": ALPHA_HISTORY,
        "scenario_times": {k: v.isoformat().replace("+00:00", "Z") for k, v in TIMES.items()},
        "keys": {name: {"seed": k.letter, "public_key": k.public_b64, "key_id": k.key_id, "role": k.role}
                 for name, k in KEYS.items()},
        "documents": entries,
    }
    _write(root / "expected.json", (json.dumps(expected, indent=2, sort_keys=True) + "\n").encode("utf-8"))
    return expected
