"""`handshake roll-call ID --na-key PATH [--party NAME --roles ...] [--remove-party NAME]
[--custody-model M] [--threshold K]`: change who operates a sovereign, then re-sign."""
from __future__ import annotations

import argparse

from publisher.authoring.rollcall import CUSTODY_MODELS, KEY_ROLES, PartyEdit, RollCallEdit, plan_roll_call
from publisher.cli import UsageError
from publisher.cli.authoring_args import add_common, apply_plan, guarded, open_state, signer


def _list(value: str | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(v.strip() for v in value.split(",") if v.strip())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("roll-call", help="add or change parties and roles in a roll call, and re-sign it",
                       description="Edit roll-call.json (RFC-008: who operates the sovereign and who holds "
                                   "which key) and re-sign it with the NA key. One party per call.")
    p.add_argument("sovereign_id", metavar="ID")
    p.add_argument("--na-key", required=True, help="the sovereign's NA private key file")
    p.add_argument("--party", help="name of the party to add or change")
    p.add_argument("--roles", help="the party's roles, comma-separated (operator, managing-partner, "
                                   "endpoint-manager, na-host, continuity, auditor, ...)")
    p.add_argument("--holds-keys", help=f"keys the party holds, comma-separated ({', '.join(KEY_ROLES)}); "
                                        "empty string for none")
    p.add_argument("--contact", help="the party's mailto: or https: contact")
    p.add_argument("--url", help="the party's web page")
    p.add_argument("--note", action="append", help="assistance note (repeatable; replaces the party's notes)")
    p.add_argument("--remove-party", action="append", default=[], help="remove this party (repeatable)")
    p.add_argument("--custody-model", choices=CUSTODY_MODELS)
    p.add_argument("--threshold", type=int,
                   help="k of k-of-n: treaties and feeds need k signatures from distinct NA keys "
                        "(co-signers declared by the root in na-cosigners.json); 1 removes it")
    add_common(p)
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    party_fields = (args.roles, args.holds_keys, args.contact, args.url, args.note)
    if args.party is None and any(v is not None for v in party_fields):
        raise UsageError("--roles, --holds-keys, --contact, --url and --note describe a --party")
    parties: tuple[PartyEdit, ...] = ()
    if args.party is not None:
        parties = (PartyEdit(args.party, _list(args.roles), _list(args.holds_keys), args.contact, args.url,
                             tuple(args.note) if args.note is not None else None),)
    edit = RollCallEdit(parties, tuple(args.remove_party), args.custody_model, args.threshold)
    state = open_state(args)
    na = signer(args.na_key, state, "--na-key")
    return apply_plan(state, plan_roll_call(state, args.sovereign_id, edit, na))
