"""Regenerate tests/schemas/reference/: documents the Genesis Mesh reference NA serves.

Run by hand, never by a test: it needs genesis-mesh 1.8.1 (Python 3.12), e.g.
    python3.12 -m venv /tmp/gm && /tmp/gm/bin/pip install genesis-mesh==1.8.1
    /tmp/gm/bin/python tests/schemas/make_reference_samples.py
It runs one in-process NA (Flask test client, in-memory SQLite, fixed-seed keys) and
saves what its public routes answer: /sovereign.json, /genesis, /na/key-history (after a
root-signed key succession), /recognition-treaties (active, revoked, renewed rows),
/recognition-policy, /sovereign-revocation-feed, /policy. Then two NAs over local HTTP run
`proof remote` (proof-bundle.json) and the acceptor is exported as a 1.8.1 trust bundle;
finally `genesis-mesh trust-bundle import` writes a receipt for the real usg-nb bundle.
Timestamps and uuids change on every run; the shapes are what the schema tests pin.
"""

from __future__ import annotations

import base64
import json
import logging
import runpy
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nacl.signing
from genesis_mesh.crypto import sign_model
from genesis_mesh.crypto.admin_auth import sign_admin_request
from genesis_mesh.models import GenesisBlock, NetworkAuthority, PolicyManifestRef
from genesis_mesh.models.key_succession import KeySuccessionRecord
from genesis_mesh.na_service import NetworkAuthorityService
from genesis_mesh.trust.key_succession import sign_succession

HERE = Path(__file__).resolve().parent
# The one lookup of the reference material (run by path: this script runs in the reference venv).
_find_shared = runpy.run_path(str(HERE.parent / "shared_data.py"))["find_shared"]
OUT = HERE / "reference"
SHARED = (_find_shared() or HERE.parents[1] / ".." / "shared").resolve()


def _key(seed_byte: int) -> nacl.signing.SigningKey:
    return nacl.signing.SigningKey(bytes([seed_byte]) * 32)


def _b64(key: nacl.signing.SigningKey) -> str:
    return base64.b64encode(bytes(key.verify_key)).decode("ascii")


ROOT, NA, OPERATOR, NEW_NA, PEER = (_key(b) for b in (1, 2, 3, 4, 5))


class Admin:
    """Sign admin requests (signature v2) for the in-process NA."""

    def __init__(self, client: Any, audience: str) -> None:
        self.client = client
        self.audience = audience

    def post(self, path: str, body: dict[str, Any]) -> Any:
        headers = sign_admin_request(OPERATOR, "operator-local", method="POST", path=path,
                                     audience=self.audience, body=body)
        response = self.client.post(path, json=body, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"{path}: {response.status_code} {response.get_data(as_text=True)}")
        return response.get_json()


def _write(name: str, value: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / name).write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT / name}")


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    now = datetime.now(UTC)
    genesis = GenesisBlock(
        network_name="REF-NA", network_version="v0.1", root_public_key=_b64(ROOT),
        network_authority=NetworkAuthority(public_key=_b64(NA), valid_from=now,
                                           valid_to=now + timedelta(days=90)),
        policy_manifest=PolicyManifestRef(hash="sha256:placeholder", url=None),
    )
    genesis.signatures.append(sign_model(genesis, ROOT, "rs-local"))
    service = NetworkAuthorityService(
        genesis_block=genesis, na_private_key=NA, key_id="na-local",
        operator_public_keys={"operator-local": _b64(OPERATOR)},
        operator_key_tiers={"operator-local": "privileged"},
        public_url="https://ref-na.example.org",
    )
    client = service.app.test_client()
    admin = Admin(client, _b64(NA))

    scope = {"allowed_roles": ["role:operator"], "accepted_statuses": ["active"],
             "claims": {"purpose": "schema-sample"}}
    issue = {"subject_sovereign_id": "PEER-NA", "subject_public_keys": [_b64(PEER)], "scope": scope}
    admin.post("/admin/recognition-treaties", issue)  # stays active
    revoked = admin.post("/admin/recognition-treaties", {**issue, "validity_hours": 24})
    renewed_old = admin.post("/admin/recognition-treaties", issue)
    renewed_new = admin.post("/admin/recognition-treaties",
                             {**issue, "metadata": {"renew_of": renewed_old["treaty_id"]}})
    admin.post(f"/admin/recognition-treaties/{revoked['treaty_id']}/revoke",
               {"reason": "key_compromise"})
    admin.post(f"/admin/recognition-treaties/{renewed_old['treaty_id']}/revoke",
               {"reason": f"renewed_by:{renewed_new['treaty_id']}"})

    admin.post("/admin/recognition-policy", {"recognition_policy": {
        "local_sovereign_id": "REF-NA",
        "recognized_issuers": [{"sovereign_id": "PEER-NA", "public_keys": [_b64(PEER)],
                                "allowed_roles": ["role:operator"],
                                "accepted_statuses": ["active"]}],
        "revoked_attestation_ids": [],
    }})

    attestation = admin.post("/admin/attestations", {
        "subject_id": "alice", "roles": ["role:operator"], "validity_hours": 24,
    })
    admin.post(f"/admin/attestations/{attestation['attestation_id']}/revoke",
               {"reason": "member_departed"})

    effective = (now + timedelta(minutes=10)).replace(microsecond=0)
    record = KeySuccessionRecord(
        sovereign_id="REF-NA", key_sequence=2, previous_key_id="na-local",
        previous_public_key=_b64(NA),
        new_key_id="na-2", new_public_key=_b64(NEW_NA), effective_at=effective,
        new_valid_to=effective + timedelta(days=365), issued_at=now.replace(microsecond=0),
    )
    record = record.model_copy(update={"signatures": [sign_model(record, ROOT, "rs-local")]})
    record = sign_succession(record, NEW_NA, "na-2")
    admin.post("/admin/na/succession", {"succession": record.to_wire()})

    for route, name in [
        ("/sovereign.json", "sovereign-served.json"),
        ("/genesis", "genesis.json"),
        ("/na/key-history", "key-history.json"),
        ("/recognition-treaties", "recognition-treaties.json"),
        ("/recognition-policy", "recognition-policy.json"),
        ("/sovereign-revocation-feed?issuer_sovereign_id=REF-NA", "revocation-feed.json"),
        ("/policy", "policy-manifest.json"),
    ]:
        response = client.get(route)
        if response.status_code != 200:
            raise RuntimeError(f"{route}: {response.status_code} {response.get_data(as_text=True)}")
        _write(name, response.get_json())

    _remote_proof(now)

    operators = SHARED / "genesis-mesh" / "real" / "official-operators"
    with tempfile.TemporaryDirectory() as tmp:
        receipt = Path(tmp) / "receipt.json"
        cli = Path(sys.executable).with_name("genesis-mesh")
        subprocess.run([str(cli), "trust-bundle", "import", "--bundle", "usg-nb/trust-bundle.json",
                        "--output", str(receipt)], check=True, cwd=operators,
                       stdout=subprocess.DEVNULL)
        _write("import-receipt.json", json.loads(receipt.read_text(encoding="utf-8")))


