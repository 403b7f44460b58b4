"""The no-change path (publisher.verify.snapshot): a repeated input is answered from its
snapshot with exactly the findings a fresh verification gives, at any evaluation time; the
time windows are sound; models load only when asked for, and come back intact."""
from __future__ import annotations

import dataclasses
import os
import shutil
import time
from datetime import datetime, timedelta, UTC
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher import source as source_module
from publisher import cachepack
from publisher.cache import open_cache
from publisher.lifecycle import EXPIRING_WITHIN
from publisher.model import HANDOVER, VOUCHING_GRACE, KeyHistory, NaKey, Sovereign, Treaty, TreatyRow
from publisher.timestamps import SKEW
from publisher.verify import Verification, timewindows, verify_path
from publisher.verify import snapshot as snapshot_module
from publisher.verify import coalition as stage
from tests.conftest import DEMO_AT


@pytest.fixture(autouse=True)
def stamps_trusted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the tests are seconds old; let their stat stamps count at once."""
    monkeypatch.setattr(source_module, "RACY_NS", 0)


def fresh(root: Path, at: datetime) -> Verification:
    return verify_path(root, at=at, workers=1)


def remembered(root: Path, at: datetime) -> Verification:
    result = verify_path(root, at=at, workers=1, cache=open_cache(root))
    assert type(result).__name__ == "_Remembered", "expected an answer from the snapshot"
    return result


def _deadlines(result: Verification) -> list[datetime]:
    """Every instant where some treaty's or key's time finding changes, and its neighbours."""
    moments = []
    for sovereign in result.sovereigns:
        for treaty in sovereign.treaties:
            for base in (treaty.valid_from and treaty.valid_from - SKEW, treaty.expires_at,
                         treaty.expires_at and treaty.expires_at - EXPIRING_WITHIN,
                         treaty.expires_at and treaty.expires_at - timedelta(hours=24)):
                if base is not None:
                    moments.append(base)
        for key in sovereign.key_history.keys:
            if key.end is not None:
                moments.append(key.end + HANDOVER + VOUCHING_GRACE)
    offsets = (timedelta(seconds=-1), timedelta(microseconds=-1), timedelta(0),
               timedelta(microseconds=1), timedelta(seconds=1))
    return sorted({m + o for m in moments for o in offsets})


def test_demo_snapshot_matches_fresh_at_every_deadline(demo_copy: Path) -> None:
    first = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert first == fresh(demo_copy, DEMO_AT)
    moments = _deadlines(first) + [DEMO_AT + timedelta(days=d) for d in range(-500, 800, 17)]
    for at in moments:
        expected = fresh(demo_copy, at)
        got = remembered(demo_copy, at)
        assert got.findings == expected.findings, at
        assert got.summary() == expected.summary(), at


def test_synthetic_snapshot_matches_fresh(synthetic_repo: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, ignore=shutil.ignore_patterns(".git"))
    first = verify_path(repo, at=DEMO_AT, workers=2, cache=open_cache(repo))
    for at in [DEMO_AT, DEMO_AT + timedelta(days=3), DEMO_AT + timedelta(days=90), DEMO_AT - timedelta(days=200)]:
        expected = fresh(repo, at)
        got = remembered(repo, at)
        assert got.findings == expected.findings and got.summary() == expected.summary()
    assert first.findings == fresh(repo, DEMO_AT).findings


def test_models_load_only_when_read(demo_copy: Path) -> None:
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    warm = remembered(demo_copy, DEMO_AT)
    assert warm.summary() == cold.summary() and warm.ok == cold.ok
    assert warm._loaded is None, "summary() must not load the models"
    assert [dataclasses.asdict(s) for s in warm.sovereigns] == [dataclasses.asdict(s) for s in cold.sovereigns]
    assert warm == cold and warm.sovereign("aurora-commons") == cold.sovereign("aurora-commons")
    replaced = dataclasses.replace(warm, findings=())
    assert replaced.sovereigns == cold.sovereigns and replaced.findings == ()


def test_one_model_and_who_holds_a_treaty_or_key_load_alone(demo_copy: Path) -> None:
    """An authoring command asks a remembered answer for one sovereign, or for who holds a
    treaty id or a key: each comes from its cache entry without loading every model (6 s at
    10,000 sovereigns), and answers as the loaded models do."""
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    warm = remembered(demo_copy, DEMO_AT)
    treaty_ids = sorted({t.treaty_id for s in cold.sovereigns for t in s.treaties})
    assert len(treaty_ids) > 3
    for sovereign in cold.sovereigns:
        found = warm.sovereign(sovereign.id)
        assert found is not None and dataclasses.asdict(found) == dataclasses.asdict(sovereign)
    assert warm.sovereign("no-such-sovereign") is None and warm.sovereign_ids() == cold.sovereign_ids()
    for treaty_id in [*treaty_ids, "no-such-treaty"]:
        assert warm.treaty_issuers(treaty_id) == cold.treaty_issuers(treaty_id)
    assert all(cold.treaty_issuers(t) for t in treaty_ids)
    for sovereign in cold.sovereigns:
        current = sovereign.key_history.current
        for key, role in ((sovereign.root_public_key, "root"), (current and current.public_key, "na")):
            assert key and warm.key_holders(key, role) == cold.key_holders(key, role) == (sovereign.id,)
        assert warm.key_holders(str(sovereign.root_public_key), "na") == ()
    assert warm._loaded is None, "one model, or an index, must not load them all"


def test_a_treaty_id_two_sovereigns_use_lists_both(demo_copy: Path) -> None:
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1)
    first, second = [s for s in cold.sovereigns if s.treaties][:2]
    taken = first.treaties[0].treaty_id
    copied = dataclasses.replace(second, treaties=(dataclasses.replace(second.treaties[0], treaty_id=taken),
                                                  *second.treaties))
    models = tuple(copied if s.id == second.id else s for s in cold.sovereigns)
    index = snapshot_module.model_index(stage.crossing(m) for m in reversed(models))
    assert index.treaties[taken] == tuple(sorted((first.id, second.id)))
    assert index.treaties[taken] == Verification(DEMO_AT, cold.coalition, models, ()).treaty_issuers(taken)


def test_remembered_lookups_fall_back_when_their_entries_are_gone(demo_copy: Path) -> None:
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    for kind in ("folder", "snapshot-index"):
        for entry in (demo_copy / ".handshake-cache" / kind).rglob("*"):
            if entry.is_file():
                entry.unlink()
    treaty = next(t for s in cold.sovereigns for t in s.treaties)
    issuer = cold.sovereign(treaty.issuer)
    assert issuer is not None and issuer.root_public_key
    # Each on an answer of its own: the first fallback loads the models, which then answer all.
    assert remembered(demo_copy, DEMO_AT).treaty_issuers(treaty.treaty_id) == (issuer.id,)
    assert remembered(demo_copy, DEMO_AT).key_holders(issuer.root_public_key, "root") == (issuer.id,)
    found = remembered(demo_copy, DEMO_AT).sovereign(issuer.id)
    assert found is not None and dataclasses.asdict(found) == dataclasses.asdict(issuer)


def test_missing_folder_entry_falls_back_to_verifying(demo_copy: Path) -> None:
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    for entry in (demo_copy / ".handshake-cache" / "folder").rglob("*"):
        if entry.is_file():
            entry.unlink()
    warm = remembered(demo_copy, DEMO_AT)
    assert [dataclasses.asdict(s) for s in warm.sovereigns] == [dataclasses.asdict(s) for s in cold.sovereigns]


def test_corrupt_snapshot_is_ignored(demo_copy: Path) -> None:
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    for entry in (demo_copy / ".handshake-cache" / "snapshot").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:-3])
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(again) is Verification and again == cold


def test_any_change_misses_the_snapshot(demo_copy: Path) -> None:
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    (demo_copy / "sovereigns" / "aurora-commons" / "notes.txt").write_text("unexpected\n")
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(again) is Verification
    assert "layout.unexpected_file" in {f.code for f in again.findings}
    assert again.findings == fresh(demo_copy, DEMO_AT).findings


BASE = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(-400 * 86400, 400 * 86400).map(lambda s: BASE + timedelta(seconds=s))
# Deadlines near the ends of datetime's range, where a deadline's own arithmetic would leave it.
EARLIEST, LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
extremes = st.integers(0, 5 * 86400).flatmap(lambda s: st.sampled_from(
    [EARLIEST + timedelta(seconds=s), LATEST - timedelta(seconds=s)]))
optional_moments = st.none() | moments | extremes


@st.composite
def treaty_cases(draw: Any) -> tuple[Sovereign, datetime]:
    succeeded = draw(optional_moments)
    keys = [NaKey(1, "K1", "k1", None, succeeded, draw(optional_moments), draw(st.booleans()))]
    if succeeded is not None:
        keys.append(NaKey(2, "K2", "k2", succeeded, None, draw(optional_moments), True))
    row = draw(st.none() | st.builds(TreatyRow, st.sampled_from(["active", "revoked"]),
                                     st.none(), st.sampled_from([None, "member_departed", "replaced_by:x"])))
    expires, valid_from = draw(optional_moments), draw(optional_moments)
    treaty = Treaty(path="sovereigns/a/treaties/t.json", treaty_id="t", issuer="a", subject="b",
                    subject_public_keys=("S",), allowed_roles=("role:client",), accepted_statuses=("active",),
                    claims={}, status=draw(st.sampled_from(["active", "revoked", "suspended"])),
                    valid_from=valid_from, expires_at=expires, signer=draw(st.sampled_from([None, "K1", "K2", "K9"])),
                    row=row, raw={"expires_at": "E", "valid_from": "V"})
    sovereign = Sovereign("a", None, "none", None, KeyHistory(tuple(keys)), None, (treaty,), None, None, None, None)
    candidates = [m for m in (shifted(valid_from, -SKEW), shifted(expires, -EXPIRING_WITHIN), expires,
                              shifted(succeeded, HANDOVER + VOUCHING_GRACE)) if m is not None]
    at = draw(moments) if not candidates or draw(st.booleans()) else draw(st.sampled_from(candidates))
    at = shifted(at, draw(st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(microseconds=-1),
                                           timedelta(seconds=1), timedelta(seconds=-1)]))) or at
    return sovereign, at


def shifted(moment: datetime | None, delta: timedelta) -> datetime | None:
    """`moment + delta`, or None where that leaves datetime's range (or there is no moment)."""
    try:
        return None if moment is None else moment + delta
    except OverflowError:
        return None


