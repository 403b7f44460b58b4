"""`handshake na rotate --root-key PATH --new-na-key PATH --na-key PATH`: an NA key succession
in genesis-mesh's form (root, new key and previous key sign), recorded in key-history.json."""
from __future__ import annotations

import argparse

from publisher.authoring.succession import plan_rotate
from publisher.cli.authoring_args import add_common, apply_plan, guarded, open_state, signer
from publisher.cli.common import parse_at


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("na", help="Network Authority key management",
                       description="Network Authority key succession (genesis-mesh 1.5+, FORMATS §3).")
    ops = p.add_subparsers(dest="na_command", metavar="ACTION", required=True)
    rotate = ops.add_parser("rotate", help="name the next NA key (root-signed succession)",
                            description="Append a key succession to key-history.json, signed by the root key, "
                                        "the new NA key and the current NA key; update keys/na.pub and "
                                        "sovereign.json; verify before reporting success.")
    rotate.add_argument("--root-key", required=True, help="the root private key file (offline)")
    rotate.add_argument("--new-na-key", required=True, help="the new NA private key file (proof of possession)")
    rotate.add_argument("--na-key", required=True, help="the current NA private key file (countersigns)")
    rotate.add_argument("--sovereign", help="sovereign id (default: the one whose pinned root --root-key is)")
    rotate.add_argument("--new-key-id", help="label of the new key (default: its key file's Key ID)")
    rotate.add_argument("--effective-at", help="when the new key takes effect (default: --at)")
    rotate.add_argument("--valid-days", type=int, default=365,
                        help="enforced validity of the new key after it takes effect (1..3653, default 365)")
    rotate.add_argument("--succession-id", help="record id (default: a random UUID)")
    add_common(rotate)
    rotate.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    state = open_state(args)
    root = signer(args.root_key, state, "--root-key")
    new = signer(args.new_na_key, state, "--new-na-key")
    previous = signer(args.na_key, state, "--na-key")
    sovereign = state.sovereign(args.sovereign or state.sovereign_by_key(root.public_key, "root").id)
    plan = plan_rotate(state, sovereign, root, new, previous,
                       effective_at=parse_at(args.effective_at) if args.effective_at else None,
                       valid_days=args.valid_days, new_key_id=args.new_key_id, succession_id=args.succession_id)
    return apply_plan(state, plan)