def _serve(
    name: str, root: nacl.signing.SigningKey, na: nacl.signing.SigningKey, now: datetime
) -> Any:
    from werkzeug.serving import make_server

    genesis = GenesisBlock(
        network_name=name, network_version="v0.1", root_public_key=_b64(root),
        network_authority=NetworkAuthority(public_key=_b64(na), valid_from=now,
                                           valid_to=now + timedelta(days=90)),
        policy_manifest=PolicyManifestRef(hash="sha256:placeholder", url=None),
    )
    genesis.signatures.append(sign_model(genesis, root, "rs-local"))
    service = NetworkAuthorityService(
        genesis_block=genesis, na_private_key=na, key_id="na-local",
        operator_public_keys={"operator-local": _b64(OPERATOR)},
        operator_key_tiers={"operator-local": "privileged"},
    )
    server = make_server("127.0.0.1", 0, service.app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _remote_proof(now: datetime) -> None:
    """Two NAs over HTTP: `proof remote` writes a proof bundle; the acceptor's trust bundle."""
    import requests
    from genesis_mesh.workflows.proof import run_remote_proof
    from genesis_mesh.workflows.trust_bundle import export_trust_bundle

    acceptor = _serve("ACCEPTOR-NA", _key(11), _key(12), now)
    issuer = _serve("ISSUER-NA", _key(13), _key(14), now)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            key_path = Path(tmp) / "operator.key"
            seed = base64.b64encode(bytes(OPERATOR)).decode("ascii")
            key_path.write_text(seed + "\n", encoding="utf-8")
            a_url = f"http://127.0.0.1:{acceptor.server_port}"
            i_url = f"http://127.0.0.1:{issuer.server_port}"
            bundle = run_remote_proof(
                acceptor_endpoint=a_url, issuer_endpoint=i_url,
                acceptor_signer=("operator-local", key_path),
                issuer_signer=("operator-local", key_path),
                role="role:service:maintainer", subject_id="proof-subject-1",
                subject_public_key="proof-subject-public-key", claims={"purpose": "schema-sample"},
                validity_hours=24,
                operator_evidence={
                    "acceptor": {"operator_label": "acceptor-ops", "operator_type": "maintainer"},
                    "issuer": {"operator_label": "issuer-ops", "operator_type": "external",
                               "controls_keys": True, "controls_infrastructure": True},
                    "assistance_notes": [
                        "Maintainer observed but did not handle issuer private keys.",
                    ],
                    "adoption_proof": True,
                },
            )
            _write("proof-bundle.json", bundle)
            exported = export_trust_bundle(session=requests.Session(), endpoint=a_url)
            _write("trust-bundle.json", exported)
    finally:
        acceptor.shutdown()
        issuer.shutdown()


if __name__ == "__main__":
    main()
