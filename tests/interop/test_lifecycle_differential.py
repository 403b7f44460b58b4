"""Lifecycle differential: treaties no reference workflow makes, judged by Handshake and by the
reference at instants placed on every lifecycle boundary.

`refimpl/lifecycle_scenario.py` (run by `reference_tool.py lifecycle-scenario SEED` in .venv-ref)
signs treaties with genesis-mesh 1.8.1's own `sign_model` and stores them in its own NAs'
databases: suspended, signed `revoked`, not yet valid, re-signed under the same id (suspended ->
active, active -> suspended, revoked -> active again), revoked then re-issued, signed by a key a
succession then retired (inside its hand-over, past its vouching horizon), written with UTC
offsets, and expiring exactly on, a microsecond and a second either side of, an instant, its
5-minute skew and the 24 h and 72 h expiring-soon thresholds. At four instants every NA's served
documents are imported into a fresh Handshake repository (test_scenario_differential's
`import_snapshot`) and verified at that instant; then

* each treaty's findings are compared with the reference's verdict on it: the strict
  `na_record_refusal(now=at)` (an error at Handshake exactly when it refuses), the model
  `verify_recognition_treaty` (wrong issuer, locally revoked, bad status, validity window) and the
  row's `treaty_lifecycle` (state and expiry risk), through `expected_code`;
* each NA's graph, connectome view and the union's trust paths are compared with the reference's
  (test_scenario_differential's `compare_nas`/`compare_union`) after Handshake's documented
  decisions (`DECIDED`) are applied to the reference's export by the generator;
* the four instants are committed in turn and reviewed commit to commit: one NA's feed, signed
  with a sequence that jumps, stays, then goes down, against the reference importer's verdict
  (`stale_sequence`), and the treaty rows' transitions against the review's changes.

`time-documents` adds single treaties and feeds signed on either side of a key's start and of
its predecessor's hand-over, judged either side of the vouching horizon, and every timestamp in
each form of `FORMS`, compared as test_differential.py compares.

A missing .venv-ref FAILS this test (never skips).
"""
from __future__ import annotations

import json
import subprocess
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from publisher.codes import REGISTRY
from publisher.exports.connectome import export_sovereign_graph
from publisher.findings import Finding
from publisher.review.collect import collect_review
from publisher.timestamps import parse
from publisher.verify import Verification
from tests.interop.test_differential import difference
from tests.interop.test_scenario_differential import reference_scenario as graph_scenario
from tests.interop.seeds import seeds
from tests.interop.test_scenario_differential import (
    compare_nas, compare_union, expected_imports, import_snapshot, undecided,
)

SEEDS = seeds((1, 2))
SKEW = timedelta(minutes=5)

# Handshake's decisions where the reference's lifecycle (row status and expires_at only, FORMATS
# §5.3) says less than the signed treaty; the generator applies them to the reference's export
# (`apply_decisions`) before the graphs are compared. Each is in docs/pages/reference/interop.md.
DECIDED: dict[str, str] = {
    # Signed status revoked: a revoked edge and revoked trust material (the reference: active).
    "signed_revoked": "§5.3, §14.14",
    # Signed status suspended: not an active edge, exported with status suspended (the reference: active).
    "signed_suspended": "§5.3, §14.14",
    # valid_from more than 5 minutes after the instant: not an active edge, status suspended (the
    # reference's lifecycle: active; its verify_recognition_treaty: outside_validity_window).
    "not_yet_valid": "§1.5, §5.2",
}

# Verdicts where Handshake deliberately differs from one reference function, matched on
# (Handshake's code, the reference's model reason).
DELIBERATE_VERDICTS: dict[tuple[str, str], str] = {
    # In the 5 minutes after expires_at, verify_recognition_treaty still accepts (is_valid's skew)
    # while treaty_lifecycle says expired; Handshake follows the lifecycle (the graph's state).
    ("treaty.expired", "accepted"): "§5.3 over §1.5",
    # A copy the NA re-issued under its new key (row superseded_by) keeps an active row at the
    # reference, which lists only the newest copy; Handshake reports the copy replaced by it.
    ("treaty.replaced", "superseded copy"): "§3, §5.3",
    # na_record_refusal(now) refuses any record past its key's vouching horizon (outlives_key);
    # Handshake applies the horizon to treaties in force only: one replaced, revoked, suspended,
    # expired or not yet valid vouches for nothing, and its lifecycle finding says so.
    ("treaty.<not in force>", "outlives_key"): "§3",
}
NOT_IN_FORCE = ("treaty.expired", "treaty.not_yet_valid", "treaty.suspended", "treaty.revoked", "treaty.replaced")


