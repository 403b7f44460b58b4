"""`handshake keygen --role root|na|operator --out PATH`: an Ed25519 keypair in genesis-mesh's
key-file format (BASE.key 0600 from the first byte, BASE.pub), never inside a repository."""
from __future__ import annotations

import argparse
from datetime import datetime, UTC
from pathlib import Path

from publisher.authoring.keys import new_seed, write_keypair
from publisher.cli import EXIT_OK, UsageError
from publisher.cli.authoring_args import guarded
from publisher.crypto import fingerprint, public_key_of
from publisher.keyfile import MAX_LABEL, key_file_label
from publisher.layout import printable

DEFAULT_PREFIX = {"root": "rs", "na": "na"}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("keygen", help="generate an Ed25519 keypair (outside any repository)",
                       description="Write BASE.key (the base64 seed, mode 0600 from its first byte, never "
                                   "overwritten) and BASE.pub in genesis-mesh's key-file format. Refuses any "
                                   "place inside a git work tree or the repository. Prints the public key and "
                                   "its fingerprint.")
    p.add_argument("--role", required=True, choices=("root", "na", "operator"), help="the key's role")
    p.add_argument("--out", required=True, help="BASE path: writes BASE.key and BASE.pub")
    p.add_argument("--key-id", help=f"key label written as '# Key ID': one line of printable ASCII, at most "
                                    f"{MAX_LABEL} characters (default rs-/na-YYYY-qN-<first 8 hex digits of "
                                    "the fingerprint>; "
                                    "required for operator keys, as in genesis-mesh)")
    p.add_argument("--repo", help="the Handshake repository the key must stay out of "
                                  "(default: the current directory's)")
    p.set_defaults(run=guarded(run))


def default_key_id(role: str, now: datetime, public_key: str) -> str:
    """genesis-mesh's rs-/na-YYYY-qN, plus the start of the key's fingerprint: two keys made in one
    quarter (a rotation soon after a compromise) would otherwise share a label in the key history."""
    digest = fingerprint(public_key).removeprefix("sha256:")[:8]
    return f"{DEFAULT_PREFIX[role]}-{now.year}-q{(now.month - 1) // 3 + 1}-{digest}"


def run(args: argparse.Namespace) -> int:
    if args.role == "operator" and not args.key_id:
        raise UsageError("operator keys need --key-id (as genesis-mesh keygen operator)")
    if args.key_id is not None and key_file_label(args.key_id) != args.key_id:
        raise UsageError(f"--key-id '{printable(args.key_id[:80])}' is not a key file label: give one line of "
                         f"printable ASCII, 1 to {MAX_LABEL} characters, without blanks around it")
    seed = new_seed()
    key_id = args.key_id or default_key_id(args.role, datetime.now(UTC), public_key_of(seed))
    repo = Path(args.repo).resolve() if args.repo else None
    files = write_keypair(args.out, role=args.role, key_id=key_id, repo=repo, seed=seed)
    print(f"public key:  {files.public_key}")
    print(f"fingerprint: {fingerprint(files.public_key)}")
    print(f"key id:      {key_id}")
    print(f"private key: {files.private_path} (mode 0600; keep it offline, never commit it)")
    print(f"public key:  {files.public_path}")
    return EXIT_OK
