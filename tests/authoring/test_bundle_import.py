"""`handshake bundle import`: the reference's validation rules, the embedded genesis checked
against the pinned root, a receipt that never grants trust."""
from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from publisher.authoring.bundles import bundle_hash, summarize, validate_bundle
from publisher.schemas import check_schema
from tests.authoring.conftest import Keys, Runner, at, ok, read


def make_bundle(repo: Path, sid: str = "alpha") -> dict[str, Any]:
    genesis = read(repo, f"sovereigns/{sid}/genesis.signed.json")
    na = genesis["network_authority"]
    return {
        "bundle_type": "genesis-mesh.trust-bundle", "bundle_version": "v1",
        "created_at": "2026-11-02T10:00:00+00:00", "source_endpoint": f"https://na.{sid}.example",
        "sovereign_id": sid, "network_version": genesis["network_version"],
        "sovereign_metadata": {"sovereign_id": sid, "network_name": sid, "root_public_key": genesis["root_public_key"],
                               "network_authority": {"public_key": na["public_key"], "valid_from": na["valid_from"],
                                                     "valid_to": na["valid_to"]}},
        "genesis": genesis,
        "recognition_policy": {"status": "not_configured"},
        "revocation_feed": {"status": "skipped"},
        "connectome": {"summary": {"recognition_edge_count": 0, "active_edge_count": 0}, "recognition_edges": [],
                       "active_treaties": [], "revoked_trust_material": []},
        "endpoint_checks": {"healthz": "ok", "readyz": "ready"},
    }


def edited(bundle: dict[str, Any], **changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(bundle)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


def test_bundle_hash_is_sha256_of_compact_sorted_json() -> None:
    bundle = {"b": 1, "a": "\u00e9"}
    assert bundle_hash(bundle) == "sha256:" + hashlib.sha256(b'{"a":"\\u00e9","b":1}').hexdigest()


@pytest.mark.parametrize("change, message", [
    ({"bundle_type": "other"}, "unsupported bundle_type: 'other'"),
    ({"bundle_version": "v2"}, "unsupported bundle_version: 'v2'"),
    ({"source_endpoint": None}, "missing required field: source_endpoint"),
    ({"connectome": None}, "missing required section: connectome"),
    ({"genesis": []}, "genesis must be an object"),
    ({"sovereign_metadata": {"sovereign_id": "other", "network_authority": {"public_key": "k"}}},
     "sovereign_metadata.sovereign_id differs from genesis.network_name"),
    ({"endpoint_checks": {"token_id": "innocent"}},
     "bundle contains private key, token, bearer, or credential-shaped fields"),
    ({"revocation_feed": {"status": "ok"}}, "revocation_feed status is ok but payload is missing"),
    ({"revocation_feed": {"status": "ok", "payload": {"issuer_sovereign_id": "beta"}}},
     "revocation_feed issuer_sovereign_id differs from bundle sovereign_id"),
], ids=["type", "version", "missing-field", "missing-section", "genesis-not-object", "sovereign-mismatch",
        "substring-token-rule", "feed-without-payload", "feed-of-other-issuer"])
def test_reference_validation_errors(two_sovereigns: Path, change: dict[str, Any], message: str) -> None:
    errors, _ = validate_bundle(edited(make_bundle(two_sovereigns), **change))
    assert message in [m for _, m in errors]


def test_an_unsigned_genesis_is_a_warning(two_sovereigns: Path) -> None:
    bundle = make_bundle(two_sovereigns)
    bundle["genesis"]["signatures"] = []
    errors, warnings = validate_bundle(bundle)
    assert errors == [] and [c for c, _ in warnings] == ["bundle.genesis_unsigned"]


def test_summary_mirrors_the_reference(two_sovereigns: Path) -> None:
    summary = summarize(make_bundle(two_sovereigns))
    key = read(two_sovereigns, "sovereigns/alpha/genesis.signed.json")["network_authority"]["public_key"]
    assert summary["na_public_key_fingerprint"] == "sha256:" + hashlib.sha256(key.encode()).hexdigest()[:24]
    assert (summary["sovereign_id"], summary["revocation_feed_status"], summary["revocation_feed_sequence"]) == \
        ("alpha", "skipped", None)


def write_bundle(tmp_path: Path, bundle: dict[str, Any], name: str = "alpha.bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle, indent=2, sort_keys=True) + "\n")
    return path


def test_import_records_a_receipt_that_grants_nothing(two_sovereigns: Path, hs: Runner, tmp_path: Path) -> None:
    bundle = make_bundle(two_sovereigns)
    before = sorted(p.relative_to(two_sovereigns) for p in (two_sovereigns / "sovereigns").rglob("*"))
    result = ok(hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1)))
    digest = bundle_hash(bundle)
    path = two_sovereigns / "imports" / "alpha" / f"{digest.replace(':', '-')}.receipt.json"
    receipt = json.loads(path.read_text())
    assert receipt["trust_granted"] is False and receipt["bundle_hash"] == digest
    assert receipt["workflow"] == "trust-bundle-import" and receipt["bundle_path"] == "alpha.bundle.json"
    assert receipt["validation"] == {"errors": [], "warnings": []}
    assert receipt["embedded_genesis"] == {"status": "verified", "pinned_root_source": "keys/root.pub"}
    assert receipt["created_at"] == "2026-11-02T10:00:00+00:00"
    assert check_schema("import-receipt", receipt, "r") == []
    assert digest in result.out and "UNVERIFIED" in result.out
    assert sorted(p.relative_to(two_sovereigns) for p in (two_sovereigns / "sovereigns").rglob("*")) == before



