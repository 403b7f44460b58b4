"""The writer: overlay verification, atomic writes, rollback, no private material, never older."""
from __future__ import annotations

import base64
import json
from datetime import datetime, UTC
from pathlib import Path
from typing import Any

import pytest

from publisher.authoring import AuthoringError
from publisher.authoring.keys import parse_private_key_file
from publisher.authoring.monotonic import regressions
from publisher.authoring.state import load_state
from publisher.authoring.writer import OverlaySource, Plan, apply, check_content, check_path, judge
from publisher.cache import open_cache
from publisher.findings import finding
from publisher.source import WorktreeSource
from publisher.verify import Verification, dispatch, verify_repository
from tests.authoring.conftest import START, Keys, Runner, at, ok, seed

SEED_B64 = base64.b64encode(seed(9)).decode()
SEED_FILE = "# Ed25519 Private Key\n" + SEED_B64 + "\n"


def test_overlay_shows_planned_files_over_the_tree(tmp_path: Path) -> None:
    (tmp_path / "sovereigns" / "a").mkdir(parents=True)
    (tmp_path / "sovereigns" / "a" / "old.json").write_text("{}")
    (tmp_path / "sovereigns" / "a" / "kept.json").write_text("[]")
    overlay = OverlaySource(WorktreeSource(tmp_path), {"sovereigns/a/old.json": b'{"x":1}',
                                                       "sovereigns/b/new.json": b"{}", "trust.lock": b"{}"})
    assert [e.path for e in overlay.entries("sovereigns")] == [
        "sovereigns/a/kept.json", "sovereigns/a/old.json", "sovereigns/b/new.json"]
    assert overlay.read("sovereigns/a/old.json") == b'{"x":1}' and overlay.read("sovereigns/a/kept.json") == b"[]"
    assert [e.path for e in overlay.entries("trust.lock")] == ["trust.lock"]


@pytest.mark.parametrize("path", ["../outside.json", "/etc/passwd", "sovereigns/../x", "site/index.html",
                                  "README.md", "sovereigns/a/./b"],
                         ids=["dotdot", "absolute", "inner-dotdot", "site", "readme", "dot"])
def test_paths_outside_the_written_folders_are_refused(tmp_path: Path, path: str) -> None:
    if path == "sovereigns/a/./b":
        assert check_path(tmp_path, path) == tmp_path / "sovereigns" / "a" / "b"   # normalised, inside
        return
    with pytest.raises(AuthoringError):
        check_path(tmp_path, path)


def test_writing_through_a_symlink_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "sovereigns").mkdir()
    (tmp_path / "sovereigns" / "a").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(AuthoringError, match="symbolic link"):
        check_path(tmp_path, "sovereigns/a/genesis.signed.json")


@pytest.mark.parametrize("data", [
    SEED_FILE.encode(),
    json.dumps({"na_private_key": "x"}).encode(),
    json.dumps({"note": SEED_B64}).encode(),
    json.dumps({"note": seed(9).hex()}).encode(),
], ids=["key-file", "private-key-field", "seed-base64", "seed-hex"])
def test_private_material_is_never_written(data: bytes) -> None:
    signer = parse_private_key_file(SEED_FILE.encode())
    with pytest.raises(AuthoringError, match="private key material"):
        check_content("sovereigns/a/x.json", data, signer.leak_markers())


