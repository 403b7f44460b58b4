"""Reason codes of authoring and interop: the k-of-n co-signer declaration, trust bundle
import (mirroring genesis-mesh 1.8.1 `validate_trust_bundle`, FORMATS §10) and the import of
files saved from a reference Network Authority's public endpoints."""
from __future__ import annotations

from publisher.codes import Code, Severity

E, W = Severity.ERROR, Severity.WARNING


def _c(name: str, sev: Severity, title: str, explanation: str, *ref: str) -> Code:
    return Code(name, sev, title, explanation, tuple(ref))


CODES: tuple[Code, ...] = (
    # -- k-of-n co-signers (na-cosigners.json, root-signed) ----------------------------------
    _c("cosigners.id_mismatch", E, "Co-signer declaration of another sovereign",
       "na-cosigners.json names a sovereign_id other than its folder."),
    _c("cosigners.role_reuse", E, "Co-signer reuses another key",
       "A declared co-signer is the root key, an operator key or a key of the NA key history. "
       "RFC-001 rule 8 wants distinct keys per role, and a co-signer that is the NA key would "
       "let one key count twice toward a threshold."),
    _c("cosigners.duplicate", E, "Co-signer declared twice",
       "The same public key appears twice in na-cosigners.json; it would count once anyway."),
    _c("cosigners.window_inverted", E, "Co-signer window inverted",
       "A co-signer's valid_from is not before its valid_to, so it can co-sign nothing."),
    _c("cosigners.threshold_unreachable", E, "Signature threshold unreachable",
       "The roll call's signature_threshold needs more distinct keys than the NA key plus the "
       "co-signers the root declared: no treaty or feed of this sovereign could ever verify."),
    # -- trust bundle import (genesis-mesh validate_trust_bundle) ----------------------------
    _c("bundle.unsupported_type", E, "Not a trust bundle",
       "bundle_type is not genesis-mesh.trust-bundle.", "unsupported bundle_type"),
    _c("bundle.unsupported_version", E, "Unknown bundle version",
       "bundle_version is not v1; RFC-003 says to reject unknown versions.", "unsupported bundle_version"),
    _c("bundle.missing_field", E, "Bundle field missing",
       "created_at, source_endpoint, sovereign_metadata or genesis is missing.", "missing required field"),
    _c("bundle.missing_section", E, "Bundle section missing",
       "recognition_policy, revocation_feed or connectome is not an object (genesis-mesh 1.x).",
       "missing required section"),
    _c("bundle.not_object", E, "Bundle member is not an object",
       "sovereign_metadata or genesis is present but not an object.", "must be an object"),
    _c("bundle.identity_mismatch", E, "Bundle names two sovereigns",
       "sovereign_metadata.sovereign_id or genesis.network_name is missing, or they differ.",
       "sovereign_metadata.sovereign_id differs from genesis.network_name"),
    _c("bundle.na_key_mismatch", E, "Bundle names two NA keys",
       "The NA public key is missing from sovereign_metadata or genesis, or they differ.",
       "sovereign_metadata NA public key differs from genesis NA public key"),
    _c("bundle.forbidden_key", E, "Credential-shaped field in bundle",
       "An object key anywhere contains private_key, bearer, credential, password, secret or "
       "token (the reference's substring rule, FORMATS §14.10: even token_id).",
       "bundle contains private key, token, bearer, or credential-shaped fields"),
    _c("bundle.section_payload_missing", E, "Section ok without payload",
       "recognition_policy or revocation_feed says status ok but carries no object payload.",
       "status is ok but payload is missing"),
    _c("bundle.feed_issuer_mismatch", E, "Feed of another sovereign",
       "The revocation feed payload's issuer_sovereign_id is not the bundle's sovereign_id.",
       "revocation_feed issuer_sovereign_id differs from bundle sovereign_id"),
    _c("bundle.genesis_unsigned", W, "Embedded genesis unsigned",
       "Nothing in the bundle attests to its genesis; verify it against a root key obtained "
       "independently of the bundle.", "embedded genesis carries no signatures"),
    _c("bundle.policy_sovereign_mismatch", W, "Recognition policy of another sovereign",
       "The recognition policy's local_sovereign_id differs from the bundle's sovereign_id.",
       "recognition policy local_sovereign_id differs from bundle sovereign_id"),
    _c("bundle.genesis_unpinned", W, "Embedded genesis not verified",
       "The bundle's sovereign is not pinned in this repository (trust.lock or keys/root.pub), "
       "so its embedded genesis could not be checked against an independently obtained root. "
       "The receipt records the bundle for review only."),
    _c("bundle.genesis_rejected", E, "Embedded genesis does not verify",
       "The bundle's genesis block does not verify under the root key pinned in this repository "
       "(RFC-003: a verifier MUST check it against a root obtained independently of the bundle)."),
    _c("bundle.receipt_conflict", E, "Something else at the receipt's path",
       "A receipt is filed under its bundle's hash, so importing a bundle already recorded writes "
       "nothing; but the file at that path is not the bundle's receipt (another bundle_hash, not "
       "JSON, not a regular file). It is never replaced: look at it, move it away, import again."),
    # -- import of files saved from a reference NA (handshake import-na) ---------------------
    _c("import.missing_file", E, "Endpoint file missing",
       "A required endpoint file (/genesis, /sovereign.json) is not in the import folder."),
    _c("import.unreadable", E, "Endpoint file unreadable",
       "An endpoint file is not strict JSON or not an object."),
    _c("import.inconsistent", E, "Endpoint files disagree",
       "The saved endpoint files name different sovereigns, roots or genesis blocks."),
)
