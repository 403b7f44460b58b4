"""`handshake bundle export ID` (RFC-003 v1 trust bundle, reference bundle hash) and
`handshake bundle import FILE` (validate, verify the embedded genesis against the pinned root,
record a receipt with trust_granted false; never grants trust)."""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from publisher.authoring import AuthoringError
from publisher.authoring.bundles import already_recorded, check_bundle, plan_receipt, validate_bundle
from publisher.authoring.writer import write_file_atomic
from publisher.cli import EXIT_FINDINGS, EXIT_OK, UsageError
from publisher.cli.authoring_args import add_common, apply_plan, format_finding, guarded, open_state
from publisher.layout import printable
from publisher.limits import DEFAULT_LIMITS
from publisher.strictjson import Refusal, load_json

# A bundle carries a whole connectome: larger than one document, still bounded.
BUNDLE_LIMITS = dataclasses.replace(DEFAULT_LIMITS, max_file_bytes=16 * DEFAULT_LIMITS.max_file_bytes)
MAX_BUNDLE_BYTES = BUNDLE_LIMITS.max_file_bytes


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("bundle", help="export or import a genesis-mesh trust bundle (RFC-003)",
                       description="Trust bundles are unverified review material, never credentials.")
    ops = p.add_subparsers(dest="bundle_command", metavar="ACTION", required=True)
    export = ops.add_parser("export", help="write a sovereign's trust bundle (genesis-mesh.trust-bundle v1)")
    export.add_argument("sovereign_id", metavar="ID")
    export.add_argument("--out", help="output file (default: stdout)")
    export.add_argument("--source-endpoint", help="source_endpoint to record (default: the sovereign's first "
                                                  "endpoint)")
    importer = ops.add_parser("import", help="validate a bundle and record an import receipt (grants no trust)")
    importer.add_argument("file", metavar="FILE")
    for op in (export, importer):
        add_common(op)
        op.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    return run_export(args) if args.bundle_command == "export" else run_import(args)


def run_export(args: argparse.Namespace) -> int:
    from publisher.exports.bundle import bundle_hash, export_trust_bundle
    state = open_state(args)
    sovereign = state.sovereign(args.sovereign_id)
    endpoint = args.source_endpoint or next(iter(sovereign.identity.endpoints if sovereign.identity else ()), None)
    if not endpoint:
        raise UsageError("give --source-endpoint (sovereign.json lists no endpoint)")
    try:
        bundle = export_trust_bundle(state.verification, sovereign.id, created_at=state.at,
                                     source_endpoint=endpoint.rstrip("/"))
    except ValueError as exc:
        raise AuthoringError(f"refused: {exc}") from exc
    errors, _ = validate_bundle(bundle)
    if errors:
        raise AuthoringError("refused: the exported bundle does not pass the reference's validation: "
                             + "; ".join(m for _, m in errors))
    text = json.dumps(bundle, indent=2, sort_keys=True) + "\n"
    if args.out:
        write_file_atomic(Path(args.out), text.encode("utf-8"))
        print(f"wrote {args.out}\nbundle_hash: {bundle_hash(bundle)}")
    else:
        sys.stdout.write(text)
        print(f"bundle_hash: {bundle_hash(bundle)}", file=sys.stderr)
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise UsageError(f"{path} is not a file")
    if path.stat().st_size > MAX_BUNDLE_BYTES:
        raise AuthoringError(f"refused: {path.name} is larger than {MAX_BUNDLE_BYTES} bytes")
    value = load_json(path.read_bytes(), BUNDLE_LIMITS)
    if isinstance(value, Refusal) or not isinstance(value, dict):
        raise AuthoringError(f"refused: {path.name} is not a trust bundle ("
                             + (value.message if isinstance(value, Refusal) else "not a JSON object") + ")")
    state = open_state(args)
    check = check_bundle(state, value, path.name)
    print("UNVERIFIED review material: a bundle grants no trust; trust_granted stays false.")
    # The id is the bundle's own claim, printed before it is validated: written visibly.
    print(f"bundle_hash: {check.bundle_hash}\nsovereign:   {printable(str(check.summary['sovereign_id']))}")
    for f in check.findings(path.name):
        print(format_finding(f))
    if not check.ok:
        print("refused: the bundle does not validate; no receipt was written", file=sys.stderr)
        return EXIT_FINDINGS
    recorded = already_recorded(state, check)
    if recorded is not None:
        print(printable(recorded))       # quotes the receipt's created_at
        return EXIT_OK
    return apply_plan(state, plan_receipt(state, check, path.name))