def _doc(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


ROW = {"treaty": {"treaty_id": "t"}, "status": "revoked"}


@pytest.mark.parametrize("path, old, new, problem", [
    ("sovereigns/a/treaties/t.json", _doc(issued_at="2026-01-02T00:00:00Z"), _doc(issued_at="2026-01-01T00:00:00Z"),
     "older"),
    ("sovereigns/a/roll-call.json", _doc(issued_at="2026-01-02T00:00:00Z"), _doc(issued_at="2026-01-01T00:00:00Z"),
     "older"),
    ("sovereigns/a/revocation-feed.json", _doc(issued_at="2026-01-01T00:00:00Z", sequence=3),
     _doc(issued_at="2026-01-02T00:00:00Z", sequence=2), "never decreases"),
    ("sovereigns/a/genesis.signed.json", _doc(network_name="a", signatures=[]), _doc(network_name="b", signatures=[]),
     "never rewritten"),
    ("sovereigns/a/key-history.json", _doc(genesis={}, successions=[{"n": 1}]), _doc(genesis={}, successions=[]),
     "only grows"),
    ("sovereigns/a/recognition-treaties.json", _doc(recognition_treaties=[ROW]),
     _doc(recognition_treaties=[{**ROW, "status": "active"}]), "terminal"),
    ("sovereigns/a/recognition-treaties.json", _doc(recognition_treaties=[ROW]), _doc(recognition_treaties=[]),
     "disappear"),
    ("sovereigns/a/sovereign.json", _doc(root_public_key="A"), _doc(root_public_key="B"), "root"),
    ("trust.lock", _doc(sovereigns={"a": {"root_public_key": "A"}}), _doc(sovereigns={}), "pinned root"),
], ids=["older-treaty", "older-roll-call", "feed-sequence-falls", "genesis-rewritten", "history-shrinks",
        "revocation-undone", "row-dropped", "identity-root-changes", "lock-pin-dropped"])
def test_going_back_is_refused(path: str, old: bytes, new: bytes, problem: str) -> None:
    assert any(problem in p for p in regressions(path, old, new))


@pytest.mark.parametrize("path, old, new", [
    ("sovereigns/a/treaties/t.json", _doc(issued_at="2026-01-01T00:00:00Z"), _doc(issued_at="2026-01-01T00:00:00Z")),
    ("sovereigns/a/revocation-feed.json", _doc(issued_at="2026-01-01T00:00:00Z", sequence=3),
     _doc(issued_at="2026-01-02T00:00:00Z", sequence=3)),
    ("sovereigns/a/genesis.signed.json", _doc(network_name="a", signatures=[]),
     _doc(network_name="a", signatures=[{"key_id": "r", "sig": "x"}])),
    ("sovereigns/a/key-history.json", _doc(genesis={}, successions=[{"n": 1}]),
     _doc(genesis={}, successions=[{"n": 1}, {"n": 2}])),
], ids=["same-time-more-signatures", "feed-refresh", "genesis-signature-added", "history-grows"])
def test_going_forward_is_allowed(path: str, old: bytes, new: bytes) -> None:
    assert regressions(path, old, new) == []


def _verification(*findings: Any) -> Verification:
    from publisher.model import Coalition
    return Verification(START, Coalition("c", "", {}), (), tuple(findings))


def test_judge_blocks_new_errors_and_errors_on_written_files_but_lets_a_threshold_wait() -> None:
    old = finding("sovereigns/a/x.json", "", "sig.invalid", "m")
    before = _verification(old)
    pending = finding("sovereigns/a/t.json", "/signatures", "sig.threshold_not_met", "m")
    new = finding("sovereigns/b/y.json", "", "sig.invalid", "m")
    blocking, waiting = judge(before, _verification(old, pending), ["sovereigns/a/t.json"])
    assert (blocking, waiting) == ([], [pending])
    blocking, _ = judge(before, _verification(old, new), ["sovereigns/a/t.json"])
    assert blocking == [new]
    blocking, _ = judge(before, _verification(old), ["sovereigns/a/x.json"])
    assert blocking == [old]                      # an error left on a file we wrote


def test_a_change_that_would_not_verify_writes_nothing(two_sovereigns: Path) -> None:
    target = two_sovereigns / "sovereigns" / "alpha" / "sovereign.json"
    before = target.read_bytes()
    bad = json.loads(before)
    bad["network_authority_public_key"] = bad["root_public_key"]
    with pytest.raises(AuthoringError, match="nothing was written") as caught:
        apply(two_sovereigns, Plan({"sovereigns/alpha/sovereign.json": json.dumps(bad).encode()}), at=START)
    assert "identity.na_key_unknown" in {getattr(f, "code", "") for f in caught.value.findings}
    assert target.read_bytes() == before


def test_a_failure_after_writing_restores_every_file(two_sovereigns: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publisher.authoring.writer as writer
    real = writer.verify_repository
    calls: list[int] = []

    def flaky(source: Any, *, at: datetime, cache: Any = None) -> Verification:
        calls.append(1)
        result = real(source, at=at, cache=cache)
        if len(calls) == 3:              # before, planned, then on disk: pretend the disk differs
            return Verification(result.at, result.coalition, result.sovereigns,
                                result.findings + (finding("sovereigns/alpha/x", "", "sig.invalid", "disk"),))
        return result

    monkeypatch.setattr(writer, "verify_repository", flaky)
    monkeypatch.setattr(writer, "disk_holds", lambda overlay: False)   # the disk is verified afresh
    identity = two_sovereigns / "sovereigns" / "alpha" / "sovereign.json"
    before = identity.read_bytes()
    changed = json.loads(before)
    changed["metadata"]["display_name"] = "Renamed"
    plan = Plan({"sovereigns/alpha/sovereign.json": json.dumps(changed).encode(),
                 "sovereigns/alpha/README.md": b"hello\n"})
    with pytest.raises(AuthoringError, match="restored"):
        apply(two_sovereigns, plan, at=datetime(2026, 11, 1, 10, tzinfo=UTC))
    assert identity.read_bytes() == before and not (two_sovereigns / "sovereigns/alpha/README.md").exists()
    assert not list(two_sovereigns.rglob(".handshake-*"))


def test_commands_report_what_they_verified(two_sovereigns: Path, hs: Runner, keys: Keys) -> None:
    result = ok(hs("feed", "revoke", "a-1", "--reason", "x", "--na-key", keys.path("alpha-na"), "--at", at(1)))
    assert "wrote sovereigns/alpha/revocation-feed.json" in result.out and "0 error(s)" in result.out


def test_through_the_cache_a_command_verifies_only_the_folder_it_changes(two_sovereigns: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A command verifies the repository before, as planned and as written. Through the
    repository's cache the folders it does not touch are not verified again (at 10,000
    sovereigns each of the three was a cold verify: a one-row revocation took 90 s), and the
    answer is a fresh verification's."""
    when = datetime(2026, 11, 1, 10, tzinfo=UTC)
    cache = open_cache(two_sovereigns)
    assert cache is not None
    state = load_state(two_sovereigns, when, cache=cache)
    verified: list[str] = []
    real = dispatch.verify_sovereign

    def counting(sovereign_id: str, *args: Any, **kwargs: Any) -> Any:
        verified.append(sovereign_id)
        return real(sovereign_id, *args, **kwargs)
    monkeypatch.setattr(dispatch, "verify_sovereign", counting)
    outcome = apply(two_sovereigns, Plan({"sovereigns/alpha/README.md": b"hello\n"}), at=when,
                    before=state.verification, cache=state.cache)
    assert verified == ["alpha"]          # as planned; written, the same bytes are the same key
    assert outcome.verification.findings == verify_repository(WorktreeSource(two_sovereigns), at=when).findings
    assert (two_sovereigns / "sovereigns/alpha/README.md").read_bytes() == b"hello\n"
