"""What a change reaches besides the folders it touches: pins, membership, and the keys its
folders pin for others. Each test is a pull request verify of the head finds something new
in, and the review must list it (tests/review/test_review_matches_verify.py checks the same
on generated pull requests)."""
from __future__ import annotations

import json

from tests.history.trustrepo import NOW, Key, World, commit_states, git

from publisher import gitrepo
from publisher.gitsource import GitSource
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
