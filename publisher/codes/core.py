"""Reason codes of the core verifier: loading, layout, schema, signatures and key chain,
document rules (RFC-001..004, RFC-008), coalition, trust.lock and redaction."""
from __future__ import annotations

from publisher.codes import Code, Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO  # noqa: E741  (the table below reads as a grid)


def _c(name: str, sev: Severity, title: str, explanation: str, *ref: str) -> Code:
    return Code(name, sev, title, explanation, tuple(ref))


CODES: tuple[Code, ...] = (
    # -- strict JSON input (genesis-mesh strict_json, FORMATS §1.6) -------------------------
    _c("json.invalid", E, "Not valid JSON",
       "The file is not a JSON text (syntax error, NaN or Infinity literal, truncated input).",
       "invalid_json"),
    _c("json.not_utf8", E, "Not UTF-8", "JSON documents must be UTF-8 without a byte-order mark.",
       "invalid_json"),
    _c("json.too_deep", E, "Nesting too deep",
       "Objects and arrays nest deeper than the limit (64, as the reference's strict parser).",
       "invalid_json"),
    _c("json.duplicate_key", E, "Duplicate object key",
       "An object names the same key twice. Parsers disagree on which value wins, so a signature "
       "could cover a different document than the one displayed.", "duplicate_key"),
    _c("json.non_finite_number", E, "Number out of float range",
       "A number such as 1e400 does not fit a finite double.", "non_finite_number"),
    _c("json.integer_out_of_range", E, "Integer out of range",
       "An integer lies outside -2^63 .. 2^64-1 or has more than 20 digits.", "integer_out_of_range"),
    _c("json.negative_zero", E, "Negative zero", "The integer -0 has no canonical form.",
       "negative_zero"),
    _c("json.lone_surrogate", E, "Lone surrogate",
       "A string escapes half of a UTF-16 surrogate pair; it has no UTF-8 encoding.",
       "lone_surrogate"),
    _c("json.not_object", E, "Top level is not an object",
       "Every Handshake document is a JSON object.", "malformed"),
    # -- limits -------------------------------------------------------------------------------
    _c("limits.file_too_large", E, "File too large",
       "The file exceeds the per-file size limit and was not read."),
    _c("limits.too_many_files", E, "Too many files",
       "The sovereign folder holds more files than the limit; the rest were not read."),
    _c("limits.string_too_long", E, "String too long", "A string value exceeds the length limit."),
    _c("limits.too_many_signatures", E, "Too many signatures",
       "A document carries more signatures than the limit; none were tried."),
    _c("limits.too_many_keys", E, "Key history too long",
       "The NA key history holds more successions than the limit; the rest were not used."),
    # -- layout --------------------------------------------------------------------------------
    _c("layout.no_sovereigns", E, "No sovereigns", "The repository has no sovereigns/<id>/ folder."),
    _c("layout.missing_file", E, "Required file missing",
       "A sovereign folder lacks a file the layout requires (genesis.signed.json, sovereign.json)."),
    _c("layout.unexpected_file", W, "File outside the layout",
       "The file is not part of the Handshake layout. It is reported, never silently ignored: "
       "a reviewer should know why it is there."),
    _c("layout.symlink_escape", E, "Symlink leaves the tree",
       "A symbolic link points outside the repository. It is never followed."),
    _c("layout.symlink", E, "Symlink in the tree",
       "Trust material must be regular files; a symbolic link is never followed."),
    _c("layout.not_regular", E, "Not a regular file",
       "The path is a device, socket, pipe, folder or git submodule (a gitlink) where a document "
       "was expected."),
    _c("layout.unreadable", E, "File unreadable", "The file could not be read."),
    _c("layout.unsafe_id", E, "Unsafe sovereign id",
       "A sovereign folder name must be 1-128 characters of A-Z a-z 0-9 . _ - and start and end "
       "with a letter or digit, so that it is safe in paths and URLs."),
    _c("layout.case_collision", E, "Names that differ only by case",
       "Two paths differ only by letter case or Unicode normalization (Treaties/ beside treaties/). "
       "A checkout on a case-insensitive file system (macOS, Windows) keeps only one of them, so "
       "what is verified there would depend on which one git wrote last."),
    _c("layout.name_not_utf8", E, "Name not UTF-8",
       "A file or folder name is not valid UTF-8, so it cannot be shown, linked or published as "
       "it is. It is not read; the finding spells each byte that is not UTF-8 as \\xNN."),
    _c("layout.deceptive_text", E, "Deceptive characters",
       "An identifier contains bidirectional control, invisible or non-ASCII look-alike "
       "characters that can make it display as another identifier."),
    # -- schema and canonical form -------------------------------------------------------------
    _c("doc.malformed", E, "Document does not match its schema",
       "A required field is missing, a value has the wrong type, or a value is out of range.",
       "malformed", "record_malformed", "genesis_invalid", "payload_invalid"),
    _c("doc.unknown_field", E, "Unknown field",
       "A field the format does not define. If it was signed, the document comes from a newer "
       "signer whose meaning this verifier cannot read; if not, it was added after signing.",
       "unknown_field"),
    _c("doc.non_canonical_form", E, "Not in canonical form",
       "The document differs from what the reference writes: a timestamp not in UTC 'Z' form "
       "with a 6-digit fraction, a defaulted field left out, feed ids unsorted or repeated.",
       "non_canonical_form"),
    _c("doc.timestamp_not_utc", W, "Timestamp not in UTC 'Z' form",
       "A signed timestamp is naive or carries a non-UTC offset. genesis-mesh 1.8.1 accepts it (its "
       "own example genesis is naive), so the document is accepted; RFC-001 (2026-10) requires "
       "signers to write UTC 'Z'. A naive time is read as UTC."),
    _c("key.malformed", E, "Malformed public key",
       "A public key must be standard padded base64 of exactly 32 bytes.", "invalid_signature"),
    _c("sig.malformed", E, "Malformed signature",
       "A signature must be standard padded base64 of exactly 64 bytes (base64url or unpadded "
       "values are refused, as by the reference).", "invalid_signature", "genesis_invalid_signature"),
    # -- signatures and the key chain -------------------------------------------------------
    _c("sig.missing", E, "No signature", "The document carries no signature.",
       "missing_signature", "invalid_signature", "genesis_invalid_signature"),
    _c("sig.invalid", E, "Signature does not verify",
       "No signature verifies over the canonical bytes under any key the signer's verified chain "
       "allows: the document was changed after signing or signed by another key.",
       "invalid_signature", "genesis_invalid_signature"),
    _c("sig.wrong_role", E, "Signed with a key of the wrong role",
       "The signature verifies, but under this sovereign's key of another role (root, or an "
       "operator key) than the one the document type requires.", "invalid_signature",
       "genesis_invalid_signature"),
    _c("sig.foreign_key", E, "Signed by another sovereign's key",
       "The signature verifies under a key that belongs to a different sovereign.",
       "invalid_signature"),
    _c("sig.key_not_valid_at_time", E, "NA key not valid at the document's time",
       "The signing NA key is in the history but was not valid at the document's issued_at "
       "(a key succession took effect before, or the key was not yet valid).",
       "na_key_not_valid_at_time"),
    _c("sig.outlives_key", E, "Signing key no longer vouches",
       "The NA key that signed the document was succeeded more than 300 s + 24 h before the "
       "evaluation time; the reference re-issues such records under the new key.",
       "outlives_key"),
    _c("key.root_unpinned", E, "Root key not pinned",
       "Neither trust.lock nor keys/root.pub gives this sovereign's root key, so nothing can be "
       "verified: a genesis block is never its own proof."),
    _c("key.file_malformed", E, "Key file unreadable",
       "A keys/*.pub file is not in genesis-mesh key-file format ('#' comment lines, then one "
       "standard base64 32-byte key)."),
    _c("key.na_file_mismatch", E, "Published NA key is not in the key history",
       "keys/na.pub and keys/na-*.pub must hold NA keys of the verified key history (genesis key "
       "or a root-signed succession)."),
    _c("key.na_file_not_current", W, "keys/na.pub is not the current NA key",
       "keys/na.pub holds an NA key a succession has replaced; readers expect the current key "
       "there (older keys may be published as keys/na-<n>.pub)."),
    _c("key.role_reuse", E, "Same key in two roles",
       "RFC-001 rule 8: root, NA and operator keys must be distinct keys."),
    _c("key.operator_file", I, "Operator key published",
       "An operator public key is published under keys/. Operator keys sign admin requests only; "
       "a document verifying under one is refused."),
    # -- genesis ------------------------------------------------------------------------------
    _c("genesis.root_mismatch", E, "Genesis names another root key",
       "The genesis block's root_public_key differs from the pinned root key.",
       "genesis_root_mismatch"),
    _c("genesis.id_mismatch", E, "Genesis network_name is not the folder id",
       "sovereigns/<id>/ must hold the genesis block whose network_name is <id>."),
    _c("genesis.unsigned_mismatch", W, "genesis.json differs from the signed block",
       "The unsigned genesis.json beside genesis.signed.json must be the same block without "
       "signatures."),
    _c("genesis.na_window_inverted", W, "NA validity window inverted",
       "network_authority.valid_from is not before valid_to."),
    # -- key history (FORMATS §3) -------------------------------------------------------------
    _c("history.genesis_mismatch", E, "Key history embeds another genesis",
       "key-history.json's genesis differs from genesis.signed.json."),
    _c("history.sovereign_mismatch", E, "Key history names another sovereign",
       "key-history.json's sovereign_id or root_public_key disagree with the genesis block."),
    _c("history.hint_mismatch", W, "Key history hints disagree",
       "The unsigned keys list of key-history.json disagrees with the keys recomputed from the "
       "signed successions. Only the successions are evidence."),
    _c("succession.sovereign_mismatch", E, "Succession names another sovereign",
       "A key succession record's sovereign_id is not the genesis network_name of the "
       "sovereign whose key history holds it. The history stops here.",
       "succession_sovereign_mismatch"),
    _c("succession.chain_break", E, "Succession does not continue the history",
       "key_sequence, previous_public_key or previous_succession_digest do not link to the "
       "current tail of the key history.", "succession_chain_break"),
    _c("succession.key_reused", E, "Succession reuses a key",
       "The new key is already in the history, equals the root key, or is not a 32-byte key.",
       "succession_key_reused"),
    _c("succession.backdated", E, "Succession issued after it takes effect",
       "issued_at is later than effective_at: the record claims a key change that had already "
       "happened when it was signed. The history stops here.",
       "succession_backdated"),
    _c("succession.not_increasing", E, "Succession does not move forward",
       "effective_at is not after the previous key's start, or new_valid_to is not after it.",
       "succession_not_increasing"),
    _c("succession.after_expiry", E, "Succession after the previous key expired",
       "The previous NA key had an enforced valid_to before this record's effective_at, so it "
       "could no longer hand over. The history stops here.",
       "succession_after_expiry"),
    _c("succession.invalid_root_signature", E, "Succession lacks a root signature",
       "No signature on the record verifies under the pinned root key: only the root may name "
       "a new NA key. A record changed after signing also ends here.",
       "succession_invalid_root_signature"),
    _c("succession.invalid_new_key_signature", E, "Succession lacks the new key's signature",
       "The new key must sign the record as proof of possession.",
       "succession_invalid_new_key_signature"),
    _c("succession.invalid_previous_signature", E, "Succession lacks the previous key's signature",
       "The NA key being replaced did not countersign the record, so the hand-over is not "
       "proven by the outgoing key.", "succession_invalid_previous_signature"),
    _c("succession.not_used", W, "Succession ignored",
       "A succession after a refused one is not used: the history stops at the first refusal."),
    # -- identity (RFC-001) -------------------------------------------------------------------
    _c("identity.id_mismatch", E, "sovereign.json names another sovereign",
       "sovereign_id and network_name must equal the folder id and the genesis network_name."),
    _c("identity.root_mismatch", E, "sovereign.json names another root key",
       "root_public_key must equal the genesis root key."),
    _c("identity.na_key_unknown", E, "sovereign.json names an unknown NA key",
       "The NA public key is neither the genesis key nor one added by a verified succession."),
    _c("identity.na_key_not_current", W, "sovereign.json names a retired NA key",
       "The NA key is in the history but is not the current key."),
    _c("identity.unsafe_url", E, "Unsafe URL",
       "An endpoint or link is not an http(s) URL (for example javascript: or data:); it is "
       "shown as text, never as a link."),
    # -- treaties (RFC-002) -------------------------------------------------------------------
    _c("treaty.wrong_issuer", E, "Treaty issued by another sovereign",
       "issuer_sovereign_id must be the sovereign whose folder holds the treaty and whose NA key "
       "signs it.", "wrong_issuer"),
    _c("treaty.malformed_window", E, "Treaty validity window invalid",
       "expires_at must be after valid_from and issued_at not after expires_at.",
       "malformed", "record_malformed"),
    _c("treaty.duplicate_id", E, "Two treaties share an id",
       "treaty_id must be unique: revocation and replacement are keyed by it."),
    _c("treaty.filename_mismatch", W, "Treaty file not named after its id",
       "treaties/<treaty_id>.json keeps one file per treaty id."),
    _c("treaty.row_mismatch", E, "Treaty row disagrees with the treaty file",
       "recognition-treaties.json embeds a treaty that differs from treaties/<id>.json."),
    _c("treaty.row_inconsistent", E, "Treaty row is inconsistent",
       "A row's status, revocation reason or replacement does not make sense (revoked without "
       "a reason, replaced_by or superseded_by an unknown treaty, re-activated after revocation)."),
    _c("treaty.subject_keys_mismatch", E, "Treaty pins keys the subject does not hold",
       "subject_public_keys must be NA keys of the subject sovereign's verified key history."),
    _c("treaty.subject_key_retired", W, "Treaty pins a retired subject key",
       "subject_public_keys name an NA key the subject has since succeeded."),
    _c("treaty.external_subject", I, "Treaty subject outside this repository",
       "The recognized sovereign is not published here, so its keys cannot be cross-checked."),
    _c("treaty.self_recognition", W, "Sovereign recognizes itself",
       "subject_sovereign_id equals issuer_sovereign_id. Such a treaty adds no trust between "
       "sovereigns; it is usually a mistake in the subject id."),
    _c("treaty.empty_roles", I, "Treaty grants no role",
       "An empty scope.allowed_roles grants no role since genesis-mesh 1.0 (in 0.52 it meant "
       "any role)."),
    _c("treaty.expiring_soon", W, "Treaty expiring soon",
       "The treaty expires within 72 hours of the evaluation time and has no successor.",
       "expiring_soon"),
    _c("treaty.expired", W, "Treaty expired",
       "expires_at lies at or before the evaluation time (genesis-mesh's treaty_lifecycle; its "
       "verify_recognition_treaty still accepts for 5 minutes of clock skew).",
       "outside_validity_window"),
    _c("treaty.not_yet_valid", W, "Treaty not yet valid",
       "valid_from (minus 5 minutes of skew) lies after the evaluation time.",
       "outside_validity_window"),
    _c("treaty.suspended", W, "Treaty suspended",
       "The issuer re-signed the treaty with status suspended (RFC-002: reversible).",
       "bad_status"),
    _c("treaty.revoked", I, "Treaty revoked",
       "The issuer revoked the treaty (row state or re-signed status); revocation is terminal "
       "for the treaty id.", "locally_revoked", "bad_status"),
    _c("treaty.replaced", I, "Treaty replaced",
       "The issuer revoked the treaty with reason replaced_by:/renewed_by: another treaty.",
       "locally_revoked"),
    # -- revocation feed (RFC-004) ------------------------------------------------------------
    _c("feed.wrong_issuer", E, "Feed issued by another sovereign",
       "issuer_sovereign_id must be the folder's sovereign.", "wrong_issuer", "feed_issuer_mismatch"),
    _c("feed.reason_for_unlisted_id", E, "Reason for an id that is not revoked",
       "Every key of revocation_reasons must be in revoked_attestation_ids.", "malformed",
       "record_malformed"),
    _c("feed.sequence_below_count", W, "Feed sequence below its revoked count",
       "The reference's sequence counts every revocation ever made, so it is at least the number "
       "of listed ids."),
    # -- policy manifest, recognition policy --------------------------------------------------
    _c("recpolicy.id_mismatch", E, "Recognition policy of another sovereign",
       "local_sovereign_id must be the folder's sovereign."),
    _c("recpolicy.key_mismatch", W, "Recognition policy pins unknown keys",
       "A recognized issuer published here is pinned with keys outside its NA key history."),
    # -- roll call (RFC-008) ------------------------------------------------------------------
    _c("rollcall.missing", W, "No roll call",
       "roll-call.json is recommended: it tells readers who operates the sovereign and who holds "
       "its keys. The reference makes none."),
    _c("rollcall.id_mismatch", E, "Roll call of another sovereign",
       "roll-call.json's sovereign_id is not the folder's sovereign id."),
    _c("rollcall.operator_count", E, "Roll call must name exactly one operator",
       "Exactly one party must have the operator role: the one accountable for the sovereign "
       "and its keys (RFC-008)."),
    _c("rollcall.partner_holds_keys", E, "Managing partner holds keys",
       "RFC-008: a managing partner assists but never holds root or operator keys."),
    _c("rollcall.na_holder_undisclosed", E, "NA key holder not disclosed",
       "custody_model managed-na-key must name the party holding the network-authority key."),
    _c("rollcall.custody_mismatch", W, "Custody model disagrees with key holders",
       "customer-held custody means the operator holds the root and network-authority keys."),
    _c("rollcall.duplicate_party", W, "Party listed twice",
       "Two parties of the roll call have the same name; list each party once with all its "
       "roles and keys."),
    _c("rollcall.unsafe_url", E, "Unsafe contact link",
       "A contact or url is not a mailto:, https: or http: link; it is shown as text only."),
    _c("sig.threshold_not_met", E, "Too few distinct signers",
       "The roll call requires k signatures from distinct NA keys on treaties and feeds."),
    # -- coalition and trust.lock -------------------------------------------------------------
    _c("coalition.missing", I, "No coalition.json",
       "Without coalition.json the coalition is every sovereign folder."),
    _c("coalition.member_missing", E, "Coalition member not published",
       "coalition.json lists a sovereign that has no folder here."),
    _c("coalition.unlisted_sovereign", W, "Sovereign not in the coalition",
       "A sovereign folder is not listed as a coalition member."),
    _c("coalition.duplicate_member", E, "Member listed twice",
       "coalition.json lists the same sovereign_id twice; the second entry is ignored."),
    _c("coalition.genesis_pin_mismatch", E, "Member genesis differs from its pin",
       "coalition.json pins a genesis hash that differs from the member's genesis.signed.json."),
    _c("coalition.unsafe_url", E, "Unsafe URL in coalition.json",
       "A link in coalition.json (site_url, docs_url, change_channel, a member's handshake_url, "
       "the operator's url or contact) is not an http(s) URL (mailto: also for a contact); it "
       "is shown as text, never as a link."),
    _c("lock.root_mismatch", E, "Root key differs from its pin",
       "trust.lock pins another root key for this sovereign than the one it now publishes. "
       "A root key change is legitimate only with a rotation record signed by the old root."),
    _c("lock.unpinned", W, "Sovereign not in trust.lock",
       "trust.lock exists but does not pin this sovereign; its root is taken from keys/root.pub."),
    _c("lock.stale_entry", I, "trust.lock pins an absent sovereign",
       "trust.lock keeps a root key for a sovereign that has no folder here. The pin is kept so "
       "that the sovereign cannot come back later under another root key unnoticed."),
    # -- redaction (RFC-003) ------------------------------------------------------------------
    _c("redaction.private_key", E, "Private key material",
       "A private key (PEM block, genesis-mesh .key file, or a field named like a private key) "
       "is published. Remove it from the repository and its history, then rotate the key."),
    _c("redaction.secret_field", E, "Secret-bearing field",
       "A field named like a secret, password, bearer token or credential is published."),
    _c("redaction.admin_material", E, "Admin request material",
       "Admin nonces, admin signatures or raw request headers must never be published."),
    _c("redaction.local_path", E, "Local filesystem or database path",
       "A local filesystem path or database location is published (RFC-003, RFC-008)."),
    # -- internal -----------------------------------------------------------------------------
    _c("internal.check_failed", E, "A check failed unexpectedly",
       "A verification step raised an unexpected error on this file. This is a Handshake bug; "
       "the file is treated as unverified. Please report it with the file."),
)