def reference_scenario(seed: int) -> dict[str, Any]:
    return graph_scenario(seed, "lifecycle-scenario", "lifecycle")


LIFECYCLE_CODES = ("treaty.expired", "treaty.expiring_soon", "treaty.not_yet_valid", "treaty.suspended",
                   "treaty.revoked", "treaty.replaced")


def expected_code(verdict: dict[str, Any], at: datetime, valid_from: datetime) -> str | None:
    """The lifecycle finding the reference's verdict calls for: the row's lifecycle first (revoked,
    replaced), then the signed status (bad_status), expiry, the window's start, expiring soon."""
    state = verdict["lifecycle"]["state"]
    if verdict["superseded_by"] is not None and state != "revoked":
        return "treaty.replaced"     # a copy a re-issue superseded (DELIBERATE_VERDICTS)
    if state in ("revoked", "replaced"):
        return f"treaty.{state}"
    if verdict["signed_status"] in ("revoked", "suspended"):
        return f"treaty.{verdict['signed_status']}"
    if state == "expired":
        return "treaty.expired"
    if valid_from - SKEW > at:
        return "treaty.not_yet_valid"
    return "treaty.expiring_soon" if state == "expiring_soon" else None


def verdict_differences(where: str, verification: Verification, verdicts: dict[str, Any]) -> list[str]:
    """Each treaty's findings against the reference's three verdicts on it."""
    at = verification.at
    by_path: dict[str, list[Finding]] = {}
    for f in verification.findings:
        by_path.setdefault(f.path, []).append(f)
    edges = {e["treaty_id"]: e for s in verification.sovereigns
             for e in export_sovereign_graph(verification, s.id)["recognition_edges"]}
    problems = []
    for key, verdict in sorted(verdicts.items()):
        sid, treaty_id = key.split("/", 1)
        path = f"sovereigns/{sid}/treaties/{treaty_id}.json"
        found = by_path.get(path, [])
        label = f"{where} {key} [{verdict['case']}]"
        errors = [f for f in found if f.severity.value == "error"]
        strict = verdict["strict"]
        if strict != "accepted":
            if strict == "outlives_key" and not errors and any(f.code in NOT_IN_FORCE for f in found):
                continue     # DELIBERATE_VERDICTS: the horizon applies to what is in force
            if not any(strict in REGISTRY[f.code].reference for f in errors):
                problems.append(f"{label}: reference {strict}, Handshake {[(f.code, f.message) for f in found]}")
            continue
        if errors:
            problems.append(f"{label}: reference accepted, Handshake {[(f.code, f.message) for f in errors]}")
            continue
        treaty = next(t for s in verification.sovereigns if s.id == sid for t in s.treaties
                      if t.treaty_id == treaty_id)
        assert treaty.valid_from is not None
        expected = expected_code(verdict, at, treaty.valid_from)
        ours = [f.code for f in found if f.code in LIFECYCLE_CODES]
        if ours != ([expected] if expected else []):
            problems.append(f"{label}: reference lifecycle {verdict['lifecycle']['state']} ({verdict['model']}), "
                            f"expected {expected}, Handshake {ours}")
            continue
        model = verdict["model"]
        if expected == "treaty.replaced" and verdict["superseded_by"] is not None:
            expected, model = "treaty.replaced", "superseded copy"     # DELIBERATE_VERDICTS
        if expected in (None, "treaty.expiring_soon") and model != "accepted":
            problems.append(f"{label}: reference {model}, Handshake accepted")
        elif expected and model not in ("accepted", "superseded copy") and model not in REGISTRY[expected].reference:
            problems.append(f"{label}: reference {model}, Handshake {expected} (maps to "
                            f"{REGISTRY[expected].reference})")
        elif expected not in (None, "treaty.expiring_soon") and model == "accepted" \
                and (expected, model) not in DELIBERATE_VERDICTS:
            problems.append(f"{label}: reference accepted, Handshake {expected}")
        edge = edges.get(treaty_id)
        if verdict["superseded_by"] is None and edge is not None and \
                edge["expiry_risk"] != verdict["lifecycle"]["expiry_risk"] and edge["status"] != "revoked":
            problems.append(f"{label}: expiry risk {edge['expiry_risk']} != {verdict['lifecycle']['expiry_risk']}")
    return problems


@pytest.fixture(scope="module")
def scenarios() -> dict[int, dict[str, Any]]:
    return {seed: reference_scenario(seed) for seed in SEEDS}


