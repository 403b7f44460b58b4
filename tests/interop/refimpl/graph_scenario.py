"""Seeded random scenarios on in-process reference NAs, for the recognition-graph differential.

`run(seed)` starts 3 to 6 sovereigns (genesis created and root-signed by the reference CLI, one
`create_app` NA each, as refimpl/scenario.py does), then plays a random sequence of reference
operations: `federation bootstrap`, `treaty renew/replace/revoke`, `attestation issue/revoke`,
`treaty import-feed`, and NA key succession (`na succession history/sign/prove/submit`, then a
restart on the new key, which re-issues the live treaties). The frozen clock moves forward by
random amounts between operations, so treaties become expiring soon, expire and get replaced.
At several instants every NA's public endpoints are fetched: the documents a Handshake
repository imports (`import-na`) and the NA's own `/recognition-graph` and `/connectome.json`.

It also writes down what the served documents cannot show: when each NA last imported each
issuer's feed and whether that issuer revoked anything since (the reference's imported
revocations are NA-local history, FORMATS §9.1), and the reference's own `explain_trust_path`
over the union of the NAs' exports (one NA's export holds only its own edges, §14.12).

Everything derives from the seed (keys, names, operations, times; uuids come from the
harness counter), so a failure reproduces from its seed.
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


from .harness import Operating, World, reference_world
from .keys import SeedKey

START = datetime(2026, 2, 2, 8, 0, 0, 250000, tzinfo=UTC)
NAMES = ("ALPHA", "BETA", "GAMMA", "DELTA", "EPSILON", "ZETA")
ROLES = ("role:operator", "role:client", "role:bridge", "role:anchor", "role:service:ledger")
#: Validity windows: some expire within the scenario, some sit in expiring_soon at a snapshot.
VALIDITY_HOURS = ("5", "26", "50", "73", "96", "170", "2160")
REASONS = ("key_compromise", "unspecified", "policy_violation", "member_departed")
#: The served documents a Handshake repository imports, and the NA's own graph views.
ENDPOINTS = {
    "genesis": "/genesis", "sovereign.json": "/sovereign.json", "na/key-history": "/na/key-history",
    "recognition-treaties": "/recognition-treaties", "sovereign-revocation-feed": "/sovereign-revocation-feed",
    "policy": "/policy", "recognition-graph": "/recognition-graph", "connectome.json": "/connectome.json",
}


@dataclass
class Sov:
    name: str
    netloc: str
    root: SeedKey
    na: SeedKey
    app: Any = None
    db_path: str = ""
    successions: int = 0
    attestations: dict[str, bool] = field(default_factory=dict)   # attestation id -> revoked
    feed_changed: int = 0         # operation number of this NA's last attestation revocation

    @property
    def url(self) -> str:
        return f"https://{self.netloc}"


class GraphScenario(Operating):
    """One seed's sovereigns, operations and snapshots, in one frozen world."""

    def __init__(self, seed: int, world: World, tmp: Path) -> None:
        self.seed, self.world, self.tmp = seed, world, tmp
        self.rng = random.Random(seed)
        self.keydir = tmp / "keys"
        self.keydir.mkdir()
        self.operator = self.key("operator", "operator-local")
        self.operator_key_file = str(self.operator.write_files(self.keydir)[0])
        count = self.rng.randint(3, 6)
        self.sovs = [Sov(f"{n}-NA", f"{n.lower()}-na.example.org", self.key(f"{n}-root", f"rs-{n.lower()}"),
                         self.key(f"{n}-na-1", f"na-{n.lower()}-1")) for n in NAMES[:count]]
        self.genesis_bytes: dict[str, bytes] = {}
        self.root_pub: dict[str, str] = {}
        self.log: list[str] = []
        self.op = 0
        # (importer, issuer) -> operation number of the importer's last successful import-feed
        self.imported: dict[tuple[str, str], int] = {}
        self.snapshots: list[dict[str, Any]] = []

    # -- helpers --------------------------------------------------------------------------

    def key(self, label: str, key_id: str) -> SeedKey:
        return SeedKey(hashlib.sha256(f"handshake-graph-scenario-{self.seed}-{label}".encode()).digest(), key_id)

    def note(self, text: str) -> None:
        self.log.append(f"{self.world.now().isoformat()} #{self.op} {text}")

    def start_na(self, sov: Sov) -> None:
        """Build the NA app as `na start` does (create_app), on the sovereign's current NA key."""
        from genesis_mesh.models import GenesisBlock
        from genesis_mesh.na_service.key_provider import KeyProviderConfig, load_signer
        from genesis_mesh.na_service.rate_limit import RateLimits
        from genesis_mesh.na_service.server import create_app

        key_file = str(sov.na.write_files(self.keydir)[0])
        sov.db_path = sov.db_path or str(self.tmp / f"{sov.name}.db")
        big = 100_000
        sov.app = create_app(
            genesis_block=GenesisBlock(**json.loads(self.genesis_bytes[sov.name])),
            na_private_key=load_signer(KeyProviderConfig(provider="file", key_id=sov.na.key_id, key_file=key_file)),
            db_path=sov.db_path, key_id=sov.na.key_id,
            operator_public_keys={self.operator.key_id: self.operator.public_b64},
            operator_key_tiers={self.operator.key_id: "privileged"},
            rate_limits=RateLimits(admin=big, verify=big, evidence=big, read=big, admin_auth_failures=big,
                                   observations=big, audit_packs=big, node=big, node_address=big, executor=big),
        )
        self.world.serve(sov.netloc, sov.app)

    def rows(self, sov: Sov) -> list[dict[str, Any]]:
        """The NA's listed treaty rows (superseded copies are not listed)."""
        return list(self.world.get_json(sov.url + "/recognition-treaties")["recognition_treaties"])

    def live_rows(self, sov: Sov) -> list[dict[str, Any]]:
        return [r for r in self.rows(sov) if r["status"] == "active"]

    def other(self, sov: Sov) -> Sov:
        return self.rng.choice([s for s in self.sovs if s is not sov])

    # -- operations -----------------------------------------------------------------------

    def genesis(self) -> None:
        for sov in self.sovs:
            root_key, root_pub = sov.root.write_files(self.keydir)
            _, na_pub = sov.na.write_files(self.keydir)
            self.root_pub[sov.name] = root_pub.read_text()
            unsigned, signed = self.tmp / f"{sov.name}.genesis.json", self.tmp / f"{sov.name}.genesis.signed.json"
            self.world.cli("genesis", "create", "--network-name", sov.name, "--root-key", str(root_pub),
                           "--na-key", str(na_pub), "--output", str(unsigned))
            self.world.cli("genesis", "sign", "--genesis", str(unsigned), "--root-private-key", str(root_key),
                           "--key-id", sov.root.key_id, "--output", str(signed))
            self.genesis_bytes[sov.name] = signed.read_bytes()
            self.start_na(sov)
            self.step()

    def bootstrap(self, acceptor: Sov | None = None, subject: Sov | None = None) -> None:
        acceptor = acceptor or self.rng.choice(self.sovs)
        subject = subject or self.other(acceptor)
        role, hours = self.rng.choice(ROLES), self.rng.choice(VALIDITY_HOURS)
        args = ["federation", "bootstrap", "--acceptor", acceptor.url, "--issuer", subject.url, "--role", role,
                "--validity-hours", hours, "--yes", "--format", "json"]
        if self.rng.random() < 0.5:
            args += ["--claim", f"purpose=p{self.rng.randint(1, 9)}"]
        out = json.loads(self.cli(*self.admin(*args)))
        self.note(f"bootstrap {acceptor.name}->{subject.name} {role} {hours}h: {out.get('treaty_id')}")

    def lifecycle(self, what: str) -> None:
        """Renew, replace or revoke one of an NA's live treaties (if it has one)."""
        sov = self.rng.choice(self.sovs)
        rows = self.live_rows(sov)
        if not rows:
            return self.bootstrap(sov)
        treaty_id = self.rng.choice(rows)["treaty"]["treaty_id"]
        hours = self.rng.choice(VALIDITY_HOURS)
        if what == "renew":
            args = ["treaty", "renew", "--na", sov.url, treaty_id, "--validity-hours", hours, "--yes"]
        elif what == "replace":
            roles = self.rng.sample(ROLES, self.rng.randint(1, 2))
            args = ["treaty", "replace", "--na", sov.url, treaty_id, "--validity-hours", hours, "--yes",
                    *[a for r in roles for a in ("--role", r)], "--claim", f"tier={self.rng.randint(1, 3)}"]
        else:
            args = ["treaty", "revoke", "--na", sov.url, treaty_id, "--reason", self.rng.choice(REASONS), "--yes"]
        self.cli(*self.admin(*args))
        self.note(f"{what} at {sov.name}: {treaty_id}" + ("" if what == "revoke" else f" ({hours}h)"))

    def attest(self) -> None:
        sov = self.rng.choice(self.sovs)
        path = self.tmp / "attestation.json"
        self.cli(*self.admin("attestation", "issue", "--na", sov.url, "--subject-id",
                             f"member-{self.op}@{sov.name.lower()}", "--role", self.rng.choice(ROLES),
                             "--validity-hours", self.rng.choice(VALIDITY_HOURS), "--output", str(path)))
        attestation_id = json.loads(path.read_bytes())["attestation_id"]
        sov.attestations[attestation_id] = False
        self.note(f"attestation issue at {sov.name}: {attestation_id}")

    def revoke_attestation(self) -> None:
        candidates = [(s, a) for s in self.sovs for a, revoked in s.attestations.items() if not revoked]
        if not candidates:
            return self.attest()
        sov, attestation_id = self.rng.choice(candidates)
        self.cli(*self.admin("attestation", "revoke", "--na", sov.url, attestation_id,
                             "--reason", self.rng.choice(REASONS)))
        sov.attestations[attestation_id] = True
        sov.feed_changed = self.op
        self.note(f"attestation revoke at {sov.name}: {attestation_id}")

    def import_feed(self) -> None:
        """An NA imports the feed of a sovereign it issued a treaty to (the treaty pins its keys)."""
        importer = self.rng.choice(self.sovs)
        subjects = sorted({r["treaty"]["subject_sovereign_id"] for r in self.live_rows(importer)})
        if not subjects:
            return self.bootstrap(importer)
        revoking = [s.name for s in self.sovs if s.name in subjects and any(s.attestations.values())]
        chosen = self.rng.choice(revoking if revoking and self.rng.random() < 0.8 else subjects)
        issuer = next(s for s in self.sovs if s.name == chosen)
        try:
            self.cli(*self.admin("treaty", "import-feed", "--na", importer.url, "--from", issuer.url,
                                 "--expected-issuer", issuer.name))
        except RuntimeError as exc:      # the reference refused (e.g. its pinned keys went stale): note it
            self.step()
            why = " ".join(str(exc).splitlines()[1:3])[:300]
            self.note(f"import-feed at {importer.name} from {issuer.name} refused: {why}")
            return
        self.imported[(importer.name, issuer.name)] = self.op
        self.note(f"import-feed at {importer.name} from {issuer.name}")

    def rotate(self, sov: Sov | None = None) -> None:
        """The root names a new NA key effective within the hour; the NA restarts on it after."""
        sov = sov or self.rng.choice([s for s in self.sovs if s.successions < 2] or self.sovs)
        sov.successions += 1
        new = self.key(f"{sov.name}-na-{sov.successions + 1}", f"na-{sov.name[:-3].lower()}-{sov.successions + 1}")
        root_key, _ = sov.root.write_files(self.keydir)
        new_key, new_pub = new.write_files(self.keydir)
        effective = (self.world.now() + timedelta(minutes=self.rng.randint(20, 60))).replace(microsecond=0)
        files = [self.tmp / f"succ-{n}.json" for n in ("history", "signed", "proved", "submitted")]
        self.cli("na", "succession", "history", "--na", sov.url, "--out", str(files[0]))
        self.cli("na", "succession", "sign", "--history", str(files[0]), "--root-key", str(root_key),
                 "--root-key-id", sov.root.key_id, "--new-public-key", str(new_pub), "--new-key-id", new.key_id,
                 "--effective-at", effective.isoformat().replace("+00:00", "Z"), "--valid-days", "365",
                 "--out", str(files[1]))
        self.cli("na", "succession", "prove", "--file", str(files[1]), "--new-key", str(new_key),
                 "--out", str(files[2]))
        self.cli(*self.admin("na", "succession", "submit", "--na", sov.url, "--file", str(files[2]),
                             "--out", str(files[3])))
        # restart once the new key is in effect and the 300 s hand-over is over (as an operator would)
        self.world.at(effective + timedelta(seconds=self.rng.choice([301, 900, 3600, 7200])))
        sov.na = new
        self.start_na(sov)
        self.step()
        self.note(f"rotate {sov.name} to {new.key_id} (effective {effective.isoformat()})")

    def advance(self) -> None:
        roll = self.rng.random()
        if roll < 0.5:
            delta = timedelta(minutes=self.rng.randint(5, 600))
        elif roll < 0.85:
            delta = timedelta(hours=self.rng.randint(10, 60), seconds=self.rng.randint(0, 3599))
        else:
            delta = timedelta(days=self.rng.randint(3, 8))
        self.world.at(self.world.now() + delta)

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self) -> None:
        """Every NA's served documents at one instant (the clock does not move meanwhile)."""
        at = self.world.now()
        served: dict[str, Any] = {}
        for sov in self.sovs:
            files = {name: self.world.get(sov.url + path).decode("utf-8") for name, path in ENDPOINTS.items()}
            rows: dict[str, str] = {}
            listed = json.loads(files["recognition-treaties"])["recognition_treaties"]
            pending = [r["treaty"]["treaty_id"] for r in listed]
            while pending:     # superseded copies are reachable only through reissued_from
                treaty_id = pending.pop(0)
                if treaty_id not in rows:
                    rows[treaty_id] = self.world.get(f"{sov.url}/recognition-treaties/{treaty_id}").decode("utf-8")
                    previous = json.loads(rows[treaty_id]).get("reissued_from")
                    if previous:
                        pending.append(previous)
            served[sov.name] = {"files": files, "treaty_rows": rows, "root_pub": self.root_pub[sov.name],
                                "feed_changed": sov.feed_changed}
        self.snapshots.append({"at": at.isoformat().replace("+00:00", "Z"), "op": self.op, "served": served,
                               "imported": {f"{a}|{b}": n for (a, b), n in sorted(self.imported.items())},
                               "union_trust_paths": self.union_trust_paths(served)})
        self.note(f"snapshot {len(self.snapshots)}")

    def union_trust_paths(self, served: dict[str, Any]) -> dict[str, Any]:
        """The reference's explain_trust_path over the union of every NA's /recognition-graph."""
        from genesis_mesh.trust.connectome import explain_trust_path

        union: dict[str, Any] = {"sovereigns": [], "recognition_edges": [], "active_treaties": [],
                                 "revoked_trust_material": []}
        for doc in served.values():
            graph = json.loads(doc["files"]["recognition-graph"])
            for part in union:
                union[part] += graph[part]
        names = [s.name for s in self.sovs]
        return {f"{a}|{b}": explain_trust_path(union, a, b) for a in names for b in names}

    # -- the run --------------------------------------------------------------------------

    def run(self, operations: int, snapshots: int) -> dict[str, Any]:
        self.genesis()
        for sov in self.sovs:                       # a connected start: each recognizes the next
            self.bootstrap(sov, self.sovs[(self.sovs.index(sov) + 1) % len(self.sovs)])
        at_ops = sorted(self.rng.sample(range(4, operations), snapshots - 1)) + [operations]
        weights = {"bootstrap": 4, "renew": 3, "replace": 2, "revoke": 2, "attest": 3, "revoke_attestation": 3,
                   "import_feed": 4, "rotate": 1, "advance": 6}
        for self.op in range(1, operations + 1):
            what = self.rng.choices(list(weights), weights=list(weights.values()))[0]
            if what in ("renew", "replace", "revoke"):
                self.lifecycle(what)
            else:
                getattr(self, what)()
            if self.op in at_ops:
                self.snapshot()
                self.advance()
        return {"seed": self.seed, "sovereigns": [s.name for s in self.sovs], "log": self.log,
                "snapshots": self.snapshots}


def run(seed: int, operations: int = 30, snapshots: int = 4) -> dict[str, Any]:
    """One seed's scenario: what every NA served at each snapshot, and the operation log."""
    with tempfile.TemporaryDirectory(prefix="gm-graph-") as tmp, reference_world(START) as world:
        return GraphScenario(seed, world, Path(tmp)).run(operations, snapshots)
