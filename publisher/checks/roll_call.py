"""Roll call (Handshake RFC-008 document): who operates a sovereign and who holds its keys.

NA-signed at its issued_at. Rules: exactly one operator; a managing partner never holds the
root or operator keys; managed-na-key custody names who holds the NA key; customer-held
custody means the operator holds root and NA keys.
"""
from __future__ import annotations

from typing import Any
from collections.abc import Mapping

from publisher import timestamps
from publisher.checks.form import check_form
from publisher.checks.signatures import Unexplained, check_na_signed
from publisher.checks.urls import SAFE_CONTACT_SCHEMES, is_safe_url
from publisher.findings import Finding, finding, pointer
from publisher.limits import Limits
from publisher.model import KeyHistory, Party, RollCall
from publisher.schemas import check_schema
from publisher.jsonshape import arr, texts

KIND = "roll-call"



def parse_parties(raw: Mapping[str, Any]) -> tuple[Party, ...]:
    parties = []
    for item in arr(raw.get("parties")):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            continue
        contact, url = item.get("contact"), item.get("url")
        parties.append(Party(
            name=item["name"], roles=texts(item.get("roles")), holds_keys=texts(item.get("holds_keys")),
            contact=contact if isinstance(contact, str) else None,
            url=url if isinstance(url, str) else None,
            assistance_notes=texts(item.get("assistance_notes")),
        ))
    return tuple(parties)


def check_rules(parties: tuple[Party, ...], custody: str, path: str) -> list[Finding]:
    out: list[Finding] = []
    operators = [p for p in parties if "operator" in p.roles]
    if len(operators) != 1:
        out.append(finding(path, "/parties", "rollcall.operator_count",
                           f"expected exactly one party with role operator, found {len(operators)}"))
    seen: set[str] = set()
    for index, party in enumerate(parties):
        where = pointer("parties", index)
        if party.name in seen:
            out.append(finding(path, where + "/name", "rollcall.duplicate_party",
                               f"party {party.name[:80]!r} is listed twice"))
        seen.add(party.name)
        if "managing-partner" in party.roles:
            held = sorted(set(party.holds_keys) & {"root", "operator"})
            if held:
                out.append(finding(path, where + "/holds_keys", "rollcall.partner_holds_keys",
                                   f"managing partner {party.name[:80]!r} holds {', '.join(held)} key(s); "
                                   "RFC-008 forbids it"))
        for field, value in (("contact", party.contact), ("url", party.url)):
            if value is not None and not is_safe_url(value, SAFE_CONTACT_SCHEMES):
                out.append(finding(path, where + pointer(field), "rollcall.unsafe_url",
                                   f"{value[:80]!r} is not a mailto:, https: or http: link"))
    na_holders = [p for p in parties if "network-authority" in p.holds_keys]
    if custody == "managed-na-key" and not na_holders:
        out.append(finding(path, "/custody_model", "rollcall.na_holder_undisclosed",
                           "managed-na-key custody must name the party holding the network-authority key"))
    if custody == "customer-held" and len(operators) == 1:
        missing = sorted({"root", "network-authority"} - set(operators[0].holds_keys))
        others = [p.name for p in parties
                  if p is not operators[0] and {"root", "network-authority"} & set(p.holds_keys)]
        if missing or others:
            out.append(finding(path, "/custody_model", "rollcall.custody_mismatch",
                               "customer-held custody, but " + (
                                   f"the operator does not hold {', '.join(missing)}" if missing
                                   else f"{', '.join(others)[:120]} also hold root or NA keys")))
    return out


def check_roll_call(raw: Mapping[str, Any], path: str, sovereign_id: str, history: KeyHistory,
                    *, other_roles: Mapping[str, str], limits: Limits
                    ) -> tuple[RollCall | None, list[Finding], Unexplained | None]:
    out = check_schema(KIND, raw, path)
    custody = raw.get("custody_model")
    if not isinstance(custody, str) or not isinstance(raw.get("parties"), list):
        return None, out, None
    out.extend(check_form(raw, KIND, path))
    if raw.get("sovereign_id") != sovereign_id:
        out.append(finding(path, "/sovereign_id", "rollcall.id_mismatch",
                           f"expected {sovereign_id!r}, found {str(raw.get('sovereign_id'))[:80]!r}"))
    parties = parse_parties(raw)
    out.extend(check_rules(parties, custody, path))
    issued = timestamps.parse(raw.get("issued_at"))
    threshold = raw.get("signature_threshold")
    threshold = threshold if isinstance(threshold, int) and not isinstance(threshold, bool) and threshold > 0 else None
    signer, unexplained = None, None
    if history.keys:
        check = check_na_signed(raw, KIND, path, history, issued, other_roles=other_roles,
                                mentioned=(sovereign_id,), limits=limits)
        out.extend(check.findings)
        signer, unexplained = check.signer, check.unexplained
    roll_call = RollCall(path=path, custody_model=custody, parties=parties, issued_at=issued,
                         signature_threshold=threshold,
                         verified=signer is not None and not any(f.severity.value == "error" for f in out),
                         raw=raw, signer=signer)
    return roll_call, out, unexplained
