#!/usr/bin/env python3
"""The Genesis Mesh reference (genesis-mesh 1.8.1) as a command-line oracle for Handshake tests.

Run it with the .venv-ref interpreter (scripts/setup-reference.sh); it imports genesis_mesh.
Every subcommand prints JSON on stdout.

  make-corpus OUTDIR      regenerate repo/, documents/ and expected.json (deterministic)
  check-corpus DIR        recompute every expected.json verdict; exit 1 on any difference
  verify KIND FILE [--keys K1,K2] [--root KEY] [--key-history FILE] [--at ISO]
                          the reference's strict and model verdicts for one document
  signed-bytes KIND FILE  the exact bytes the reference's strict path checks a signature over
  differential SEED COUNT seeded random documents from the reference's producers, with its strict
                          verdict on each (refimpl/differential.py; deterministic per seed)
  graph-scenario SEED [--operations N] [--snapshots K]
                          a seeded random scenario on in-process NAs: every NA's served documents,
                          /recognition-graph and /connectome.json at K instants (refimpl/graph_scenario.py)
  bundle-scenario SEED [--operations N] [--snapshots K]
                          the same scenario with every NA's `trust-bundle export` at each instant, changed
                          after export, and the reference's verdict on each file (refimpl/bundle_scenario.py)
  lifecycle-scenario SEED hand-signed treaties no reference workflow makes (suspended, signed revoked, not yet
                          valid, re-signed, on lifecycle boundaries) stored in in-process NAs, their served
                          graphs and the reference's verdicts at four instants (refimpl/lifecycle_scenario.py)
  time-documents SEED     treaties and feeds signed at the edges of a key history's windows and with every
                          timestamp form, with the reference's strict verdict (as `differential`)
  verify-bundles MANIFEST the reference's verdicts on many bundle files at once: MANIFEST is a JSON list of
                          {"file", "roots": {sovereign_id: root key}}; the root of the sovereign a bundle names
                          is pinned for its embedded genesis

KIND is one of genesis, treaty, feed, key-history, policy, attestation, trust-bundle.
A key is base64 or the path of a genesis-mesh key file (.pub). Exit status: 0 when the
command ran (the verdict is in the JSON, whatever it is), 1 for check-corpus differences,
2 for misuse.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

try:
    import genesis_mesh  # noqa: F401
except ImportError:  # pragma: no cover - the point is the message
    sys.exit("reference_tool.py must run with .venv-ref/bin/python (run scripts/setup-reference.sh)")

from refimpl.verdicts import KINDS, Inputs, parse_time, signed_bytes, verdict  # noqa: E402


def _key(value: str) -> str:
    path = Path(value)
    if value.endswith(".pub") and path.is_file():
        lines = [line.strip() for line in path.read_text().splitlines() if not line.startswith("#")]
        return "".join(lines)
    return value


def _inputs(args: argparse.Namespace, base: Path | None = None) -> Inputs:
    def resolve(p: str) -> Path:
        return (base / p) if base is not None and not Path(p).is_absolute() else Path(p)

    return Inputs(
        keys=tuple(_key(k) for k in args.keys.split(",") if k) if args.keys else (),
        root=_key(args.root) if args.root else None,
        key_history=json.loads(resolve(args.key_history).read_bytes()) if args.key_history else None,
        at=parse_time(args.at) if args.at else None,
    )


def cmd_verify(args: argparse.Namespace) -> int:
    path = Path(args.file)
    result = verdict(args.kind, path.read_bytes(), _inputs(args), path=path)
    print(json.dumps({"kind": args.kind, "file": args.file, **result}, indent=2, sort_keys=True))
    return 0


def cmd_signed_bytes(args: argparse.Namespace) -> int:
    print(json.dumps({"kind": args.kind, "signed_bytes": signed_bytes(args.kind, Path(args.file).read_bytes())}))
    return 0


def cmd_make_corpus(args: argparse.Namespace) -> int:
    from refimpl.corpus import write_corpus

    expected = write_corpus(Path(args.outdir))
    docs = expected["documents"]
    print(json.dumps({"outdir": args.outdir, "documents": len(docs),
                      "strict_accepted": sum(1 for e in docs.values() if e["strict"]["accepted"])}, indent=2))
    return 0


def cmd_check_corpus(args: argparse.Namespace) -> int:
    """Recompute each entry from its argv, so a changed reference or edited file shows up."""
    root = Path(args.dir)
    expected = json.loads((root / "expected.json").read_text())
    parser = build_parser()
    differences = []
    for path, entry in sorted(expected["documents"].items()):
        sub = parser.parse_args(entry["argv"])
        result = verdict(sub.kind, (root / sub.file).read_bytes(), _inputs(sub, root), path=root / sub.file)
        for part in ("strict", "model", "embedded_genesis"):
            if result.get(part) != entry.get(part):
                differences.append({"file": path, "part": part, "expected": entry.get(part), "got": result.get(part)})
    print(json.dumps({"checked": len(expected["documents"]), "differences": differences}, indent=2))
    return 1 if differences else 0


def cmd_differential(args: argparse.Namespace) -> int:
    from refimpl.differential import generate

    print(json.dumps({"seed": args.seed, "documents": generate(args.seed, args.count)}))
    return 0


def cmd_graph_scenario(args: argparse.Namespace) -> int:
    from refimpl.graph_scenario import run

    print(json.dumps(run(args.seed, args.operations, args.snapshots)))
    return 0


def cmd_bundle_scenario(args: argparse.Namespace) -> int:
    from refimpl.bundle_scenario import run

    print(json.dumps(run(args.seed, args.operations, args.snapshots)))
    return 0


def cmd_lifecycle_scenario(args: argparse.Namespace) -> int:
    from refimpl.lifecycle_scenario import run

    print(json.dumps(run(args.seed)))
    return 0


def cmd_time_documents(args: argparse.Namespace) -> int:
    from refimpl.lifecycle_scenario import time_documents

    print(json.dumps({"seed": args.seed, "documents": time_documents(args.seed)}))
    return 0


def cmd_verify_bundles(args: argparse.Namespace) -> int:
    from refimpl.verdicts import bundle_verdict

    entries = json.loads(Path(args.manifest).read_text())
    print(json.dumps([bundle_verdict(Path(e["file"]).read_text(encoding="utf-8"), {
        sid: _key(root) for sid, root in e["roots"].items()}) for e in entries]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reference_tool.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    make = sub.add_parser("make-corpus")
    make.add_argument("outdir")
    make.set_defaults(run=cmd_make_corpus)
    check = sub.add_parser("check-corpus")
    check.add_argument("dir")
    check.set_defaults(run=cmd_check_corpus)
    verify = sub.add_parser("verify")
    verify.add_argument("kind", choices=KINDS)
    verify.add_argument("file")
    verify.add_argument("--keys", help="NA public keys, comma-separated (base64 or .pub files)")
    verify.add_argument("--root", help="the pinned root public key (base64 or .pub file)")
    verify.add_argument("--key-history", help="a served /na/key-history JSON, verified from --root")
    verify.add_argument("--at", help="evaluation time, ISO 8601 (default: now)")
    verify.set_defaults(run=cmd_verify)
    signed = sub.add_parser("signed-bytes")
    signed.add_argument("kind", choices=("genesis", "treaty", "feed", "attestation", "policy"))
    signed.add_argument("file")
    signed.set_defaults(run=cmd_signed_bytes)
    diff = sub.add_parser("differential")
    diff.add_argument("seed", type=int)
    diff.add_argument("count", type=int)
    diff.set_defaults(run=cmd_differential)
    scenario = sub.add_parser("graph-scenario")
    scenario.add_argument("seed", type=int)
    scenario.add_argument("--operations", type=int, default=30)
    scenario.add_argument("--snapshots", type=int, default=4)
    scenario.set_defaults(run=cmd_graph_scenario)
    bundles = sub.add_parser("bundle-scenario")
    bundles.add_argument("seed", type=int)
    bundles.add_argument("--operations", type=int, default=14)
    bundles.add_argument("--snapshots", type=int, default=2)
    bundles.set_defaults(run=cmd_bundle_scenario)
    lifecycle = sub.add_parser("lifecycle-scenario")
    lifecycle.add_argument("seed", type=int)
    lifecycle.set_defaults(run=cmd_lifecycle_scenario)
    times = sub.add_parser("time-documents")
    times.add_argument("seed", type=int)
    times.set_defaults(run=cmd_time_documents)
    many = sub.add_parser("verify-bundles")
    many.add_argument("manifest")
    many.set_defaults(run=cmd_verify_bundles)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError) as exc:
        print(json.dumps({"error": str(exc)}), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
