"""`handshake import-na DIR`: fill or update a sovereign folder from files saved from a
reference NA's public endpoints (/sovereign.json, /genesis, /na/key-history,
/recognition-treaties, /sovereign-revocation-feed; /policy, /recognition-policy if present)."""
from __future__ import annotations

import argparse
from pathlib import Path

from publisher.authoring.keys import read_public_key
from publisher.authoring.na_import import plan_import
from publisher.cli import EXIT_OK, UsageError
from publisher.cli.authoring_args import add_common, apply_plan, guarded, open_state


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import-na", help="fill or update a sovereign folder from saved NA endpoint files",
                       description="Read the bodies saved from a genesis-mesh NA's public endpoints in DIR "
                                   "(file names as the endpoint, with or without .json), check they agree, "
                                   "and write them into sovereigns/<network_name>/ as received.")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--root-key", help="the sovereign's root public key obtained out of band (base64 or .pub)")
    p.add_argument("--trust-on-first-use", action="store_true",
                   help="accept the genesis root of a sovereign new to this repository as first seen")
    add_common(p)
    p.set_defaults(run=guarded(run))


def run(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a directory")
    state = open_state(args)
    root = read_public_key(args.root_key) if args.root_key else None
    plan = plan_import(state, folder, root_key=root, tofu=args.trust_on_first_use)
    if not plan.writes:
        print(plan.summary[0])
        return EXIT_OK
    return apply_plan(state, plan)