@settings(max_examples=3000, deadline=None)
@given(treaty_cases(), st.lists(moments, max_size=3))
def test_time_windows_are_sound(case: tuple[Sovereign, datetime], others: list[datetime]) -> None:
    """A table built at one time gives check_time's findings at that time, at the deadline
    neighbours, and anywhere else."""
    sovereign, at = case
    table = timewindows.build_table([sovereign], at, stage.check_time({"a": sovereign}, at))
    assert table is not None
    for moment in [at, shifted(at, -timedelta(days=30)) or at, shifted(at, timedelta(days=30)) or at, *others]:
        assert sorted(timewindows.evaluate(table, moment), key=repr) == \
            sorted(stage.check_time({"a": sovereign}, moment), key=repr), moment


def test_unmirrored_time_check_is_never_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    """If check_time grows a check the table does not know, building the table refuses."""
    history = KeyHistory((NaKey(1, "K1", "k1", None, None, None, False),))
    sovereign = Sovereign("a", None, "none", None, history, None, (), None, None, None, None)
    extra = stage.finding("sovereigns/a", "", "treaty.expired", "a new kind of time finding")
    assert timewindows.build_table([sovereign], BASE, []) is not None
    assert timewindows.build_table([sovereign], BASE, [extra]) is None


def test_unmirrored_time_check_leaves_a_part_alone_unused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where a folder is verified, its part is taken only when it gives check_time's findings."""
    history = KeyHistory((NaKey(1, "K1", "k1", None, None, None, False),))
    sovereign = Sovereign("a", None, "none", None, history, None, (), None, None, None, None)
    part = timewindows.table_part(sovereign)
    assert timewindows.alone(part, sovereign, BASE) is not None
    extra = stage.finding("sovereigns/a", "", "treaty.expired", "a new kind of time finding")
    monkeypatch.setattr(stage, "check_time", lambda sovereigns, at: [extra] if "a" in sovereigns else [])
    assert timewindows.alone(part, sovereign, BASE) is None


