"""`handshake feed revoke ID... --reason CODE --na-key PATH` and `handshake feed refresh`: the
sovereign's cumulative revocation feed (RFC-004), NA-signed, sequence never decreasing."""
from __future__ import annotations

import argparse

from publisher.authoring import feeds
from publisher.authoring.state import RepoState
from publisher.cli.authoring_args import add_common, apply_plan, guarded, open_state, signer
from publisher.authoring.keys import Signer


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("feed", help="revoke attestations in, or re-sign, the sovereign revocation feed",
                       description="The sovereign revocation feed lists every attestation id its NA ever "
                                   "revoked (sorted, unique); its sequence counts revocations and never "
                                   "decreases, as genesis-mesh computes it.")
    ops = p.add_subparsers(dest="feed_command", metavar="ACTION", required=True)
    revoke = ops.add_parser("revoke", help="revoke attestation ids (sequence rises by their number)")
    revoke.add_argument("ids", nargs="+", metavar="ID", help="attestation id(s) to revoke")
    revoke.add_argument("--reason", required=True, help="reason recorded for these ids, e.g. key_compromise")
    refresh = ops.add_parser("refresh", help="re-sign the same feed under the current NA key (after a rotation)")
    for op in (revoke, refresh):
        op.add_argument("--na-key", required=True, help="the sovereign's NA private key file")
        op.add_argument("--sovereign", help="sovereign id (default: the one whose current NA key --na-key is)")
        op.add_argument("--feed-id", help="feed id (default: a random UUID, as the NA)")
        add_common(op)
        op.set_defaults(run=guarded(run))


def sovereign_of(state: RepoState, given: str | None, na: Signer) -> str:
    return given or state.sovereign_by_key(na.public_key, "na").id


def run(args: argparse.Namespace) -> int:
    state = open_state(args)
    na = signer(args.na_key, state, "--na-key")
    sid = sovereign_of(state, args.sovereign, na)
    if args.feed_command == "revoke":
        plan = feeds.plan_revoke(state, sid, args.ids, reason=args.reason, na=na, feed_id=args.feed_id)
    else:
        plan = feeds.plan_refresh(state, sid, na=na, feed_id=args.feed_id)
    return apply_plan(state, plan)
