"""Treaty lifecycle and time edge cases on in-process reference NAs, for the lifecycle differential.

No reference workflow makes a suspended treaty, a treaty whose signed status is `revoked`, one
not yet valid, one re-signed under the same id, or one placed on a lifecycle boundary to the
microsecond. `run(seed)` starts the sovereigns of the graph scenario (`graph_scenario.py`: genesis
by the reference CLI, one `create_app` NA each, a bootstrap ring), has the first NA's root name a
new NA key (real succession, restart, re-issue), then signs such treaties with the reference's
own `sign_model` under the NA's keys and stores them in the NA's own database
(`save_recognition_treaty`, `revoke_recognition_treaty_lineage`, exactly what its routes call).
At four instants, chosen so that every boundary falls on one of them, every NA's served
documents, `/recognition-graph` and `/connectome.json` are fetched as in the graph scenario.

For each instant it also gives the reference's verdict on every treaty row: the strict
`na_record_refusal(now=at)`, the model `verify_recognition_treaty` (expected issuer, the rows'
revoked ids, current_time=at) and the row's `treaty_lifecycle`; and the served graphs with the
deliberate differences of docs/pages/reference/interop.md applied (`apply_decisions`), then the
reference's own `build_connectome_view` and `explain_trust_path` over them.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from .graph_scenario import GraphScenario, Sov
from .harness import reference_world
from .keys import SeedKey

START = datetime(2026, 5, 4, 7, 30, 0, 125000, tzinfo=UTC)
SKEW = timedelta(minutes=5)          # RecognitionTreaty.is_valid
HORIZON = timedelta(seconds=300 + 86400)    # hand-over + vouching grace (1.8.0)
US, S, H = timedelta(microseconds=1), timedelta(seconds=1), timedelta(hours=1)
#: expires_at - instant: on, and a microsecond and a second either side of, the end, the 5-minute
#: skew of is_valid, and the 24 h and 72 h expiring-soon thresholds (int() truncates seconds).
EXPIRY_OFFSETS = (0 * S, -US, US, -S, S, -5 * 60 * S, -5 * 60 * S - US, -5 * 60 * S + S,
                  24 * H, 24 * H - S, 24 * H + US, 24 * H + S, 72 * H, 72 * H - S, 72 * H + S / 2, 72 * H + S)
#: valid_from - instant: on, and either side of, the 5-minute skew of not yet valid.
START_OFFSETS = (5 * 60 * S, 5 * 60 * S + US, 5 * 60 * S - S, 5 * 60 * S + S, 30 * H)
#: The second NA's feed at each instant: (sequence, how many ids): up past its count, equal, down.
FEED_PLAN = ((2, 2), (9, 5), (9, 5), (3, 3))
PLUS2 = timezone(timedelta(hours=2))
MINUS530 = timezone(-timedelta(hours=5, minutes=30))


class LifecycleScenario(GraphScenario):
    """The graph scenario's sovereigns, with hand-signed treaties stored in the NAs' databases."""

    def __init__(self, seed: int, world: Any, tmp: Path) -> None:
        super().__init__(seed, world, tmp)
        self.cases: dict[str, str] = {}          # treaty id -> what the case is
        self.adjusted: dict[str, str] = {}       # treaty id -> decision applied (accumulated)

    def service(self, sov: Sov) -> Any:
        return sov.app.extensions["genesis_mesh_na"]

    def zone(self) -> Any:
        """The zone the timestamps of a treaty are written in: mostly UTC (`Z`, as the NA writes),
        sometimes an offset, which the reference's canonical form admits (FORMATS §1.5)."""
        return self.rng.choice([UTC] * 6 + [PLUS2, MINUS530])

    def treaty(self, sov: Sov, subject: Sov, what: str, *, expires: datetime, valid_from: datetime | None = None,
               issued: datetime | None = None, status: str = "active", key: SeedKey | None = None,
               treaty_id: str | None = None) -> str:
        """Sign a treaty with the reference's `sign_model` and store it as the NA's routes do."""
        from genesis_mesh.crypto.signing import sign_model
        from genesis_mesh.models.sovereign import RecognitionTreaty, RecognitionTreatyScope

        key = key or sov.na
        zone = self.zone()
        issued = issued or self.world.now()
        model = RecognitionTreaty(
            treaty_id=treaty_id or str(uuid.uuid4()), issuer_sovereign_id=sov.name,
            subject_sovereign_id=subject.name, subject_public_keys=[subject.na.public_b64],
            scope=RecognitionTreatyScope(allowed_roles=[self.rng.choice(("role:client", "role:operator"))]),
            status=status, issued_at=issued.astimezone(zone), valid_from=(valid_from or issued).astimezone(zone),
            expires_at=expires.astimezone(zone), issued_by=key.key_id, metadata={"case": what}, signatures=[])
        model.signatures.append(sign_model(model, key.signing_key, key.key_id))
        self.service(sov).db.save_recognition_treaty(model)
        zone_name = "" if zone is UTC else f" (timestamps at {issued.astimezone(zone).strftime('%z')})"
        self.cases[model.treaty_id] = what + zone_name
        self.note(f"treaty {status} at {sov.name}: {model.treaty_id} {what}{zone_name}")
        self.step()
        return model.treaty_id

    def revoke(self, sov: Sov, treaty_id: str, reason: str) -> None:
        """What `POST /admin/recognition-treaties/<id>/revoke` does (its lineage revoked)."""
        self.service(sov).revoke_treaty_lineage(treaty_id, reason)
        self.note(f"revoke at {sov.name}: {treaty_id} ({reason})")
        self.step()

    def resign(self, sov: Sov, treaty_id: str, status: str) -> None:
        """The same treaty id signed again with another status (upsert: the row is active again)."""
        row = self.service(sov).db.get_recognition_treaty(treaty_id)
        old = row["treaty"]
        subject = next(s for s in self.sovs if s.name == old.subject_sovereign_id)
        what = self.cases[treaty_id] + f"; re-signed {status}"
        self.treaty(sov, subject, what, expires=old.expires_at, valid_from=old.valid_from, status=status,
                    treaty_id=treaty_id)

    # -- the reference's verdicts -----------------------------------------------------------------

    def verdicts(self, served: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Per issuer/treaty id: strict refusal, model reason and lifecycle at `at`."""
        from genesis_mesh.models.sovereign import RecognitionTreaty
        from genesis_mesh.trust.key_succession import na_record_refusal, verify_key_history
        from genesis_mesh.trust.treaty import verify_recognition_treaty

        out: dict[str, Any] = {}
        for sid, doc in served.items():
            history_doc = json.loads(doc["files"]["na/key-history"])
            root = next(line for line in doc["root_pub"].splitlines() if line and not line.startswith("#")).strip()
            history = verify_key_history(history_doc["genesis"], history_doc["successions"], root).history
            rows = {tid: json.loads(text) for tid, text in doc["treaty_rows"].items()}
            revoked = {tid for tid, row in rows.items() if row["status"] == "revoked"}
            for tid, row in rows.items():
                raw = row["treaty"]
                model = RecognitionTreaty.model_validate(raw)
                result = verify_recognition_treaty(model, history.keys_at(model.issued_at),
                                                   expected_issuer_sovereign_id=sid, revoked_treaty_ids=revoked,
                                                   current_time=at)
                out[f"{sid}/{tid}"] = {
                    "strict": na_record_refusal("RecognitionTreaty", raw, history, now=at) or "accepted",
                    "model": result.reason, "lifecycle": row["lifecycle"], "signed_status": raw["status"],
                    "superseded_by": row["superseded_by"], "case": self.cases.get(tid, "reference workflow")}
        return out

    def apply_decisions(self, served: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Each NA's /recognition-graph with Handshake's documented decisions applied (interop.md,
        "The recognition graph"): the reference's lifecycle looks only at the row and expires_at
        (FORMATS §5.3); Handshake also reads the signed status and the start of the window. A
        treaty signed `revoked` is a revoked edge and revoked trust material; one signed
        `suspended`, or not yet valid (valid_from - 5 min after `at`), and not expired, is an edge
        with status `suspended`. Neither is active. Then the reference's own connectome view."""
        from genesis_mesh.models.sovereign import RecognitionTreaty
        from genesis_mesh.trust.connectome import build_connectome_view

        graphs: dict[str, Any] = {}
        for sid, doc in served.items():
            graph = json.loads(doc["files"]["recognition-graph"])
            rows = {tid: json.loads(text) for tid, text in doc["treaty_rows"].items()}
            inactive: set[str] = set()
            for edge in graph["recognition_edges"]:
                treaty = RecognitionTreaty.model_validate(rows[edge["treaty_id"]]["treaty"])
                if edge["lifecycle_state"] in ("revoked", "replaced"):
                    continue
                if treaty.status == "revoked":
                    edge.update(status="revoked", lifecycle_state="revoked", expiry_risk="none")
                    graph["revoked_trust_material"].append({
                        "type": "recognition_treaty", "id": treaty.treaty_id, "lifecycle_state": "revoked",
                        "reason": "re-signed with status revoked", "revoked_at": None})
                    decision = "signed_revoked"
                elif edge["lifecycle_state"] == "expired":
                    continue
                elif treaty.status == "suspended":
                    edge["status"] = "suspended"
                    decision = "signed_suspended"
                elif treaty.valid_from - SKEW > at:
                    edge["status"] = "suspended"
                    decision = "not_yet_valid"
                else:
                    continue
                inactive.add(treaty.treaty_id)
                self.adjusted[treaty.treaty_id] = decision
            graph["active_treaties"] = [t for t in graph["active_treaties"] if t["treaty_id"] not in inactive]
            graphs[sid] = {"recognition-graph": graph, "connectome.json": build_connectome_view(graph)}
        return graphs

    def adjusted_trust_paths(self, graphs: dict[str, Any]) -> dict[str, Any]:
        from genesis_mesh.trust.connectome import explain_trust_path

        union: dict[str, Any] = {"sovereigns": [], "recognition_edges": [], "active_treaties": [],
                                 "revoked_trust_material": []}
        for views in graphs.values():
            for part in union:
                union[part] += views["recognition-graph"][part]
        names = [s.name for s in self.sovs]
        return {f"{a}|{b}": explain_trust_path(union, a, b) for a in names for b in names}

    def feed(self, served: dict[str, Any], at: datetime) -> dict[str, Any]:
        """Replace the second NA's served feed with one signed by its key (`sign_model`) whose
        sequence follows FEED_PLAN (a jump past its count, the same again, then back down with
        ids dropped), and judge it as an importer does: `verify_sovereign_revocation_feed` with the
        highest sequence accepted so far, then `save_sovereign_revocation_feed` (NA database)."""
        from genesis_mesh.crypto.signing import sign_model
        from genesis_mesh.models.sovereign import SovereignRevocationFeed
        from genesis_mesh.na_service.db import NADatabase
        from genesis_mesh.trust.treaty import verify_sovereign_revocation_feed

        sov = self.sovs[1]
        if not hasattr(self, "importer"):
            self.importer = NADatabase(":memory:")
            self.importer.migrate()
            self.feed_ids = sorted(str(uuid.uuid4()) for _ in range(5))
        sequence, count = FEED_PLAN[len(self.snapshots) - 1]
        ids = self.feed_ids[:count]
        model = SovereignRevocationFeed(
            feed_id=str(uuid.uuid4()), issuer_sovereign_id=sov.name, sequence=sequence, issued_at=at,
            revoked_attestation_ids=ids, revocation_reasons={i: "member_departed" for i in ids},
            issued_by=sov.na.key_id, signatures=[])
        model.signatures.append(sign_model(model, sov.na.signing_key, sov.na.key_id))
        served[sov.name]["files"]["sovereign-revocation-feed"] = json.dumps(
            json.loads(model.model_dump_json()), sort_keys=True, separators=(",", ":")) + "\n"
        latest = self.importer.get_latest_sovereign_revocation_sequence(sov.name)
        result = verify_sovereign_revocation_feed(model, [sov.na.public_b64], expected_issuer_sovereign_id=sov.name,
                                                  min_sequence=latest)
        if result.accepted:
            self.importer.save_sovereign_revocation_feed(model)
        self.note(f"feed at {sov.name}: sequence {sequence}, {count} ids: {result.reason}")
        return {"issuer": sov.name, "sequence": sequence, "previous": latest, "reason": result.reason}

    def snapshot(self) -> None:
        super().snapshot()
        snap = self.snapshots[-1]
        at = self.world.now()
        snap["feed"] = self.feed(snap["served"], at)
        snap["verdicts"] = self.verdicts(snap["served"], at)
        snap["decided"] = self.apply_decisions(snap["served"], at)
        snap["decided_trust_paths"] = self.adjusted_trust_paths(snap["decided"])

    # -- the run ----------------------------------------------------------------------------------

    def play(self) -> dict[str, Any]:
        self.genesis()
        for sov in self.sovs:
            self.bootstrap(sov, self.sovs[(self.sovs.index(sov) + 1) % len(self.sovs)])
        issuer, subject, third = self.sovs[0], self.sovs[1], self.sovs[2]
        month = self.world.now() + timedelta(days=30)
        self.treaty(issuer, subject, "key 1, live at the restart (re-issued under key 2)", expires=month)
        self.treaty(issuer, third, "key 1, suspended at the restart", expires=month, status="suspended")
        old = issuer.na
        self.rotate(issuer)
        ended = self.service(issuer).key_history.history().keys[0].succeeded_at
        # Signed by key 1 inside the 300 s hand-over, stored after the restart (never re-issued):
        # verifies at its own time; no longer vouches from ended + 300 s + 24 h on.
        for within in (299 * S, 300 * S - US, 0 * S):
            self.treaty(issuer, subject, f"key 1, signed {within.total_seconds()}s into the hand-over",
                        issued=ended + within, expires=ended + timedelta(days=20), key=old)
        now = self.world.now()
        instants = [now + 2 * H + timedelta(microseconds=self.rng.randint(1, 999_999)),
                    ended + HORIZON - S, ended + HORIZON,
                    ended + HORIZON + timedelta(days=self.rng.randint(2, 4), microseconds=123457)]
        for n, instant in enumerate(instants):
            for offset in EXPIRY_OFFSETS:
                sov, to = self.rng.choice([(issuer, subject), (subject, third), (third, issuer)])
                self.treaty(sov, to, f"expires_at = instant {n} + {offset}", expires=instant + offset)
            for offset in START_OFFSETS:
                sov, to = self.rng.choice([(issuer, subject), (subject, third)])
                self.treaty(sov, to, f"valid_from = instant {n} + {offset}", valid_from=instant + offset,
                            expires=instant + offset + timedelta(days=self.rng.choice((2, 10))))
        far = instants[-1] + timedelta(days=30)
        self.treaty(subject, third, "suspended", expires=far, status="suspended")
        self.treaty(subject, issuer, "suspended, expires before instant 3", expires=instants[3] - H,
                    status="suspended")
        self.treaty(third, subject, "signed revoked", expires=far, status="revoked")
        self.treaty(third, issuer, "signed revoked, expires before instant 3", expires=instants[3] - H,
                    status="revoked")
        self.treaty(subject, third, "suspended, not yet valid", valid_from=instants[2], expires=far,
                    status="suspended")
        later = {
            "resign_active": self.treaty(issuer, subject, "suspended", expires=far, status="suspended"),
            "resign_suspended": self.treaty(issuer, third, "active", expires=far),
            "revoke_then_resave": self.treaty(subject, issuer, "active", expires=far),
            "revoke_then_reissue": self.treaty(subject, third, "active", expires=far),
            "revoke_suspended": self.treaty(third, subject, "suspended", expires=far, status="suspended"),
            "revoke_signed_revoked": self.treaty(third, issuer, "signed revoked", expires=far, status="revoked"),
            "replace": self.treaty(issuer, third, "active, replaced after instant 2", expires=far),
        }
        sov_of = {tid: next(s for s in self.sovs if self.service(s).db.get_recognition_treaty(tid))
                  for tid in later.values()}
        for n, instant in enumerate(instants):
            self.world.at(instant)
            self.snapshot()
            if n == 0:
                self.resign(sov_of[later["resign_active"]], later["resign_active"], "active")
                self.resign(sov_of[later["resign_suspended"]], later["resign_suspended"], "suspended")
                for name in ("revoke_then_resave", "revoke_then_reissue", "revoke_signed_revoked"):
                    self.revoke(sov_of[later[name]], later[name], "key_compromise")
            if n == 2:
                self.resign(sov_of[later["revoke_then_resave"]], later["revoke_then_resave"], "active")
                self.treaty(subject, third, "re-issued after a revocation", expires=far)
                self.revoke(sov_of[later["revoke_suspended"]], later["revoke_suspended"], "policy_violation")
                successor = self.treaty(issuer, third, "the replacement", expires=far)
                self.revoke(issuer, later["replace"], f"replaced_by:{successor}")
        return {"seed": self.seed, "sovereigns": [s.name for s in self.sovs], "log": self.log,
                "snapshots": self.snapshots, "cases": self.cases, "adjusted": self.adjusted}


def run(seed: int) -> dict[str, Any]:
    """One seed's lifecycle scenario: what every NA served at each instant, and the verdicts."""
    with tempfile.TemporaryDirectory(prefix="gm-lifecycle-") as tmp, reference_world(START) as world:
        return LifecycleScenario(seed, world, Path(tmp)).play()


# -- single documents: the times of key successions and the timestamp forms -------------------------

#: A signed timestamp rewritten (and re-signed over the new text): forms the reference's canonical
#: form admits (fraction, non-zero offsets, naive) and forms it refuses.
FORMS = {"6-digit fraction": lambda t: t[:19] + ".000001Z", "+00:00": lambda t: t[:-1] + "+00:00",
         "-00:00": lambda t: t[:-1] + "-00:00", "+02:00": lambda t: t[:-1] + "+02:00",
         "-05:30": lambda t: t[:-1] + "-05:30", "+23:59": lambda t: t[:-1] + "+23:59",
         "+24:00": lambda t: t[:-1] + "+24:00", "naive": lambda t: t[:-1], ".000000Z": lambda t: t[:19] + ".000000Z",
         "3-digit fraction": lambda t: t[:19] + ".123Z", "7-digit fraction": lambda t: t[:19] + ".1234567Z",
         "lowercase z": lambda t: t[:-1] + "z", "space for T": lambda t: t[:10] + " " + t[11:],
         "no seconds": lambda t: t[:16] + "Z", "30 February": lambda t: t[:5] + "02-30" + t[10:]}


def time_documents(seed: int) -> list[dict[str, Any]]:
    """Treaties and feeds signed at the edges of a key history's windows, judged at instants on
    either side of the vouching horizon, and with each timestamp rewritten in each of FORMS, with
    the reference's strict verdict; in the format of `differential.generate` (the same comparison)."""
    import base64
    import freezegun

    from genesis_mesh.models.sovereign import RecognitionTreaty, RecognitionTreatyScope, SovereignRevocationFeed

    from .differential import CLOCK, Gen, World, jsonify, sign, sign_received, wire
    from .verdicts import Inputs, verdict

    out: list[dict[str, Any]] = []
    with freezegun.freeze_time(CLOCK):
        n = seed * 1000
        while len((w := World(Gen(n))).keys) < 2:
            n += 1
        g, keys = w.g, w.history.keys

        def add(kind: str, doc: dict[str, Any] | bytes, at: datetime, what: str) -> None:
            data = doc if isinstance(doc, bytes) else jsonify(doc)
            inputs = Inputs(root=w.root.public_b64, key_history=w.key_history, at=at)
            try:
                strict = verdict(kind, data, inputs, model=False)["strict"]
            except Exception as exc:  # noqa: BLE001 - the reference itself failed: say so
                strict = {"accepted": None, "reason": f"reference raised {type(exc).__name__}: {exc}"[:300]}
            out.append({"id": f"{seed}/{len(out)}", "kind": kind, "what": what, "data": base64.b64encode(data).decode(),
                        "at": at.isoformat().replace("+00:00", "Z"), "root": w.root.public_b64,
                        "key_history": w.key_history, "strict": strict})

        def treaty(issued: datetime, key: SeedKey) -> dict[str, Any]:
            return wire(sign(RecognitionTreaty(
                treaty_id=g.uuid(), issuer_sovereign_id=w.name, subject_sovereign_id="BETA-NA",
                subject_public_keys=[w.stranger_na.public_b64],
                scope=RecognitionTreatyScope(allowed_roles=["role:client"]),
                issued_at=issued, valid_from=issued, expires_at=issued + timedelta(days=30), issued_by=key.key_id,
                signatures=[]), key))

        def feed(issued: datetime, key: SeedKey) -> dict[str, Any]:
            ids = sorted(g.uuid() for _ in range(2))
            return wire(sign(SovereignRevocationFeed(
                feed_id=g.uuid(), issuer_sovereign_id=w.name, sequence=2, issued_at=issued,
                revoked_attestation_ids=ids, revocation_reasons={ids[0]: "member_departed"}, issued_by=key.key_id,
                signatures=[]), key))

        for index in range(1, len(keys)):
            new, old = keys[index], keys[index - 1]
            new_key, old_key = w.dkey(new.public_key), w.dkey(old.public_key)
            assert new.valid_from is not None and old.end is not None
            for make, kind in ((treaty, "treaty"), (feed, "feed")):
                for delta in (-S, -US, 0 * S, US):
                    add(kind, make(new.valid_from + delta, new_key), new.valid_from + H,
                        f"key {new.key_sequence} signs at its valid_from {delta}")
                for delta in (299 * S, 300 * S - US, 300 * S, 301 * S):
                    issued = old.end + delta
                    for at in (issued + H, old.end + HORIZON - US, old.end + HORIZON):
                        add(kind, make(issued, old_key), at,
                            f"key {old.key_sequence} signs {delta} after its end; judged at {at - old.end} after")
        base = keys[-1].valid_from or w.start
        for form, rewrite in FORMS.items():
            for kind, fields in (("treaty", ("issued_at", "valid_from", "expires_at")), ("feed", ("issued_at",))):
                for field in fields:
                    doc = treaty(base + H, w.keys[-1]) if kind == "treaty" else feed(base + H, w.keys[-1])
                    doc[field] = rewrite(doc[field])
                    for at in (base + H - S, base + 2 * H, base + timedelta(days=40)):
                        add(kind, sign_received(kind, doc, w.keys[-1]), at, f"{field} ({form}) changed, re-signed")
    return out