@pytest.mark.parametrize("days", [-400, -30, 0, 2, 45, 400])
def test_tables_joined_alone_merge_into_the_joined_table(synthetic_repo: Path, tmp_path: Path, days: int) -> None:
    """The parent merges the tables the workers joined one part at a time: the same table as
    joining every part at once, so a snapshot keeps the same thing either way."""
    import shutil
    repo = tmp_path / "repo"
    shutil.copytree(synthetic_repo, repo, symlinks=True, ignore=shutil.ignore_patterns(".git"))
    models = verify_path(repo, at=DEMO_AT, workers=1).sovereigns
    at = DEMO_AT + timedelta(days=days)
    parts = [timewindows.table_part(s) for s in models]
    alone = [timewindows.alone(p, s, at) for p, s in zip(parts, models, strict=True)]
    assert all(table is not None for table in alone)
    merged = timewindows.merge([t for t in alone if t is not None])
    assert merged == timewindows.join(parts, at)
    assert sorted(timewindows.evaluate(merged, at), key=repr) == sorted(stage.check_time(
        {s.id: s for s in models}, at), key=repr)
    assert len(timewindows.evaluate(merged, at)) > 0, "the case must have time findings to compare"


def test_adding_findings_keeps_the_models_unloaded(demo_copy: Path) -> None:
    cold = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    warm = remembered(demo_copy, DEMO_AT)
    extra = stage.finding("trust.lock", "", "lock.stale_entry", "added by a later stage")
    both = warm.with_findings([*warm.findings, extra])
    assert both._loaded is None and both.summary()["sovereigns"] == 5
    assert both.findings == cold.with_findings([*cold.findings, extra]).findings
    assert both.sovereigns == cold.sovereigns


