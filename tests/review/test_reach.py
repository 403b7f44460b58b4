"""What a change reaches besides the folders it touches: pins, membership, and the keys its
folders pin for others. Each test is a pull request verify of the head finds something new
in, and the review must list it (tests/review/test_review_matches_verify.py checks the same
on generated pull requests)."""
from __future__ import annotations

import dataclasses
import json

from tests.history.trustrepo import NOW, Key, World, commit_states, git

from publisher import gitrepo
from publisher.canonical import content_digest
from publisher.gitsource import GitSource
from publisher.limits import DEFAULT_LIMITS
from publisher.review import collect
from publisher.review.collect import collect_review
from publisher.verify import verify_repository


def world() -> World:
    coalition = World("alpha", "beta", "gamma")
    coalition["alpha"].treaty("t1", coalition["beta"], roles=["role:client"])
    coalition.pin_all()
    return coalition


def review(tmp_path, change, files=World.files):
    coalition = world()
    commit_states(tmp_path, [files(coalition)])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    change(coalition)
    commit_states(tmp_path, [files(coalition)])
    return collect_review(tmp_path, "main", "pr", at=NOW)


def introduced(result) -> set[tuple[str, str]]:
    return {(c.path, c.subject) for c in result.changes if c.code == "change.finding_introduced"}


def test_a_folder_removed_with_its_member_and_pin_left_behind(tmp_path):
    def remove_gamma(coalition: World) -> None:
        coalition["gamma"].deleted_files = set(coalition["gamma"].files())
    result = review(tmp_path, remove_gamma)
    assert {("coalition.json", "coalition.member_missing"), ("trust.lock", "lock.stale_entry")} <= introduced(result)


def test_a_pin_rewritten_in_trust_lock_alone_is_reviewed_with_the_folder_it_pins(tmp_path):
    """The pull request touches only trust.lock: alpha's folder, unchanged, is now verified
    under another root, and every document it signed fails. The review lists that too."""
    def repin_alpha(coalition: World) -> None:
        assert coalition.pins is not None
        coalition.pins["alpha"] = Key("mallory-root").public
    result = review(tmp_path, repin_alpha)
    assert "alpha" in result.sovereigns
    assert ("sovereigns/alpha/keys/root.pub", "lock.root_mismatch") in introduced(result)
    assert "change.lock_repinned" in {c.code for c in result.changes}


def test_a_member_dropped_from_coalition_json_alone_leaves_its_folder_unlisted(tmp_path):
    def drop_gamma(coalition: World) -> None:
        coalition.members.remove("gamma")
    result = review(tmp_path, drop_gamma)
    assert ("sovereigns/gamma", "coalition.unlisted_sovereign") in introduced(result)


def test_a_recognition_policy_pinning_a_wrong_key_for_an_unchanged_sovereign(tmp_path):
    """The policy is checked against gamma's keys, though gamma's folder is not in the change."""
    wrong: list[str] = []

    def files(coalition: World) -> dict[str, bytes]:
        out = coalition.files()
        if wrong:
            out["sovereigns/alpha/recognition-policy.json"] = json.dumps({
                "local_sovereign_id": "alpha",
                "recognized_issuers": [{"sovereign_id": "gamma", "public_keys": wrong}]}).encode()
        return out
    result = review(tmp_path, lambda _: wrong.append(Key("mallory").public), files)
    assert result.sovereigns == ("alpha",)
    assert introduced(result) == {("sovereigns/alpha/recognition-policy.json", "recpolicy.key_mismatch")}


def test_pins_for_ids_that_name_no_folder_are_reviewed_as_verify_finds_them(tmp_path):
    """A pull request pins ids no folder can have (a line break, a path, nothing): none may
    reach git as a path or a pattern, and each is a stale pin, as verify says."""
    odd = ["a\nb", "../x", "x/y", "", ".", "\u00e9t\u00e9"]

    def pin_odd(coalition: World) -> None:
        assert coalition.pins is not None
        coalition.pins.update({sid: Key(f"odd-{i}").public for i, sid in enumerate(odd)})
    result = review(tmp_path, pin_odd)
    stale = [c for c in result.changes if c.subject == "lock.stale_entry"]
    assert len(stale) == len(odd)
    verified = verify_repository(GitSource(tmp_path, gitrepo.resolve(tmp_path, "pr")), at=NOW, workers=1)
    assert len([f for f in verified.findings if f.code == "lock.stale_entry"]) == len(odd)


