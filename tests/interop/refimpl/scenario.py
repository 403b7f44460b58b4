"""The corpus scenario: three sovereigns federate, revoke, renew, replace and rotate a key.

Everything here goes through the reference's own producers: `genesis-mesh genesis
create/sign`, `federation bootstrap`, `attestation issue/revoke`, `treaty
renew/replace/revoke/import-feed`, `na succession history/sign/prove/submit`,
`trust-bundle export`, and the NA's public routes. Only the recognition policy,
which has no CLI command, is posted with the reference's own admin-request signer.

Timeline (UTC), each step at a fixed instant (see TIMES):
  genesis   keys written, each genesis created and root-signed, NAs started, /policy read
  federate  ALPHA<->BETA and ALPHA<->GAMMA treaties (federation bootstrap)
  attest    BETA and GAMMA issue attestations and revoke some
  import    ALPHA imports BETA's and GAMMA's revocation feeds
  lifecycle ALPHA renews A->B, replaces A->G, issues and revokes a pilot treaty
  succeed   ALPHA's root names NA key 2 (effective a day later)
  rotate    ALPHA restarts on NA key 2 (its NA re-issues key-1 treaties and policy)
  export    every served form is fetched and each trust bundle exported
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

from .harness import Operating, World, reference_world
from .keys import KEYS, Key


def _t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


TIMES: dict[str, datetime] = {
    "genesis": _t("2026-01-05T09:00:00.250000"),
    "federate": _t("2026-01-06T10:00:00.500000"),
    "attest": _t("2026-01-07T11:00:00.125000"),
    "import": _t("2026-01-07T12:00:00"),
    "lifecycle": _t("2026-01-08T09:00:00.750000"),
    "succeed": _t("2026-01-09T09:00:00"),
    "rotate": _t("2026-01-10T10:00:00"),
    "export": _t("2026-01-10T12:00:00"),
}
#: When ALPHA's NA key 2 takes effect (the succession's effective_at).
SUCCESSION_EFFECTIVE = "2026-01-10T09:00:00Z"
#: Treaty validity the operators ask for: 90 days, so every treaty is in its window at export.
TREATY_HOURS = "2160"


@dataclass
class Sovereign:
    """One sovereign of the scenario and its running reference NA."""

    name: str
    netloc: str
    root: Key
    na: Key
    app: Any = None
    db_path: str = ""

    @property
    def url(self) -> str:
        return f"https://{self.netloc}"


@dataclass
class Outcome:
    """What the scenario produced: served bytes per sovereign, CLI outputs, ids."""

    served: dict[str, dict[str, bytes]] = field(default_factory=dict)
    genesis_signed: dict[str, bytes] = field(default_factory=dict)
    public_key_files: dict[str, dict[str, bytes]] = field(default_factory=dict)
    treaty_rows: dict[str, dict[str, bytes]] = field(default_factory=dict)
    attestations: dict[str, bytes] = field(default_factory=dict)
    bundles: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)


SOVEREIGNS = {
    "ALPHA-NA": Sovereign("ALPHA-NA", "alpha-na.example.org", KEYS["alpha_root"], KEYS["alpha_na1"]),
    "BETA-NA": Sovereign("BETA-NA", "beta-na.example.org", KEYS["beta_root"], KEYS["beta_na"]),
    "GAMMA-NA": Sovereign("GAMMA-NA", "gamma-na.example.org", KEYS["gamma_root"], KEYS["gamma_na"]),
}


class Scenario(Operating):
    """Runs the timeline in one frozen world; key files live only in a temp dir."""

    def __init__(self, world: World, tmp: Path) -> None:
        self.world = world
        self.tmp = tmp
        self.out = Outcome()
        self.operator = KEYS["operator"]
        self.operator_key_file = str(self.operator.write_files(tmp / "keys")[0])

    # -- helpers --------------------------------------------------------------------------

    def start_na(self, sov: Sovereign, na_key: Key) -> None:
        """Build the NA app as `na start` does (create_app), with this key and a persistent DB."""
        from genesis_mesh.models import GenesisBlock
        from genesis_mesh.na_service.key_provider import KeyProviderConfig, load_signer
        from genesis_mesh.na_service.rate_limit import RateLimits
        from genesis_mesh.na_service.server import create_app

        key_file = str(na_key.write_files(self.tmp / "keys")[0])
        genesis = GenesisBlock(**json.loads(self.out.genesis_signed[sov.name]))
        sov.db_path = sov.db_path or str(self.tmp / f"{sov.name}.db")
        big = 10_000
        sov.app = create_app(
            genesis_block=genesis,
            na_private_key=load_signer(KeyProviderConfig(provider="file", key_id=na_key.key_id, key_file=key_file)),
            db_path=sov.db_path,
            key_id=na_key.key_id,
            operator_public_keys={self.operator.key_id: self.operator.public_b64},
            operator_key_tiers={self.operator.key_id: "privileged"},
            rate_limits=RateLimits(admin=big, verify=big, evidence=big, read=big, admin_auth_failures=big,
                                   observations=big, audit_packs=big, node=big, node_address=big, executor=big),
        )
        self.world.serve(sov.netloc, sov.app)

    # -- the timeline ---------------------------------------------------------------------

    def genesis(self) -> None:
        self.world.at(TIMES["genesis"])
        keydir = self.tmp / "keys"
        for sov in SOVEREIGNS.values():
            root_key, root_pub = sov.root.write_files(keydir)
            _, na_pub = sov.na.write_files(keydir)
            self.out.public_key_files[sov.name] = {"root.pub": root_pub.read_bytes(), "na.pub": na_pub.read_bytes()}
            unsigned = self.tmp / f"{sov.name}.genesis.json"
            signed = self.tmp / f"{sov.name}.genesis.signed.json"
            self.world.cli("genesis", "create", "--network-name", sov.name, "--root-key", str(root_pub),
                           "--na-key", str(na_pub), "--output", str(unsigned))
            self.world.cli("genesis", "sign", "--genesis", str(unsigned), "--root-private-key", str(root_key),
                           "--key-id", sov.root.key_id, "--output", str(signed))
            self.out.genesis_signed[sov.name] = signed.read_bytes()
            self.start_na(sov, sov.na)
            # A joining node fetches the policy manifest; the NA signs and stores its default then.
            self.out.notes.setdefault("first_policy", {})[sov.name] = self.world.get(sov.url + "/policy")
            self.step()

    def bootstrap(self, acceptor: str, issuer: str, role: str, *claims: str) -> dict[str, Any]:
        args = ["federation", "bootstrap", "--acceptor", SOVEREIGNS[acceptor].url, "--issuer",
                SOVEREIGNS[issuer].url, "--role", role, "--validity-hours", TREATY_HOURS, "--yes",
                "--format", "json"]
        for claim in claims:
            args += ["--claim", claim]
        return json.loads(self.cli(*self.admin(*args)))

    def federate(self) -> None:
        self.world.at(TIMES["federate"])
        notes = self.out.notes.setdefault("bootstrap", {})
        notes["ALPHA->BETA"] = self.bootstrap("ALPHA-NA", "BETA-NA", "role:operator", "purpose=federation")
        notes["BETA->ALPHA"] = self.bootstrap("BETA-NA", "ALPHA-NA", "role:operator", "purpose=federation")
        notes["ALPHA->GAMMA"] = self.bootstrap("ALPHA-NA", "GAMMA-NA", "role:client")
        notes["GAMMA->ALPHA"] = self.bootstrap("GAMMA-NA", "ALPHA-NA", "role:client")

    def attest(self) -> None:
        self.world.at(TIMES["attest"])
        issued: dict[str, str] = {}
        plan = [("BETA-NA", "alice@beta", "role:operator"), ("BETA-NA", "bob@beta", "role:operator"),
                ("BETA-NA", "carol@beta", "role:operator"), ("GAMMA-NA", "dave@gamma", "role:client")]
        for issuer, subject, role in plan:
            path = self.tmp / f"attestation-{subject}.json"
            self.cli(*self.admin("attestation", "issue", "--na", SOVEREIGNS[issuer].url, "--subject-id", subject,
                                 "--role", role, "--validity-hours", TREATY_HOURS, "--output", str(path)))
            doc = json.loads(path.read_bytes())
            issued[subject] = doc["attestation_id"]
            self.out.attestations[subject] = path.read_bytes()
        for subject, reason in [("alice@beta", "member_departed"), ("carol@beta", "key_compromise"),
                                ("dave@gamma", "POLICY_VIOLATION")]:
            issuer = "GAMMA-NA" if subject.endswith("gamma") else "BETA-NA"
            self.cli(*self.admin("attestation", "revoke", "--na", SOVEREIGNS[issuer].url, issued[subject],
                                 "--reason", reason))
        self.out.notes["attestations"] = issued

    def import_feeds(self) -> None:
        self.world.at(TIMES["import"])
        for issuer in ("BETA-NA", "GAMMA-NA"):
            self.cli(*self.admin("treaty", "import-feed", "--na", SOVEREIGNS["ALPHA-NA"].url, "--from",
                                 SOVEREIGNS[issuer].url, "--expected-issuer", issuer))

    def recognition_policies(self) -> None:
        """POST /admin/recognition-policy (no CLI command exists) with the reference's admin signer."""
        from genesis_mesh.workflows.remote import _request_json, _signed_admin_headers

        recognized = {"ALPHA-NA": [("BETA-NA", "role:operator"), ("GAMMA-NA", "role:client")],
                      "BETA-NA": [("ALPHA-NA", "role:operator")], "GAMMA-NA": [("ALPHA-NA", "role:client")]}
        import requests

        for name, issuers in recognized.items():
            sov = SOVEREIGNS[name]
            body = {"recognition_policy": {
                "local_sovereign_id": name,
                "recognized_issuers": [{"sovereign_id": other, "public_keys": [SOVEREIGNS[other].na.public_b64],
                                        "allowed_roles": [role]} for other, role in issuers],
            }}
            headers = _signed_admin_headers(self.operator.key_id, Path(self.operator_key_file), body,
                                            method="POST", base_url=sov.url, path="/admin/recognition-policy")
            _request_json(requests.Session(), "POST", f"{sov.url}/admin/recognition-policy", json=body,
                          headers=headers, label="recognition policy")
            self.step()

    def lifecycle(self) -> None:
        """ALPHA renews A->B, replaces A->G, and issues then revokes a pilot treaty to BETA."""
        self.world.at(TIMES["lifecycle"])
        alpha = SOVEREIGNS["ALPHA-NA"].url
        boot = self.out.notes["bootstrap"]
        self.cli(*self.admin("treaty", "renew", "--na", alpha, boot["ALPHA->BETA"]["treaty_id"],
                             "--validity-hours", TREATY_HOURS, "--yes"))
        self.cli(*self.admin("treaty", "replace", "--na", alpha, boot["ALPHA->GAMMA"]["treaty_id"],
                             "--role", "role:client", "--role", "role:service:ledger", "--claim", "tier=2",
                             "--validity-hours", TREATY_HOURS, "--yes"))
        pilot = self.bootstrap("ALPHA-NA", "BETA-NA", "role:bridge", "purpose=pilot")
        self.out.notes["pilot"] = pilot["treaty_id"]
        self.cli(*self.admin("treaty", "revoke", "--na", alpha, pilot["treaty_id"], "--reason", "key_compromise",
                             "--yes"))

    def succeed(self) -> None:
        """ALPHA's offline root names NA key 2; the new key proves possession; the NA countersigns."""
        self.world.at(TIMES["succeed"])
        alpha = SOVEREIGNS["ALPHA-NA"]
        new = KEYS["alpha_na2"]
        keydir = self.tmp / "keys"
        root_key, _ = alpha.root.write_files(keydir)
        new_key, new_pub = new.write_files(keydir)
        history, signed, proved, submitted = (self.tmp / n for n in
                                              ("history.json", "succ-signed.json", "succ-proved.json",
                                               "succ-submitted.json"))
        self.cli("na", "succession", "history", "--na", alpha.url, "--out", str(history))
        self.cli("na", "succession", "sign", "--history", str(history), "--root-key", str(root_key),
                 "--root-key-id", alpha.root.key_id, "--new-public-key", str(new_pub), "--new-key-id", new.key_id,
                 "--effective-at", SUCCESSION_EFFECTIVE, "--valid-days", "365", "--out", str(signed))
        self.cli("na", "succession", "prove", "--file", str(signed), "--new-key", str(new_key), "--out", str(proved))
        self.cli(*self.admin("na", "succession", "submit", "--na", alpha.url, "--file", str(proved),
                             "--out", str(submitted)))
        self.out.public_key_files["ALPHA-NA"]["na-2.pub"] = new_pub.read_bytes()
        self.out.notes["succession_files"] = {"signed": signed.read_bytes(), "proved": proved.read_bytes(),
                                              "submitted": submitted.read_bytes()}

    def rotate(self) -> None:
        """Restart ALPHA's NA on key 2 after it took effect (same database), as an operator would."""
        self.world.at(TIMES["rotate"])
        self.start_na(SOVEREIGNS["ALPHA-NA"], KEYS["alpha_na2"])
        self.step()

    SERVED_PATHS = {
        "genesis": "/genesis",
        "sovereign.json": "/sovereign.json",
        "key-history.json": "/na/key-history",
        "recognition-treaties.json": "/recognition-treaties",
        "revocation-feed.json": "/sovereign-revocation-feed",
        "policy.json": "/policy",
        "recognition-policy.json": "/recognition-policy",
        "recognition-graph.json": "/recognition-graph",
        "connectome.json": "/connectome.json",
        "atlas.json": "/atlas.json",
    }

    def export(self) -> None:
        self.world.at(TIMES["export"])
        for sov in SOVEREIGNS.values():
            self.out.served[sov.name] = {name: self.world.get(sov.url + path)
                                         for name, path in self.SERVED_PATHS.items()}
            # The list leaves out copies a re-issue superseded; they are still signed treaties of this
            # sovereign (and still active in their lineage), so follow reissued_from to fetch them too.
            rows = json.loads(self.out.served[sov.name]["recognition-treaties.json"])["recognition_treaties"]
            pending = [row["treaty"]["treaty_id"] for row in rows]
            fetched: dict[str, bytes] = {}
            while pending:
                treaty_id = pending.pop(0)
                if treaty_id in fetched:
                    continue
                fetched[treaty_id] = self.world.get(f"{sov.url}/recognition-treaties/{treaty_id}")
                previous = json.loads(fetched[treaty_id]).get("reissued_from")
                if previous:
                    pending.append(previous)
            self.out.treaty_rows[sov.name] = fetched
            self.step()
        for sov in SOVEREIGNS.values():
            workdir = self.tmp / "export"
            workdir.mkdir(exist_ok=True)
            name = f"trust-bundle-{sov.name}.json"
            import os

            cwd = os.getcwd()
            os.chdir(workdir)
            try:
                stdout = self.cli("trust-bundle", "export", "--na", sov.url, "--output", name, "--format", "json")
            finally:
                os.chdir(cwd)
            self.out.bundles[sov.name] = ((workdir / name).read_bytes(), stdout.encode("utf-8"))

    def run(self) -> Outcome:
        self.genesis()
        self.federate()
        self.attest()
        self.import_feeds()
        self.recognition_policies()
        self.lifecycle()
        self.succeed()
        self.rotate()
        self.export()
        return self.out


def run_scenario() -> Outcome:
    """Run the whole timeline in a fresh temp dir (key files and NA databases die with it)."""
    with tempfile.TemporaryDirectory(prefix="gm-ref-") as tmp, reference_world(TIMES["genesis"]) as world:
        return Scenario(world, Path(tmp)).run()
