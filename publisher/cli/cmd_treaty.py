"""`handshake treaty issue|renew|replace|suspend|resume|revoke`: recognition treaties with the
reference's semantics (FORMATS §5.3), signed by the issuer's NA key, verified before success."""
from __future__ import annotations

import argparse
from datetime import timedelta

from publisher.authoring import AuthoringError, treaties
from publisher.authoring.keys import read_public_key
from publisher.cli import UsageError
from publisher.cli.authoring_args import add_common, apply_plan, guarded, kv_pairs, open_state, signer
from publisher.cli.common import parse_at


def _duration(text: str | None) -> timedelta | None:
    if text is None:
        return None
    try:
        return treaties.parse_duration(text)
    except AuthoringError as exc:
        raise UsageError(str(exc)) from exc


def _roles(values: list[str] | None) -> tuple[str, ...]:
    return tuple(r.strip() for value in values or [] for r in value.split(",") if r.strip())


def _scope_args(p: argparse.ArgumentParser, required: bool) -> None:
    p.add_argument("--roles", action="append", required=required,
                   help="allowed roles, comma-separated or repeated: client, anchor, bridge, operator, "
                        "service:<name> (role: prefix optional)")
    p.add_argument("--accepted-status", action="append", dest="statuses",
                   help="accepted attestation status (repeatable; default active)")
    p.add_argument("--claim", action="append", help="informational scope claim key=value (repeatable)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("treaty", help="issue, renew, replace, suspend, resume or revoke a recognition treaty",
                       description="Recognition treaties (RFC-002) with genesis-mesh's semantics. Revocation is "
                                   "terminal for a treaty id.")
    ops = p.add_subparsers(dest="treaty_command", metavar="ACTION", required=True)

    issue = ops.add_parser("issue", help="ISSUER recognizes SUBJECT")
    issue.add_argument("issuer", metavar="ISSUER")
    issue.add_argument("subject", metavar="SUBJECT")
    _scope_args(issue, required=True)
    issue.add_argument("--valid-for", required=True, help="validity, e.g. 90d, 12w, 168h")
    issue.add_argument("--valid-from", help="start of validity (default: --at)")
    issue.add_argument("--subject-key", action="append", default=[],
                       help="subject NA public key (base64 or .pub file); needed when SUBJECT is not in the "
                            "repository, else its current NA key is used")
    issue.add_argument("--metadata", action="append", help="free-form metadata key=value (repeatable)")
    issue.add_argument("--treaty-id", help="treaty id (default: a random UUID, as the NA)")
    issue.add_argument("--na-key", required=True, help="the issuer's NA private key file")

    for name, text in (("renew", "same subject, keys and scope; old row revoked renewed_by:<new>"),
                       ("replace", "new scope; old row revoked replaced_by:<new>")):
        op = ops.add_parser(name, help=text)
        op.add_argument("treaty_id", metavar="TREATY_ID")
        op.add_argument("--valid-for", help="validity of the new treaty (default: the old one's)")
        op.add_argument("--new-treaty-id", help="id of the new treaty (default: a random UUID)")
        op.add_argument("--na-key", required=True, help="the issuer's NA private key file")
        if name == "replace":
            _scope_args(op, required=True)
            op.add_argument("--subject-key", action="append", default=[],
                            help="new subject NA key(s) (default: keep the old treaty's)")
    for name, text in (("suspend", "re-sign with status suspended"), ("resume", "re-sign with status active")):
        op = ops.add_parser(name, help=text)
        op.add_argument("treaty_id", metavar="TREATY_ID")
        op.add_argument("--na-key", required=True, help="the issuer's NA private key file")
    revoke = ops.add_parser("revoke", help="revoke (terminal): the issuer's row, optionally re-signed too")
    revoke.add_argument("treaty_id", metavar="TREATY_ID")
    revoke.add_argument("--reason", required=True, help="revocation reason, e.g. member_departed")
    revoke.add_argument("--form", choices=("row", "signed"), default="row",
                        help="row: the NA's form, row state only (default); signed: also re-sign the body "
                             "with status revoked")
    revoke.add_argument("--na-key", help="NA private key file (needed for --form signed)")
    for op in ops.choices.values():
        add_common(op)
        op.set_defaults(run=guarded(run))


def _scope(args: argparse.Namespace) -> treaties.Scope:
    return treaties.Scope(_roles(args.roles), tuple(args.statuses or ("active",)),
                          kv_pairs(args.claim, "--claim"))


def run(args: argparse.Namespace) -> int:
    state = open_state(args)
    action = args.treaty_command
    na = signer(args.na_key, state, "--na-key") if getattr(args, "na_key", None) else None
    if action == "issue":
        assert na is not None
        valid_for = _duration(args.valid_for)
        assert valid_for is not None
        spec = treaties.Issue(args.issuer, args.subject, _scope(args), valid_for,
                              tuple(read_public_key(k) for k in args.subject_key),
                              parse_at(args.valid_from) if args.valid_from else None,
                              kv_pairs(args.metadata, "--metadata"), args.treaty_id)
        plan = treaties.plan_issue(state, spec, na)
    elif action in ("renew", "replace"):
        assert na is not None
        plan = treaties.plan_successor(
            state, args.treaty_id, na, action=action, valid_for=_duration(args.valid_for),
            scope=_scope(args) if action == "replace" else None,
            keys=tuple(read_public_key(k) for k in getattr(args, "subject_key", [])), new_id=args.new_treaty_id)
    elif action in ("suspend", "resume"):
        assert na is not None
        plan = treaties.plan_status(state, args.treaty_id, na, status="suspended" if action == "suspend" else "active")
    else:
        plan = treaties.plan_revoke(state, args.treaty_id, reason=args.reason, na=na, signed=args.form == "signed")
    return apply_plan(state, plan)