@pytest.fixture(scope="module")
def compared(scenarios: dict[int, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
             ) -> dict[int, list[tuple[list[str], Verification]]]:
    base = tmp_path_factory.mktemp("lifecycle")
    out: dict[int, list[tuple[list[str], Verification]]] = {}
    for seed, scenario in scenarios.items():
        out[seed] = []
        for n, snapshot in enumerate(scenario["snapshots"]):
            verification = import_snapshot(snapshot, base / f"{seed}-{n}", refuse_errors=False)
            where = f"seed {seed} {snapshot['at']}"
            graphs = {sid: views["recognition-graph"] for sid, views in snapshot["decided"].items()}
            views = {sid: views["connectome.json"] for sid, views in snapshot["decided"].items()}
            found, _ = compare_nas(where, verification, graphs, views,
                                   lambda sid, recognized, s=snapshot: expected_imports(s, sid, recognized))
            found += compare_union(f"{where} union", verification, graphs, snapshot["decided_trust_paths"])
            problems = undecided(found) + verdict_differences(where, verification, snapshot["verdicts"])
            out[seed].append((problems, verification))
    return out


# -- the history: one commit per instant, reviewed commit to commit --------------------------------


def commit_snapshots(scenario: dict[str, Any], repo: Path) -> list[str]:
    """Each instant's served documents written over the last (import-na's plan) and committed at
    that instant; the commits."""
    commits = []
    for n, snapshot in enumerate(scenario["snapshots"]):
        import_snapshot(snapshot, repo.parent / f"saved-{n}", refuse_errors=False, repo=repo)
        env = {"GIT_AUTHOR_DATE": snapshot["at"], "GIT_COMMITTER_DATE": snapshot["at"], "GIT_AUTHOR_NAME": "t",
               "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org",
               "PATH": "/usr/bin:/bin"}
        git = ["git", "-C", str(repo), "-c", "commit.gpgsign=false"]
        if n == 0:
            subprocess.run(["git", "init", "-q", str(repo)], check=True, env=env)
        subprocess.run([*git, "add", "-A"], check=True, env=env)
        subprocess.run([*git, "commit", "-q", "-m", f"instant {n}"], check=True, env=env)
        commits.append(subprocess.run([*git, "rev-parse", "HEAD"], check=True, env=env, capture_output=True,
                                      text=True).stdout.strip())
    return commits


def history_differences(scenario: dict[str, Any], repo: Path) -> tuple[list[str], Counter[str]]:
    """`handshake review` from each instant to the next against what the reference did: its
    importer's verdict on the feed (stale_sequence), and the treaty rows it served (a revoked row
    active again, a signed status changed)."""
    commits = commit_snapshots(scenario, repo)
    problems: list[str] = []
    seen: Counter[str] = Counter()
    snapshots = scenario["snapshots"]
    for n in range(1, len(snapshots)):
        at = parse(snapshots[n]["at"])
        review = collect_review(repo, commits[n - 1], commits[n], at=at)
        codes = {(c.code, c.subject) for c in review.changes}
        feed = snapshots[n]["feed"]
        decreased = ("change.feed_sequence_decreased", feed["issuer"]) in codes
        where = f"seed {scenario['seed']} instant {n - 1} -> {n}"
        if feed["reason"] == "stale_sequence" and feed["sequence"] == feed["previous"]:
            seen["equal_sequence"] += 1      # DELIBERATE_HISTORY: a count, not a counter
            if decreased:
                problems.append(f"{where}: the feed kept sequence {feed['sequence']}, Handshake says it went down")
        elif (feed["reason"] == "stale_sequence") != decreased:
            problems.append(f"{where}: reference {feed['reason']} on sequence {feed['sequence']} after "
                            f"{feed['previous']}, Handshake feed_sequence_decreased={decreased}")
        for sid, served in snapshots[n]["served"].items():
            before = {tid: json.loads(text) for tid, text in snapshots[n - 1]["served"][sid]["treaty_rows"].items()}
            for tid, text in served["treaty_rows"].items():
                row, old = json.loads(text), before.get(tid)
                if old is None:
                    continue
                expected = None
                if old["status"] == "revoked" and row["status"] == "active":
                    expected = "change.treaty_unrevoked"     # DELIBERATE_HISTORY
                elif row["status"] == "active" and (old["treaty"]["status"], row["treaty"]["status"]) == \
                        ("active", "suspended"):
                    expected = "change.treaty_suspended"
                elif row["status"] == "active" and (old["treaty"]["status"], row["treaty"]["status"]) == \
                        ("suspended", "active"):
                    expected = "change.treaty_resumed"
                elif (old["status"], row["status"]) == ("active", "revoked") and row["superseded_by"] is None \
                        and old["treaty"]["status"] != "revoked":    # a signed revocation was one already
                    expected = "change.treaty_revoked"   # replaced by a successor that does not name it, too
                ours = {code for code, subject in codes if subject == tid and code in TREATY_CHANGES}
                if expected is not None:
                    seen[expected] += 1
                if ours != ({expected} if expected else set()):
                    problems.append(f"{where} {sid}/{tid}: reference rows {old['status']}/{old['treaty']['status']}"
                                    f" -> {row['status']}/{row['treaty']['status']}, Handshake {sorted(ours)}")
    return problems, seen


TREATY_CHANGES = ("change.treaty_unrevoked", "change.treaty_suspended", "change.treaty_resumed",
                  "change.treaty_revoked")

# Where Handshake's history review says more than the reference's importer or NA.
DELIBERATE_HISTORY: dict[str, str] = {
    # A feed re-published with the same sequence: the importer says stale_sequence; Handshake
    # accepts it (the NA's sequence is a count, unchanged while nothing is revoked).
    "equal_sequence": "§6, §14.7",
    # A revoked treaty id signed and saved again: the reference's upsert makes the row active
    # again; Handshake reports it critical (revocation is terminal for the treaty id).
    "change.treaty_unrevoked": "§5.3",
}


@pytest.mark.parametrize("seed", SEEDS)
def test_the_history_review_agrees_with_the_reference_importer(seed: int, scenarios: dict[int, dict[str, Any]],
                                                               tmp_path: Path) -> None:
    problems, seen = history_differences(scenarios[seed], tmp_path / "repo")
    assert not problems, "\n".join(problems)
    assert set(DELIBERATE_HISTORY) <= set(seen), seen
    assert {"change.treaty_suspended", "change.treaty_resumed", "change.treaty_revoked"} <= set(seen), seen


@pytest.mark.parametrize("seed", SEEDS)
def test_handshake_lifecycle_equals_the_references(seed: int, scenarios: dict[int, dict[str, Any]],
                                                   compared: dict[int, list[tuple[list[str], Verification]]]) -> None:
    problems = [line for found, _ in compared[seed] for line in found]
    assert not problems, "\n".join(problems[:60] + ["operation log:", *scenarios[seed]["log"]])


def test_the_cases_reach_every_state_boundary_and_decision(scenarios: dict[int, dict[str, Any]]) -> None:
    """Every lifecycle state and risk, every model reason the window and status give, every
    decision of DECIDED, the vouching horizon, and a deterministic generator."""
    states, reasons, strict = Counter(), Counter(), Counter()
    for scenario in scenarios.values():
        for snapshot in scenario["snapshots"]:
            for verdict in snapshot["verdicts"].values():
                states[(verdict["lifecycle"]["state"], verdict["lifecycle"]["expiry_risk"])] += 1
                reasons[verdict["model"]] += 1
                strict[verdict["strict"]] += 1
    assert set(states) >= {("active", "low"), ("expiring_soon", "medium"), ("expiring_soon", "high"),
                           ("expired", "expired"), ("revoked", "none"), ("replaced", "none")}, states
    assert set(reasons) >= {"accepted", "bad_status", "outside_validity_window", "locally_revoked"}, reasons
    assert strict["outlives_key"] and strict["accepted"], strict
    cases = [c for scenario in scenarios.values() for c in scenario["cases"].values()]
    assert any("+0200" in c for c in cases) and any("-0530" in c for c in cases)
    decided = {d for scenario in scenarios.values() for d in scenario["adjusted"].values()}
    assert decided == set(DECIDED), decided
    assert reference_scenario(SEEDS[0]) == scenarios[SEEDS[0]], "the scenario is not deterministic for a seed"


# -- single documents at the edges of key windows, and every timestamp form ----------------------


def time_documents(seed: int) -> list[dict[str, Any]]:
    documents: list[dict[str, Any]] = graph_scenario(seed, "time-documents", "lifecycle")["documents"]
    return documents


@pytest.mark.parametrize("seed", SEEDS)
def test_key_window_and_timestamp_form_verdicts_equal_the_references(seed: int) -> None:
    """A treaty or feed signed a microsecond or a second either side of a key's start, its end's
    300 s hand-over, judged either side of the vouching horizon, and each timestamp written in
    each form of `FORMS` and re-signed: the verdict of test_differential.py's `difference`."""
    documents = time_documents(seed)
    differences = {d["id"]: f"{d['kind']}: {d['what']} -> {found}" for d in documents
                   if (found := difference(d)) is not None}
    assert not differences, json.dumps(differences, indent=1)
    reasons = Counter(d["strict"]["reason"] for d in documents)
    assert {"accepted", "non_canonical_form", "na_key_not_valid_at_time", "outlives_key"} <= set(reasons), reasons