def test_treaties_and_histories_survive_their_compact_encoding(synthetic_repo: Path) -> None:
    result = verify_path(synthetic_repo, at=DEMO_AT, workers=1)
    rotated = [s for s in result.sovereigns if len(s.key_history.keys) > 1]
    assert rotated, "the synthetic coalition rotates some NA keys"
    for sovereign in result.sovereigns:
        assert timewindows.decode_history(timewindows.encode_history(sovereign)) == \
            (sovereign.id, sovereign.key_history)
        for treaty in sovereign.treaties:
            again = timewindows.decode_treaty(timewindows.encode_treaty(treaty))
            assert again == treaty and again.raw == treaty.raw and again.row == treaty.row


def test_settled_treaties_are_not_checked_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Expired, not-yet-valid, revoked, expiring and active treaties are answered from the
    table; only what crossed a deadline since it was built is checked again."""
    history = KeyHistory((NaKey(1, "K1", "k1", None, None, None, False),))

    def treaty(name: str, valid_from: datetime | None, expires: datetime, status: str = "active") -> Treaty:
        return Treaty(path=f"sovereigns/a/treaties/{name}.json", treaty_id=name, issuer="a", subject="b",
                      subject_public_keys=("S",), allowed_roles=("role:client",), accepted_statuses=("active",),
                      claims={}, status=status, valid_from=valid_from, expires_at=expires, signer="K1", row=None,
                      raw={"expires_at": f"{expires:%Y-%m-%dT%H:%M:%SZ}"})

    day = timedelta(days=1)
    treaties = (treaty("expired", None, BASE - 30 * day), treaty("later", BASE + 30 * day, BASE + 90 * day),
                treaty("active", None, BASE + 90 * day), treaty("suspended", None, BASE + 90 * day, "suspended"),
                treaty("expiring", None, BASE + 2 * day))
    sovereign = Sovereign("a", None, "none", None, history, None, treaties, None, None, None, None)
    table = timewindows.build_table([sovereign], BASE, stage.check_time({"a": sovereign}, BASE))
    assert table is not None
    checked: list[str] = []
    real = stage.check_time

    def counting(sovereigns: dict[str, Sovereign], at: datetime) -> list[Any]:
        checked.extend(t.treaty_id for s in sovereigns.values() for t in s.treaties)
        return real(sovereigns, at)

    monkeypatch.setattr(stage, "check_time", counting)
    later = BASE + timedelta(hours=5)
    assert sorted(timewindows.evaluate(table, later), key=repr) == sorted(real({"a": sovereign}, later), key=repr)
    assert checked == []
    crossed = BASE + timedelta(hours=25)        # "expiring" moved from within 72 h to within 24 h of its end
    assert sorted(timewindows.evaluate(table, crossed), key=repr) == sorted(real({"a": sovereign}, crossed), key=repr)
    assert checked == ["expiring"]
    found = real({"a": sovereign}, later)
    assert {f.code for f in found} >= {"treaty.expired", "treaty.not_yet_valid", "treaty.expiring_soon"}
    assert not any("evaluated at" in f.message for f in found)


def test_payloads_load_only_when_a_deadline_was_crossed(demo_copy: Path) -> None:
    """The stripped treaties are stored apart from the snapshot: a run at the same time never
    reads them; a run past a deadline does, and falls back to verifying when they are gone."""
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    entries = [p for p in (demo_copy / ".handshake-cache" / "snapshot-payloads").rglob("*") if p.is_file()]
    assert len(entries) == 1
    entries[0].unlink()
    same = remembered(demo_copy, DEMO_AT)
    assert same.findings == fresh(demo_copy, DEMO_AT).findings
    later = DEMO_AT + timedelta(days=400)            # past every demo treaty's deadline
    again = verify_path(demo_copy, at=later, workers=1, cache=open_cache(demo_copy))
    assert again.findings == fresh(demo_copy, later).findings


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.rglob("*") if p.is_file()} if folder.exists() else set()


def test_only_the_newest_snapshots_are_kept_with_their_payloads(demo_copy: Path, monkeypatch) -> None:
    """Each input verified leaves a snapshot (60 MB at 10,000 sovereigns): an operator editing
    and verifying would pile them up. The newest KEPT_SNAPSHOTS stay, with their payloads; an
    input whose snapshot went is verified again, with the same findings."""
    monkeypatch.setattr(snapshot_module, "KEPT_SNAPSHOTS", 2)
    cache_dir = demo_copy / ".handshake-cache"
    note = demo_copy / "sovereigns" / "aurora-commons" / "notes.txt"
    keys = []
    for round_ in range(4):
        note.write_text(f"input {round_}\n")
        before = _files(cache_dir / "snapshot")
        verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
        keys += _files(cache_dir / "snapshot") - before
    assert len(keys) == 4
    assert _files(cache_dir / "snapshot") == set(keys[2:])
    assert _files(cache_dir / "snapshot-payloads") == set(keys[2:])
    assert _files(cache_dir / "snapshot-index") == set(keys[2:])
    remembered(demo_copy, DEMO_AT)                      # the last input: still remembered
    note.write_text("input 0\n")
    again = verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    assert type(again) is Verification                  # its snapshot went: verified again
    assert again.findings == fresh(demo_copy, DEMO_AT).findings


def test_dropping_old_snapshots_never_follows_a_link(demo_copy: Path, tmp_path: Path) -> None:
    """A repository may commit `.handshake-cache/` with links in it: dropping entries deletes
    nothing a link leads to, for the snapshots or their payloads."""
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    cache_dir = demo_copy / ".handshake-cache"
    (key,) = _files(cache_dir / "snapshot")
    outside = tmp_path / "outside"
    outside.mkdir()
    planted = outside / ("f" * 64)
    planted.write_bytes(b"someone else's")
    (cache_dir / "snapshot" / "ff").symlink_to(outside, target_is_directory=True)
    payloads = cache_dir / "snapshot-payloads" / key[:2]
    shutil.rmtree(payloads)
    payloads.symlink_to(outside, target_is_directory=True)
    (outside / key).write_bytes(b"not a payload")
    open_cache(demo_copy).keep_newest("snapshot", 0, with_kinds=("snapshot-payloads",))
    assert planted.read_bytes() == b"someone else's" and (outside / key).read_bytes() == b"not a payload"
    assert _files(cache_dir / "snapshot") == set()      # the real entry went


def test_temporaries_of_runs_that_died_are_dropped(demo_copy: Path) -> None:
    """A verify killed while storing its snapshot leaves a temporary file of up to 60 MB: once
    it is older than any live run could be, the next snapshot stored removes it, for the
    snapshots and their payloads; a fresh temporary (a run still writing) and any other file
    stay, and no temporary counts as a snapshot kept."""
    verify_path(demo_copy, at=DEMO_AT, workers=1, cache=open_cache(demo_copy))
    cache_dir = demo_copy / ".handshake-cache"
    (key,) = _files(cache_dir / "snapshot")
    long_ago = time.time() - cachepack.STALE_TEMPORARY_S - 60
    planted: dict[str, Path] = {}
    for kind in ("snapshot", "snapshot-payloads"):
        folder = cache_dir / kind / key[:2]
        planted[f"{kind} stale"] = folder / f".{'a' * 64}.4242.0badf00d"
        planted[f"{kind} live"] = folder / f".{'b' * 64}.4243.0badf00d"
        planted[f"{kind} other"] = folder / ".notes"
        for name in (f"{kind} stale", f"{kind} live", f"{kind} other"):
            planted[name].write_bytes(b"partial")
        for name in (f"{kind} stale", f"{kind} other"):
            os.utime(planted[name], (long_ago, long_ago))
    open_cache(demo_copy).keep_newest("snapshot", 1, with_kinds=("snapshot-payloads",))
    assert {name for name, path in planted.items() if path.exists()} == {
        "snapshot live", "snapshot other", "snapshot-payloads live", "snapshot-payloads other"}
    kept = {kind: {name for name in _files(cache_dir / kind) if not name.startswith(".")}
            for kind in ("snapshot", "snapshot-payloads")}
    assert kept == {"snapshot": {key}, "snapshot-payloads": {key}}
