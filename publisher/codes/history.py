"""Reason codes of git-aware trust: history checks, review changes, root rotations, git access.

Every trust change has a review level (critical, high, medium, low, info) in `LEVELS`; its
registry severity follows from it (critical and high are errors, medium a warning, low and
info are informational), so a history check that `handshake verify` reports fails the run
exactly when the change is critical or high.
"""
from __future__ import annotations

from types import MappingProxyType
from collections.abc import Mapping

from publisher.codes import Code, Severity

LEVEL_ORDER = ("critical", "high", "medium", "low", "info")
_SEVERITY = {"critical": Severity.ERROR, "high": Severity.ERROR, "medium": Severity.WARNING,
             "low": Severity.INFO, "info": Severity.INFO}

_CHANGES: tuple[tuple[str, str, str, str], ...] = (
    # name, level, title, explanation
    ("change.root_key_changed", "critical", "Root key changed without a rotation record",
     "A sovereign's genesis names a root key other than the one first seen, and no chain of root "
     "rotation records signed by the old root leads to it. Whoever holds the new key can "
     "rewrite everything the sovereign publishes."),
    ("change.root_key_rotated", "medium", "Root key rotated",
     "The root key changed and a chain of rotation records signed by the previous root and the "
     "new root (proof of possession) leads from the pinned root to it."),
    ("change.lock_repinned", "critical", "trust.lock pins another root",
     "trust.lock now pins a different root key for a sovereign. Pins are first-seen keys; "
     "changing one disables the root check for that sovereign."),
    ("change.lock_pin_added", "low", "Sovereign pinned", "trust.lock gained a pin."),
    ("change.lock_pin_removed", "high", "Pin removed from trust.lock",
     "A sovereign lost its pin: its root key is no longer checked against the first-seen key."),
    ("change.na_key_succeeded", "medium", "NA key succeeded",
     "A root-signed succession record adds a new network-authority key."),
    ("change.na_history_rewritten", "critical", "NA key history rewritten",
     "Succession records that were published are gone or altered; a key history only grows."),
    ("change.genesis_na_changed", "high", "Genesis NA key replaced",
     "The genesis block was re-signed with another NA key instead of a succession record."),
    ("change.sovereign_added", "medium", "Sovereign added", "A new sovereign folder appears."),
    ("change.sovereign_removed", "high", "Sovereign removed",
     "A sovereign folder disappears with everything it published, revocations included."),
    ("change.member_added", "medium", "Coalition member added", "coalition.json lists a new member."),
    ("change.member_removed", "high", "Coalition member removed", "coalition.json drops a member."),
    ("change.treaty_issued", "medium", "Treaty issued", "A sovereign recognizes another one."),
    ("change.treaty_renewed", "low", "Treaty renewed",
     "A new treaty renews an old one (metadata renew_of; the old row says renewed_by)."),
    ("change.treaty_replaced", "medium", "Treaty replaced",
     "A new treaty replaces an old one, possibly with another scope (metadata replace_of)."),
    ("change.treaty_suspended", "low", "Treaty suspended", "The treaty was re-signed as suspended."),
    ("change.treaty_resumed", "medium", "Treaty resumed", "A suspended treaty was re-signed as active."),
    ("change.treaty_revoked", "low", "Treaty revoked", "The issuer's row now revokes the treaty."),
    ("change.treaty_expiring", "low", "Treaty expiring soon",
     "A changed treaty expires within the review window."),
    ("change.treaty_unrevoked", "critical", "Revoked treaty active again",
     "A treaty id that was revoked is active again (row revoked -> active, re-published as "
     "active, or re-signed revoked -> active). Revocation is terminal for a treaty id."),
    ("change.treaty_deleted", "high", "Treaty deleted instead of revoked",
     "A treaty disappeared before it expired and without a revoked row: relying parties that hold "
     "a copy never learn it ended. Revoke it and keep the row."),
    ("change.treaty_removed", "info", "Ended treaty removed",
     "A treaty was removed after it had been revoked or had expired: housekeeping, not an attack."),
    ("change.scope_widened", "high", "Treaty scope widened",
     "The treaty grants more roles or accepts more attestation statuses than before."),
    ("change.scope_narrowed", "low", "Treaty scope narrowed",
     "The treaty grants fewer roles or accepts fewer statuses than before."),
    ("change.subject_keys_changed", "high", "Treaty pins other subject keys",
     "The keys the treaty trusts for its subject changed."),
    ("change.validity_extended", "medium", "Treaty validity extended",
     "The same treaty id now expires later (re-signed)."),
    ("change.feed_entry_added", "low", "Revocation added to the feed", "The feed revokes a new id."),
    ("change.feed_entry_removed", "critical", "Revocation withdrawn from the feed",
     "An id the feed revoked is no longer listed: a revocation feed is cumulative."),
    ("change.feed_sequence_decreased", "critical", "Feed sequence went down",
     "The revocation feed's sequence is lower than one already published (a rolled-back feed)."),
    ("change.issued_at_regressed", "high", "Signed document replaced by an older one",
     "A signed document was replaced by one with an earlier issued_at: a rollback to a "
     "previously published version."),
    ("change.rollcall_keys_gained", "high", "Party gains keys",
     "A roll-call party now holds keys it did not hold before."),
    ("change.rollcall_threshold_lowered", "high", "Signature threshold lowered",
     "The roll call's signature_threshold went down: fewer NA keys now suffice to sign the "
     "sovereign's treaties and feed (a single NA key can sign that change itself)."),
    ("change.rollcall_partner_added", "medium", "Managing partner added",
     "A managing partner appears in the roll call (RFC-008)."),
    ("change.rollcall_changed", "low", "Roll call changed",
     "Parties, roles or the custody model of the roll call changed."),
    ("change.rotation_added", "info", "Root rotation record published",
     "A root rotation record was added."),
    ("change.finding_introduced", "high", "New verification finding",
     "Verification at the head reports a finding the base did not have; its level follows the "
     "finding's severity (error: high, or critical for a root mismatch; warning: medium; info: info). "
     "A treaty's revoked or replaced finding is left out where a listed change already ends that treaty, "
     "and a renewal's or replacement's new treaty inherits the info findings of the treaty it succeeds."),
)

