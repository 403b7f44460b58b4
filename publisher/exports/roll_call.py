"""Export the coalition's roll call (Handshake RFC-008 view): every party of every sovereign,
its roles and the keys it holds, with managing partners marked as assisting.

Pure; from the verified model. A sovereign without a roll call is listed with `roll_call: null`
so that its absence is visible, never silently dropped.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from publisher.model import Party, Sovereign
from publisher.timestamps import format_z

if TYPE_CHECKING:
    from publisher.verify import Verification

TRUST_BEARING_KEYS = frozenset({"root", "operator"})


def is_managing_partner(party: Party) -> bool:
    return "managing-partner" in party.roles


def party_entry(party: Party) -> dict[str, Any]:
    partner = is_managing_partner(party)
    return {
        "name": party.name, "roles": list(party.roles), "holds_keys": list(party.holds_keys),
        "contact": party.contact, "url": party.url, "assistance_notes": list(party.assistance_notes),
        "managing_partner": partner,
        # RFC-008: a managing partner assists and holds no root or operator key.
        "holds_trust_bearing_keys": sorted(TRUST_BEARING_KEYS & set(party.holds_keys)),
    }


def sovereign_entry(sovereign: Sovereign) -> dict[str, Any]:
    roll = sovereign.roll_call
    return {
        "sovereign_id": sovereign.id,
        "display_name": sovereign.display_name,
        "roll_call": None if roll is None else {
            "path": roll.path, "custody_model": roll.custody_model, "verified": roll.verified,
            "issued_at": format_z(roll.issued_at) if roll.issued_at else None,
            "parties": [party_entry(p) for p in roll.parties],
        },
    }


def export_roll_call(verification: Verification) -> dict[str, Any]:
    """Every sovereign's parties, sorted by sovereign id (parties in published order)."""
    return {
        "evaluated_at": format_z(verification.at),
        "sovereigns": [sovereign_entry(s) for s in sorted(verification.sovereigns, key=lambda s: s.id)],
    }
