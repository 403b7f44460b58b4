"""RFC-006 and RFC-003 exports agree with the reference's functions and formats."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from publisher.connectome import Graph, build_edges
from publisher.exports.bundle import bundle_hash, export_trust_bundle, render_bundle
from publisher.exports.connectome import connectome_view, export_recognition_graph, export_sovereign_graph
from publisher.schemas import check_schema
from publisher.site.build import Site
from publisher.verify import Verification, verify_path
from tests.site import reference_connectome as ref
from tests.site.site_golden import DEMO_AT, REPO_ROOT
from tests.site.site_synth import ring_coalition, write_coalition

FORBIDDEN = ("private_key", "bearer", "credential", "password", "secret", "token")


@pytest.fixture(scope="module")
def demo() -> Verification:
    return verify_path(REPO_ROOT, at=DEMO_AT, workers=1)


@pytest.fixture(scope="module")
def ring(tmp_path_factory: pytest.TempPathFactory) -> Verification:
    repo = write_coalition(tmp_path_factory.mktemp("ring"), ring_coalition(60, DEMO_AT), DEMO_AT)
    return verify_path(repo, at=DEMO_AT, workers=1)


def test_connectome_view_equals_the_reference(demo: Verification, ring: Verification) -> None:
    for verification in (demo, ring):
        export = export_recognition_graph(verification)
        assert connectome_view(export) == ref.build_connectome_view(export)
        view = connectome_view(export)
        assert ref.build_connectome_view(view) == view               # the published file is accepted as input


def test_demo_graph_contents(demo: Verification) -> None:
    export = export_recognition_graph(demo)
    assert set(export) == {"sovereigns", "recognition_edges", "active_treaties", "revoked_trust_material"}
    ids = [s["sovereign_id"] for s in export["sovereigns"]]
    assert ids == sorted(ids) and "FAR-EAST-NA" in ids and len(ids) == 6
    states = sorted(e["lifecycle_state"] for e in export["recognition_edges"])
    assert states.count("replaced") == 2 and states.count("revoked") == 2 and "expiring_soon" in states
    assert all(e["valid_from"].endswith("+00:00") for e in export["recognition_edges"])
    attestations = [m for m in export["revoked_trust_material"] if m["type"] == "membership_attestation"]
    assert {m["id"] for m in attestations} == {"attestation-7f3e-member-departed", "attestation-c2a1-key-compromise"}
    assert all(m["issuer_sovereign_id"] == "aurora-commons" and m["sequence"] == 2 for m in attestations)
    active_ids = {t["treaty_id"] for t in export["active_treaties"]}
    assert active_ids == {e["treaty_id"] for e in export["recognition_edges"]
                          if e["status"] == "active" and e["lifecycle_state"] in ("active", "expiring_soon")}
    view = connectome_view(export)
    blast = {b["id"]: b["affected_accepting_sovereigns"] for b in view["revocation_blast_radius"]}
    assert blast["attestation-7f3e-member-departed"] == ["borealis-health", "cascade-research", "ember-civic"]


def test_trust_paths_equal_the_reference_for_every_pair(demo: Verification, ring: Verification) -> None:
    for verification in (demo, ring):
        export = export_recognition_graph(verification)
        graph = Graph(build_edges(verification.sovereigns, verification.at))
        nodes = [s["sovereign_id"] for s in export["sovereigns"]]
        for source in nodes:
            for target in nodes:
                assert graph.trust_path(source, target).to_dict() == ref.explain_trust_path(export, source, target)


def test_trusted_from_lists_the_reference_paths_nearest_first(ring: Verification) -> None:
    export = export_recognition_graph(ring)
    graph = Graph(build_edges(ring.sovereigns, ring.at))
    paths, complete = graph.trusted_from("sov-00000", limit=25)
    assert len(paths) == 25 and not complete
    assert [p.hop_count for p in paths] == sorted(p.hop_count for p in paths)
    for path in paths:
        assert path.to_dict() == ref.explain_trust_path(export, "sov-00000", path.target)


def test_search_budget_is_reported_not_hidden(ring: Verification) -> None:
    graph = Graph(build_edges(ring.sovereigns, ring.at))
    far = graph.trusted_from("sov-00000", limit=10_000)[0][-1].target
    limited = graph.trust_path("sov-00000", far, max_visits=3)
    assert not limited.trusted and not limited.searched


def bundle_errors(bundle: dict) -> list[str]:
    """genesis-mesh validate_trust_bundle's error rules (FORMATS §10)."""
    errors = []
    if bundle.get("bundle_type") != "genesis-mesh.trust-bundle" or bundle.get("bundle_version") != "v1":
        errors.append("type/version")
    for key in ("created_at", "source_endpoint", "sovereign_metadata", "genesis"):
        if key not in bundle:
            errors.append(f"missing {key}")
    for key in ("recognition_policy", "revocation_feed", "connectome"):
        if not isinstance(bundle.get(key), dict):
            errors.append(f"section {key}")
    meta, genesis = bundle["sovereign_metadata"], bundle["genesis"]
    if meta.get("sovereign_id") != genesis.get("network_name"):
        errors.append("id")
    if meta["network_authority"]["public_key"] != genesis["network_authority"]["public_key"]:
        errors.append("na key")

    def keys(value: object) -> list[str]:
        if isinstance(value, dict):
            return list(value) + [k for v in value.values() for k in keys(v)]
        return [k for v in value for k in keys(v)] if isinstance(value, list) else []

    if any(word in k.lower() for k in keys(bundle) for word in FORBIDDEN):
        errors.append("forbidden key")
    feed = bundle["revocation_feed"]
    if feed.get("status") == "ok" and feed["payload"].get("issuer_sovereign_id") != bundle.get("sovereign_id"):
        errors.append("feed issuer")
    return errors


