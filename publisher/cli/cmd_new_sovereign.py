"""`handshake new-sovereign ID --root-key PATH --na-key PATH`: a sovereign folder that verifies
at once (genesis, sovereign.json, key history, roll call, public keys)."""
from __future__ import annotations

import argparse

from publisher.authoring.sovereign import NewSovereign, plan_new_sovereign
from publisher.cli import UsageError
from publisher.cli.authoring_args import add_common, apply_plan, guarded, open_state, signer


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("new-sovereign", help="create a sovereign folder signed by its root and NA keys",
                       description="Create sovereigns/ID/ with a root-signed genesis block, sovereign.json, "
                                   "key-history.json, keys/root.pub, keys/na.pub and an NA-signed roll call, "
                                   "pin the root in trust.lock and list the member in coalition.json when "
                                   "those exist, and verify before reporting success.")
    p.add_argument("sovereign_id", metavar="ID")
    p.add_argument("--root-key", required=True, help="root private key file (outside the repository)")
    p.add_argument("--na-key", required=True, help="network-authority private key file")
    p.add_argument("--display-name", help="name shown for the sovereign (sovereign.json metadata)")
    p.add_argument("--operator", help="the operator party in the roll call (default: display name or ID)")
    p.add_argument("--contact", help="the operator's mailto: or https: contact")
    p.add_argument("--endpoint", action="append", default=[], help="public endpoint URL (repeatable)")
    p.add_argument("--network-version", default="v0.1", help="genesis network_version (default v0.1)")
    p.add_argument("--na-valid-days", type=int, default=90,
                   help="genesis NA valid_to = now + days (shown, not enforced; default 90 as genesis-mesh)")
    p.add_argument("--anchor", action="append", default=[], help="bootstrap anchor id:endpoint (repeatable)")
    add_common(p)
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    anchors = []
    for anchor in args.anchor:
        ident, sep, endpoint = anchor.partition(":")
        if not sep or not ident or not endpoint:
            raise UsageError(f"--anchor {anchor!r} must be id:endpoint")
        anchors.append((ident, endpoint))
    if args.na_valid_days < 1:
        raise UsageError("--na-valid-days must be at least 1")
    state = open_state(args)
    spec = NewSovereign(args.sovereign_id, display_name=args.display_name, operator=args.operator,
                        contact=args.contact, endpoints=tuple(args.endpoint), network_version=args.network_version,
                        na_valid_days=args.na_valid_days, anchors=tuple(anchors))
    root = signer(args.root_key, state, "--root-key")
    na = signer(args.na_key, state, "--na-key")
    return apply_plan(state, plan_new_sovereign(state, spec, root, na))
