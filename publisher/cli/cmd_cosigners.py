"""`handshake cosigners add|remove ID --root-key PATH`: the root-signed declaration of the
extra NA keys that count toward a roll call's k-of-n signature threshold."""
from __future__ import annotations

import argparse

from publisher.authoring.cosigners import CoSignerSpec, plan_cosigners
from publisher.authoring.keys import key_id_of_public_file, read_public_key
from publisher.authoring.treaties import parse_duration
from publisher.cli import UsageError
from publisher.cli.authoring_args import add_common, apply_plan, guarded, open_state, signer
from publisher.cli.common import parse_at


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("cosigners", help="declare co-signing NA keys for k-of-n (root-signed)",
                       description="na-cosigners.json lists, under the root key's signature, the extra NA "
                                   "keys that count toward signature_threshold. A co-signer never signs alone: "
                                   "documents also need the NA key valid at their issued_at.")
    ops = p.add_subparsers(dest="cosigners_command", metavar="ACTION", required=True)
    add = ops.add_parser("add", help="declare a co-signer")
    add.add_argument("sovereign_id", metavar="ID")
    add.add_argument("--cosigner-key", required=True, help="the co-signer's public key (base64 or .pub file)")
    add.add_argument("--key-id", help="label (default: the .pub file's Key ID)")
    add.add_argument("--valid-from", help="first document time it may co-sign (default: --at)")
    add.add_argument("--valid-for", default="365d", help="window length (default 365d)")
    remove = ops.add_parser("remove", help="withdraw a co-signer (by key id or public key)")
    remove.add_argument("sovereign_id", metavar="ID")
    remove.add_argument("cosigner", metavar="KEY_ID_OR_PUBLIC_KEY")
    for op in (add, remove):
        op.add_argument("--root-key", required=True, help="the sovereign's root private key file")
        add_common(op)
        op.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    state = open_state(args)
    root = signer(args.root_key, state, "--root-key")
    if args.cosigners_command == "remove":
        return apply_plan(state, plan_cosigners(state, args.sovereign_id, root, remove=(args.cosigner,)))
    key = read_public_key(args.cosigner_key)
    key_id = args.key_id or key_id_of_public_file(args.cosigner_key)
    if not key_id:
        raise UsageError("give --key-id (the .pub file names none)")
    start = parse_at(args.valid_from) if args.valid_from else state.at
    spec = CoSignerSpec(key_id, key, start, start + parse_duration(args.valid_for))
    return apply_plan(state, plan_cosigners(state, args.sovereign_id, root, add=(spec,)))
