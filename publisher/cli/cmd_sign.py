"""`handshake sign FILE --key PATH`: add one signature to a published document (co-signing as
a pull request, one signer at a time); the payload shown by show-payload is what is signed."""
from __future__ import annotations

import argparse

from publisher.authoring.signing import plan_sign
from publisher.cli.authoring_args import add_no_cache, apply_plan, guarded, open_state, signer
from publisher.cli.cmd_show_payload import locate


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("sign", help="add a signature to a document that may already have others",
                       description="Append one signature over the document's canonical bytes with a key the "
                                   "verifier counts for it (its NA key, a root-declared co-signer, or the root "
                                   "key for root-signed kinds). Nothing else changes; the repository is "
                                   "verified before success (a document still short of its threshold is "
                                   "reported as pending).")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--key", required=True, help="private key file of the signer (outside the repository)")
    p.add_argument("--key-id", help="label for the signature (default: the key file's Key ID)")
    p.add_argument("--expect-sha256", help="refuse unless the payload hash is the one you reviewed "
                                           "(from show-payload)")
    p.add_argument("--repo", help="repository root (default: found above FILE)")
    p.add_argument("--at", help="evaluation time of the verification (default: now)")
    add_no_cache(p)
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    state = open_state(args, locate(args.file, args.repo))
    key = signer(args.key, state, "--key")
    return apply_plan(state, plan_sign(state, args.file, key, key_id=args.key_id, expect_sha256=args.expect_sha256))
