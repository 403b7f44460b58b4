"""Export a sovereign's trust bundle in RFC-003 v1 form (FORMATS §10) and compute its hash.

The bundle is what genesis-mesh's `trust-bundle export` gathers from an NA's public routes,
rebuilt from the verified repository instead: `/sovereign.json` (the 1.8.1 served shape),
the signed genesis, the recognition policy and revocation feed as status envelopes, and the
NA's connectome (its own treaties, §9). It is unsigned review material: it proves nothing,
and `created_at` is the caller's evaluation time so that a rebuild gives the same bytes.
No endpoint_checks: a static publisher cannot attest liveness. Pure; refuses (ValueError)
a sovereign that is not published or has no genesis, since a bundle without one is invalid.
"""
from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any
from collections.abc import Mapping

from publisher.jsontext import sorted_json
from publisher.exports.connectome import connectome_view, export_sovereign_graph, sovereigns_by_id
from publisher.model import Sovereign

if TYPE_CHECKING:
    from publisher.verify import Verification

BUNDLE_TYPE = "genesis-mesh.trust-bundle"
BUNDLE_VERSION = "v1"
CONNECTOME_KEYS = ("summary", "recognition_edges", "active_treaties", "revoked_trust_material")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def sovereign_metadata(sovereign: Sovereign, endpoint: str, surfaces: Mapping[str, str]) -> dict[str, Any]:
    """The NA's `GET /sovereign.json` answer (FORMATS §4.2) from the verified genesis and key
    history. `network_authority` is the genesis key (bundle validation compares it with the
    genesis); `signing_key` is the current key of the verified history."""
    genesis = sovereign.genesis
    if genesis is None:
        raise ValueError(f"sovereign {sovereign.id[:80]!r} has no genesis block")
    current = sovereign.key_history.current
    raw_policy = genesis.raw.get("policy_manifest")
    return {
        "sovereign_id": genesis.network_name,
        "network_name": genesis.network_name,
        "network_version": genesis.network_version,
        "endpoint": endpoint,
        "network_authority": {"public_key": genesis.na_public_key, "valid_from": _iso(genesis.na_valid_from),
                              "valid_to": _iso(genesis.na_valid_to), "valid_to_enforced": False},
        "signing_key": {"key_sequence": current.sequence if current else None,
                        "public_key": current.public_key if current else genesis.na_public_key,
                        "signs_until": _iso(current.end) if current else None},
        "root_public_key": genesis.root_public_key,
        "policy_manifest": raw_policy if isinstance(raw_policy, dict) else None,
        "bootstrap_anchor_count": len(genesis.bootstrap_anchors),
        "supported_surfaces": dict(sorted(surfaces.items())),
    }


def default_surfaces(sovereign: Sovereign, endpoint: str) -> dict[str, str]:
    """Where this site publishes each surface of the sovereign, under `endpoint`."""
    base = endpoint.rstrip("/")
    names = {f.rsplit("/", 1)[-1] for f in sovereign.files}
    surfaces = {"genesis": f"{base}/genesis.signed.json", "connectome": f"{base}/connectome.json"}
    for surface, name in (("key_history", "key-history.json"), ("recognition_treaties", "recognition-treaties.json"),
                          ("sovereign_revocation_feed", "revocation-feed.json"),
                          ("recognition_policy", "recognition-policy.json"), ("roll_call", "roll-call.json")):
        if name in names:
            surfaces[surface] = f"{base}/{name}"
    return surfaces


def _envelope(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"status": "ok", "payload": payload} if payload is not None else {"status": "not_configured"}


def export_trust_bundle(verification: Verification, sovereign_id: str, *, created_at: datetime,
                        source_endpoint: str, surfaces: Mapping[str, str] | None = None,
                        view: Mapping[str, Any] | None = None, sovereign: Sovereign | None = None) -> dict[str, Any]:
    """The RFC-003 v1 bundle of one published sovereign (ValueError when it cannot have one).
    `view`: the sovereign's connectome view when the caller already computed it; `sovereign`:
    its full model when the caller holds it (see `export_sovereign_graph`)."""
    if sovereign is None:
        sovereign = sovereigns_by_id(verification).get(sovereign_id)
    if sovereign is None:
        raise ValueError(f"sovereign {sovereign_id[:80]!r} is not published in this repository")
    if sovereign.genesis is None:
        raise ValueError(f"sovereign {sovereign_id[:80]!r} has no genesis block")
    endpoint = source_endpoint.rstrip("/") or source_endpoint
    metadata = sovereign_metadata(sovereign, endpoint,
                                  surfaces if surfaces is not None else default_surfaces(sovereign, endpoint))
    if view is None:
        view = connectome_view(export_sovereign_graph(verification, sovereign_id, sovereign=sovereign))
    return {
        "bundle_type": BUNDLE_TYPE,
        "bundle_version": BUNDLE_VERSION,
        "created_at": created_at.isoformat(),
        "source_endpoint": endpoint,
        "sovereign_id": metadata["sovereign_id"],
        "network_version": metadata["network_version"],
        "sovereign_metadata": metadata,
        "genesis": sovereign.genesis.raw,
        "recognition_policy": _envelope(sovereign.recognition_policy),
        "revocation_feed": _envelope(sovereign.feed.raw if sovereign.feed is not None else None),
        "connectome": {key: view[key] for key in CONNECTOME_KEYS},
    }


def bundle_hash(bundle: Mapping[str, Any]) -> str:
    """genesis-mesh `bundle_hash`: sha256 of the whole bundle's compact sorted JSON (§10)."""
    data = sorted_json(bundle)
    return "sha256:" + hashlib.sha256(data).hexdigest()


def render_bundle(bundle: Mapping[str, Any]) -> bytes:
    """The bundle file as the reference CLI writes it (indent 2, sorted keys, trailing newline)."""
    return sorted_json(bundle, indent=True) + b"\n"
