"""`handshake show-payload FILE`: the exact canonical bytes a signature over FILE covers, and
which key role (and keys) the verifier will require, so a signer sees what they sign."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from publisher.authoring.placement import handshake_repo
from publisher.authoring.signing import Payload, describe
from publisher.cli import EXIT_OK, UsageError
from publisher.cli.authoring_args import add_no_cache, guarded, open_state
from publisher.crypto import fingerprint
from publisher.layout import printable


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("show-payload", help="print the exact bytes to be signed and the key role required",
                       description="Print the canonical signed bytes of a document (publisher.canonical), its "
                                   "kind (from the repository layout), the key role and keys the verifier "
                                   "accepts, and which present signatures verify.")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--repo", help="repository root (default: found above FILE)")
    p.add_argument("--at", help="evaluation time for the repository's verification (default: now)")
    add_no_cache(p)
    p.add_argument("--raw", action="store_true", help="print only the payload bytes, nothing else")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=guarded(run))


def locate(file: str, repo: str | None) -> Path:
    if not Path(file).is_file():
        raise UsageError(f"{file} is not a file")
    root = Path(repo) if repo else handshake_repo(Path(file).resolve().parent)
    if root is None or not root.is_dir():
        raise UsageError(f"no Handshake repository above {file}; give --repo")
    return root


def render_text(info: Payload) -> str:
    """The facts, then the payload. Strings from the file under review (issued_at, key labels)
    are written `printable`; the payload is canonical JSON, already ASCII with controls escaped."""
    lines = [f"file:       {printable(info.path)}", f"kind:       {info.kind}",
             f"signer:     {info.role} key - the verifier requires {printable(info.requirement())}"]
    accepts = [printable(f"{k.label} {fingerprint(k.public_key)}") for k in info.allowed] \
        or ["(no key: the sovereign does not verify)"]
    lines.append("accepts:    " + "\n            ".join(accepts))
    sigs = [f"#{i} key_id {kid!r}: " + (f"verifies ({printable(label)})" if label
                                         else "does not verify under an accepted key")
            for i, kid, label in info.signed_by] or ["none"]
    lines.append("signatures: " + "\n            ".join(sigs))
    lines.append(f"payload:    {len(info.payload)} bytes, sha256 {info.sha256}")
    return "\n".join(lines) + "\n" + info.payload.decode("ascii") + "\n"


def render_json(info: Payload) -> str:
    return json.dumps({
        "file": info.path, "kind": info.kind, "role": info.role, "requirement": info.requirement(),
        "threshold": info.threshold, "payload": info.payload.decode("ascii"), "payload_sha256": info.sha256,
        "accepted_keys": [{"label": k.label, "public_key": k.public_key, "fingerprint": fingerprint(k.public_key),
                           "cosigner": k.cosigner} for k in info.allowed],
        "signatures": [{"index": i, "key_id": kid, "verifies_under": label} for i, kid, label in info.signed_by],
    }, indent=2, sort_keys=True) + "\n"


def run(args: argparse.Namespace) -> int:
    root = locate(args.file, args.repo)
    info = describe(open_state(args, root), args.file)
    if args.raw:
        sys.stdout.buffer.write(info.payload)
        sys.stdout.flush()
    else:
        sys.stdout.write(render_json(info) if args.format == "json" else render_text(info))
    return EXIT_OK