def test_trust_bundles_are_valid_and_deterministic(demo: Verification) -> None:
    for sovereign in demo.sovereigns:
        bundle = export_trust_bundle(demo, sovereign.id, created_at=demo.at, source_endpoint="https://x.example/s/")
        assert bundle_errors(bundle) == []
        assert check_schema("trust-bundle", bundle, "bundle.json") == []
        assert bundle["created_at"] == "2026-11-23T12:00:00+00:00" and bundle["source_endpoint"] == "https://x.example/s"
        assert bundle["genesis"] == sovereign.genesis.raw
        assert set(bundle["connectome"]) == {"summary", "recognition_edges", "active_treaties",
                                             "revoked_trust_material"}
        assert all(e["from"] == sovereign.id for e in bundle["connectome"]["recognition_edges"])
        again = export_trust_bundle(demo, sovereign.id, created_at=demo.at, source_endpoint="https://x.example/s/")
        assert render_bundle(again) == render_bundle(bundle)
        assert render_bundle(bundle) == (json.dumps(bundle, indent=2, sort_keys=True) + "\n").encode()


def test_bundle_hash_is_over_the_compact_sorted_json() -> None:
    import hashlib
    bundle = {"b": [1, "é"], "a": {"z": None, "y": True}}
    expected = hashlib.sha256(b'{"a":{"y":true,"z":null},"b":[1,"\\u00e9"]}').hexdigest()
    assert bundle_hash(bundle) == "sha256:" + expected


def test_bundles_on_the_site_carry_their_hash(demo_site: Site) -> None:
    manifest = json.loads(demo_site.files["manifest.json"])
    index = json.loads(demo_site.files["trust-bundles/index.json"])["bundles"]
    assert len(index) == 5
    for entry in index:
        bundle = json.loads(demo_site.files[entry["path"]])
        digest = bundle_hash(bundle)
        assert entry["bundle_hash"] == digest == manifest["bundle_hashes"][entry["path"]]
        assert demo_site.files[entry["path"].replace(".json", ".bundle-hash")] == (digest + "\n").encode()


def test_sovereign_graph_imports_feeds_of_recognized_issuers(demo: Verification) -> None:
    graph = export_sovereign_graph(demo, "borealis-health")          # recognizes aurora-commons, which has a feed
    assert {m["id"] for m in graph["revoked_trust_material"] if m["type"] == "membership_attestation"} == {
        "attestation-7f3e-member-departed", "attestation-c2a1-key-compromise"}
    graph = export_sovereign_graph(demo, "aurora-commons")            # recognizes nobody with revocations
    assert [m for m in graph["revoked_trust_material"] if m["type"] == "membership_attestation"] == []
    assert export_sovereign_graph(demo, "nobody")["recognition_edges"] == []


def test_unknown_sovereign_has_no_bundle(demo: Verification) -> None:
    with pytest.raises(ValueError, match="not published"):
        export_trust_bundle(demo, "nobody", created_at=demo.at, source_endpoint="x")


def test_expired_is_neither_active_nor_revoked(demo: Verification) -> None:
    later = verify_path(REPO_ROOT, at=DEMO_AT + timedelta(days=3), workers=1)
    edges = {e["treaty_id"]: e for e in export_recognition_graph(later)["recognition_edges"]}
    expired = [e for e in edges.values() if e["lifecycle_state"] == "expired"]
    assert len(expired) == 2 and all(e["status"] == "active" for e in expired)
    assert connectome_view(export_recognition_graph(later))["summary"]["active_edge_count"] == 11


def test_active_treaties_are_ordered_as_the_reference_database_orders_them() -> None:
    """genesis-mesh lists active treaties by issued_at's isoformat text (a whole second before its
    fractions), and copies re-issued at one restart in the order of their sources (valid_from)."""
    from publisher.exports.connectome import active_order
    from publisher.model import Treaty
    from publisher.timestamps import parse

    def treaty(treaty_id: str, issued_at: str, valid_from: str) -> Treaty:
        return Treaty(f"{treaty_id}.json", treaty_id, "A", "B", (), (), (), {}, issued_at=parse(issued_at),
                      valid_from=parse(valid_from))

    treaties = [treaty("a-fraction", "2026-02-02T10:50:01.5Z", "2026-02-02T10:50:01.5Z"),
                treaty("b-whole", "2026-02-02T10:50:01Z", "2026-02-02T10:50:01Z"),
                treaty("c-reissue-of-later", "2026-02-03T00:00:00Z", "2026-02-02T09:00:00Z"),
                treaty("d-reissue-of-earlier", "2026-02-03T00:00:00Z", "2026-02-02T08:00:00Z")]
    ordered = sorted(treaties, key=lambda t: (active_order(t), t.issuer, t.treaty_id))
    assert [t.treaty_id for t in ordered] == ["b-whole", "a-fraction", "d-reissue-of-earlier", "c-reissue-of-later"]