def test_importing_a_recorded_bundle_again_writes_nothing_and_says_so(two_sovereigns: Path, hs: Runner,
                                                                       tmp_path: Path) -> None:
    """The receipt is filed under the bundle's hash (of its canonical JSON): the same bundle again,
    written compactly under another name, is already recorded: exit 0, nothing written, the first
    receipt (its time, its file name) kept."""
    bundle = make_bundle(two_sovereigns)
    ok(hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1)))
    path = two_sovereigns / "imports" / "alpha" / f"{bundle_hash(bundle).replace(':', '-')}.receipt.json"
    first = path.read_bytes()
    again_file = tmp_path / "copy.json"
    again_file.write_text(json.dumps(bundle, separators=(",", ":")))
    again = ok(hs("bundle", "import", str(again_file), "--at", at(2)))
    assert "already recorded" in again.out and f"imports/alpha/{path.name}" in again.out
    assert "2026-11-02T10:00:00+00:00" in again.out and "nothing was written" in again.out
    assert path.read_bytes() == first and sorted(p.name for p in path.parent.iterdir()) == [path.name]


@pytest.mark.parametrize("content", ["hash", "garbage", "folder"])
def test_a_file_at_the_receipt_path_that_is_not_its_receipt_is_refused(two_sovereigns: Path, hs: Runner,
                                                                       tmp_path: Path, content: str) -> None:
    """Something else where the bundle's receipt belongs (a receipt edited to name another bundle,
    a file that is not JSON, a folder) is never replaced: refused, naming the file and the reason."""
    bundle = make_bundle(two_sovereigns)
    ok(hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1)))
    path = two_sovereigns / "imports" / "alpha" / f"{bundle_hash(bundle).replace(':', '-')}.receipt.json"
    if content == "hash":
        receipt = json.loads(path.read_text())
        receipt["bundle_hash"] = "sha256:" + "0" * 64
        path.write_text(json.dumps(receipt))
    elif content == "garbage":
        path.write_text("not json")
    else:
        path.unlink()
        path.mkdir()
    before = sorted((p.relative_to(two_sovereigns), p.is_file() and p.read_bytes())
                    for p in (two_sovereigns / "imports").rglob("*"))
    again = hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(2))
    assert again.code == 1 and "bundle.receipt_conflict" in again.err and f"imports/alpha/{path.name}" in again.err
    assert {"hash": "bundle_hash", "garbage": "not JSON", "folder": "not a regular file"}[content] in again.err
    assert sorted((p.relative_to(two_sovereigns), p.is_file() and p.read_bytes())
                  for p in (two_sovereigns / "imports").rglob("*")) == before


def test_an_embedded_genesis_that_does_not_verify_under_the_pinned_root_is_refused(
        two_sovereigns: Path, hs: Runner, tmp_path: Path) -> None:
    bundle = make_bundle(two_sovereigns)
    bundle["genesis"]["network_version"] = "v9"             # changed after signing
    result = hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1))
    assert result.code == 1 and "bundle.genesis_rejected" in result.out
    assert not (two_sovereigns / "imports").exists()