def test_a_document_signed_by_another_sovereigns_key_is_named_as_verify_names_it(tmp_path):
    """The pull request plants in gamma's folder a revocation feed that claims to be beta's,
    signed by beta's NA key. verify names the signer (sig.foreign_key); gamma names beta
    nowhere else, so the review must load beta's keys for the document that mentions it."""
    planted: list[bool] = []

    def files(coalition: World) -> dict[str, bytes]:
        out = coalition.files()
        if planted:
            feed = {"feed_id": "f-1", "issuer_sovereign_id": "beta", "sequence": 1,
                    "issued_at": "2026-02-01T00:00:00Z", "revoked_attestation_ids": ["att-1"],
                    "revocation_reasons": {}, "issued_by": coalition["beta"].na.key_id, "signatures": []}
            signed = coalition["beta"].na.sign(feed, "revocation-feed")
            out["sovereigns/gamma/revocation-feed.json"] = json.dumps(signed, indent=2).encode()
        return out
    result = review(tmp_path, lambda _: planted.append(True), files)
    verified = verify_repository(GitSource(tmp_path, gitrepo.resolve(tmp_path, "pr")), at=NOW, workers=1)
    feed = "sovereigns/gamma/revocation-feed.json"
    assert (feed, "sig.foreign_key") in {(f.path, f.code) for f in verified.findings}
    assert (feed, "sig.foreign_key") in introduced(result)
    assert (feed, "sig.invalid") not in introduced(result)


def _recording(monkeypatch) -> dict[str, list[list[str]]]:
    """The entries each folder was verified with, by folder, in the order verified."""
    seen: dict[str, list[list[str]]] = {}
    real = collect.verify_sovereign

    def recording(sovereign_id, entries, *args, **kwargs):
        seen.setdefault(sovereign_id, []).append([e.path for e in entries])
        return real(sovereign_id, entries, *args, **kwargs)
    monkeypatch.setattr(collect, "verify_sovereign", recording)
    return seen


def test_a_change_to_coalition_json_alone_reads_only_its_members_genesis(tmp_path, monkeypatch):
    """Membership asks whether a folder exists and what its genesis hashes to, nothing else:
    a pull request that pins two members' genesis (beta's to gamma's) and drops gamma reads
    each folder's genesis (the same blob at both commits: once) and verifies no folder whole (at 10,000 sovereigns,
    a coalition.json removed was a cold verify of both commits: 72 s, 2.2 GB)."""
    seen = _recording(monkeypatch)

    def pin_and_drop(coalition: World) -> None:
        coalition.genesis_pins = {"alpha": content_digest(coalition["alpha"].genesis_doc),
                                  "beta": content_digest(coalition["gamma"].genesis_doc)}
        coalition.members.remove("gamma")
    result = review(tmp_path, pin_and_drop)
    assert introduced(result) == {("coalition.json", "coalition.genesis_pin_mismatch"),
                                  ("sovereigns/gamma", "coalition.unlisted_sovereign")}
    assert result.sovereigns == ("alpha", "beta", "gamma")
    assert seen == {sid: [[f"sovereigns/{sid}/genesis.signed.json"]] for sid in ("alpha", "beta", "gamma")}


def test_a_members_genesis_past_its_folders_file_limit_is_read_as_verify_reads_it(tmp_path):
    """verify reads a folder's first max_files_per_sovereign files only: a genesis past them is
    not read, and a member pinning its digest is a mismatch. The review's genesis-only reading
    of a member must skip it too."""
    limits = dataclasses.replace(DEFAULT_LIMITS, max_files_per_sovereign=1)

    def files(coalition: World) -> dict[str, bytes]:
        return {**coalition.files(), "sovereigns/beta/README.md": b"beta\n"}   # sorts before genesis

    def pin(coalition: World) -> None:
        coalition.genesis_pins = {sid: content_digest(coalition[sid].genesis_doc) for sid in ("alpha", "beta")}
    coalition = world()
    commit_states(tmp_path, [files(coalition)])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    pin(coalition)
    commit_states(tmp_path, [files(coalition)])
    result = collect_review(tmp_path, "main", "pr", at=NOW, limits=limits)
    verified = verify_repository(GitSource(tmp_path, gitrepo.resolve(tmp_path, "pr")), at=NOW, workers=1,
                                 limits=limits)
    mismatch = {(f.path, f.pointer) for f in verified.findings if f.code == "coalition.genesis_pin_mismatch"}
    assert mismatch == {("coalition.json", "/members/1/genesis_sha256")}
    assert {c.subject for c in result.changes if c.code == "change.finding_introduced"} == {
        "coalition.genesis_pin_mismatch"}


def test_a_pin_for_a_file_named_like_a_folder_is_stale_as_verify_finds_it(tmp_path):
    """`sovereigns/x` is a file, no folder: verify gives x no model, so a pin for x is stale.
    The review grouped the listing of sovereigns/x by hand and took the file for x's folder."""
    def files(coalition: World) -> dict[str, bytes]:
        return {**coalition.files(), "sovereigns/x": b"not a folder\n"}

    def pin_x(coalition: World) -> None:
        assert coalition.pins is not None
        coalition.pins["x"] = Key("x-root").public
    result = review(tmp_path, pin_x, files)
    head = verify_repository(GitSource(tmp_path, gitrepo.resolve(tmp_path, "pr")), at=NOW, workers=1)
    assert ("trust.lock", "lock.stale_entry") in {(f.path, f.code) for f in head.findings}
    assert introduced(result) == {("trust.lock", "lock.stale_entry")}