_OTHER: tuple[Code, ...] = (
    Code("rotation.sovereign_mismatch", Severity.ERROR, "Rotation names another sovereign",
         "A root rotation record's sovereign_id is not its folder."),
    Code("rotation.chain_break", Severity.ERROR, "Rotation does not continue the chain",
         "sequence is not the next number, or previous_root_public_key is not the current root."),
    Code("rotation.key_reused", Severity.ERROR, "Rotation reuses a key",
         "The new root equals the previous root or a root already used in the chain."),
    Code("rotation.backdated", Severity.ERROR, "Rotation issued after it takes effect",
         "issued_at is after effective_at."),
    Code("rotation.invalid_old_root_signature", Severity.ERROR, "Rotation lacks the old root's signature",
         "No signature on the record verifies under the previous root key."),
    Code("rotation.invalid_new_root_signature", Severity.ERROR, "Rotation lacks the new root's signature",
         "The new root key must sign the record as proof of possession."),
    Code("rotation.filename_mismatch", Severity.ERROR, "Rotation file name is not its sequence",
         "root-rotations/<n>.json must hold the record whose sequence is n."),
    Code("rotation.not_used", Severity.WARNING, "Rotation ignored",
         "A rotation after a refused one is not used: the chain stops at the first refusal."),
    Code("git.shallow", Severity.WARNING, "History incomplete (shallow clone)",
         "The clone is shallow, so history checks and first-seen pins cannot see the start of "
         "history. Fetch the full history (CI: fetch-depth: 0)."),
    Code("git.unreadable", Severity.ERROR, "History unreadable",
         "git could not read part of the history (a corrupt or missing object); history checks "
         "did not run to the end. With `verify --rev`, the commit's own trees could not be listed "
         "(a corrupt or missing tree, or an entry git refuses such as an empty name): nothing "
         "was verified."),
)

LEVELS: Mapping[str, str] = MappingProxyType({name: level for name, level, _, _ in _CHANGES})

CODES: tuple[Code, ...] = tuple(
    Code(name, _SEVERITY[level], title, explanation) for name, level, title, explanation in _CHANGES
) + _OTHER