def test_a_bundle_of_an_unknown_sovereign_is_recorded_as_not_verified(two_sovereigns: Path, hs: Runner,
                                                                       tmp_path: Path) -> None:
    bundle = make_bundle(two_sovereigns)
    for part in (bundle, bundle["sovereign_metadata"]):
        part["sovereign_id"] = "stranger"
    bundle["sovereign_metadata"]["network_name"] = bundle["genesis"]["network_name"] = "stranger"
    result = ok(hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1)))
    assert "bundle.genesis_unpinned" in result.out
    [receipt] = (two_sovereigns / "imports" / "stranger").glob("*.receipt.json")
    assert json.loads(receipt.read_text())["embedded_genesis"]["status"] == "not_pinned"


def test_an_invalid_bundle_writes_no_receipt(two_sovereigns: Path, hs: Runner, tmp_path: Path, keys: Keys) -> None:
    bundle = edited(make_bundle(two_sovereigns), bundle_version="v2")
    result = hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1))
    assert result.code == 1 and "unsupported bundle_version" in result.out
    assert not (two_sovereigns / "imports").exists()
    (tmp_path / "junk.json").write_text('{"a": 1, "a": 2}')
    assert hs("bundle", "import", str(tmp_path / "junk.json"), "--at", at(1)).code == 1


def test_a_bundle_whose_sovereign_id_is_not_its_metadatas_is_refused(two_sovereigns: Path, hs: Runner,
                                                                    tmp_path: Path) -> None:
    """The reference never compares the top-level sovereign_id with sovereign_metadata's: it
    checks the feed against the first and the import pins the second, so beta's feed rode in a
    bundle of alpha's genesis and metadata. Handshake refuses it (a deliberate difference)."""
    bundle = make_bundle(two_sovereigns)
    beta_feed = {"status": "ok", "payload": {"issuer_sovereign_id": "beta", "sequence": 1}}
    mixed = edited(bundle, sovereign_id="beta", revocation_feed=beta_feed)
    errors, _ = validate_bundle(mixed)
    assert ("bundle.identity_mismatch", "sovereign_id differs from sovereign_metadata.sovereign_id") in errors
    result = hs("bundle", "import", str(write_bundle(tmp_path, mixed)), "--at", at(1))
    assert result.code == 1 and not (two_sovereigns / "imports").exists()
    assert "bundle.identity_mismatch" not in {c for c, _ in validate_bundle(bundle)[0]}


@pytest.mark.parametrize("sid", [
    "gamma\x1b[2J\x1b]0;owned\x07\nembedded genesis: verified",
    "gam\u202ema",
    {"not": ["a", "string"]},
], ids=["terminal-escape-and-forged-line", "bidi-override", "object"])
def test_the_bundles_sovereign_id_is_printed_visibly(two_sovereigns: Path, hs: Runner, tmp_path: Path,
                                                      sid: Any) -> None:
    """The id is the bundle's own claim, printed before anything is validated: it must not
    reach the terminal as an escape sequence, a bidi control or a second line."""
    bundle = make_bundle(two_sovereigns)
    for part in (bundle, bundle["sovereign_metadata"]):
        part["sovereign_id"] = sid
    bundle["sovereign_metadata"]["network_name"] = bundle["genesis"]["network_name"] = sid
    result = hs("bundle", "import", str(write_bundle(tmp_path, bundle)), "--at", at(1))
    assert result.code == 1
    [line] = [line for line in result.out.splitlines() if line.startswith("sovereign:")]
    assert "\x1b" not in result.out and "\u202e" not in result.out and "\x07" not in result.out
    assert not [line for line in result.out.splitlines() if line.startswith("embedded genesis")]
    assert not (two_sovereigns / "imports").exists()


@pytest.mark.parametrize("where", ["a-folder", "under-a-file"])
def test_an_export_to_a_place_it_cannot_write_is_one_clear_line(two_sovereigns: Path, hs: Runner, tmp_path: Path,
                                                                where: str) -> None:
    """A filesystem refusal in an authoring command (here `bundle export --out` naming a folder,
    or a path through a file) is one line naming the file and the reason, not a traceback."""
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    out = tmp_path / ("a-folder" if where == "a-folder" else "a-file/alpha.json")
    result = hs("bundle", "export", "alpha", "--out", str(out), "--at", at(1))
    assert result.code == 2 and "Traceback" not in result.err
    assert str(out if where == "a-folder" else out.parent) in result.err
    assert result.err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".handshake-")) == []
    assert list((tmp_path / "a-folder").iterdir()) == []
