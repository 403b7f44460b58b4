"""A change to one sovereign's keys, reviewed with what it does to the folders that name it.

Alpha's treaty pins beta's NA key; a pull request that changes only beta's folder can leave
that pin wrong. The review must list what verification of the head newly says in alpha's
folder, and find alpha without reading the whole repository.
"""
from __future__ import annotations

import copy
import json
import subprocess

import pytest
from tests.history.trustrepo import NOW, Key, World, commit_states, git, tid

import publisher.review.referrers as referrers
from publisher import gitrepo
from publisher.gitsource import GitSource
from publisher.limits import DEFAULT_LIMITS
from publisher.review.collect import collect_review
from publisher.verify import verify_repository

T1 = tid("alpha:t1")
ALPHA_T1 = f"sovereigns/alpha/treaties/{T1}.json"
POLICY = "sovereigns/gamma/recognition-policy.json"


def coalition() -> World:
    """alpha recognizes beta (treaty t1); gamma's recognition policy pins beta's NA key; delta
    names nobody, and its feed has a bad signature at both commits (a finding no change makes)."""
    world = World("alpha", "beta", "gamma", "delta")
    world["alpha"].treaty("t1", world["beta"], roles=["role:client"])
    world["delta"].set_feed(["att-1"])
    world.pin_all()
    return world


def files(world: World, *, escaped: bool = False) -> dict[str, bytes]:
    out = world.files()
    out[POLICY] = json.dumps({"local_sovereign_id": "gamma", "recognized_issuers": [
        {"sovereign_id": "beta", "public_keys": [Key("beta-na").public]}]}, indent=2).encode()
    feed = "sovereigns/delta/revocation-feed.json"
    out[feed] = out[feed].replace(b'"sequence": 1', b'"sequence": 9')      # no longer what was signed
    if escaped:
        # The same documents, with beta's id written as a JSON escape: no file holds "beta".
        for path in (ALPHA_T1, "sovereigns/alpha/recognition-treaties.json", POLICY):
            out[path] = out[path].replace(b'"beta"', b'"\\u0062eta"')
    return out


def new_na_key(world: World) -> None:
    """beta re-issues its genesis with another NA key (its own folder only)."""
    beta = world["beta"]
    beta.na = Key("beta-na-2")
    beta.genesis_doc = beta._genesis()


def review_of(tmp_path, change, *, escaped: bool = False):
    world = coalition()
    commit_states(tmp_path, [files(world, escaped=escaped)])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    change(world)
    commit_states(tmp_path, [files(world, escaped=escaped)])
    return collect_review(tmp_path, "main", "pr", at=NOW)


def introduced(review) -> set[tuple[str, str, str]]:
    return {(c.path, c.subject, c.level) for c in review.changes if c.code == "change.finding_introduced"}


def test_a_new_na_key_is_reviewed_with_the_treaties_and_policies_that_pin_the_old_one(tmp_path):
    review = review_of(tmp_path, new_na_key)
    assert review.sovereigns == ("beta",)
    assert introduced(review) == {(ALPHA_T1, "treaty.subject_keys_mismatch", "high"),
                                  (POLICY, "recpolicy.key_mismatch", "medium")}
    assert review.stats["referrers"] == 2        # alpha and gamma; delta names nobody


def test_a_removed_sovereign_is_reviewed_with_the_treaties_that_name_it(tmp_path):
    def remove_beta(world: World) -> None:
        world["beta"].deleted_files = set(world["beta"].files())
    review = review_of(tmp_path, remove_beta)
    assert (ALPHA_T1, "treaty.external_subject", "info") in introduced(review)
    assert "change.sovereign_removed" in {c.code for c in review.changes}


def test_a_subject_written_as_an_escape_is_found_all_the_same(tmp_path):
    review = review_of(tmp_path, new_na_key, escaped=True)
    assert {(p, s) for p, s, _ in introduced(review)} == {(ALPHA_T1, "treaty.subject_keys_mismatch"),
                                                          (POLICY, "recpolicy.key_mismatch")}


def test_a_change_to_no_key_searches_nothing(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a change that touches no key material started a search")
    monkeypatch.setattr(gitrepo, "FileSearch", refuse)
    review = review_of(tmp_path, lambda world: world["alpha"].resign(T1, allowed_roles=["role:client", "role:bridge"]))
    assert [c.code for c in review.changes] == ["change.scope_widened"]
    assert review.stats["referrers"] == 0


def _giant_blob_on_main(root, size: int) -> None:
    """A treaty file of `size` spaces in a folder no one reviews (git stores it in kilobytes)."""
    git(root, "checkout", "-q", "main")
    blob = subprocess.run(["git", "hash-object", "-w", "--stdin"], cwd=root, input=b" " * size,
                          capture_output=True, check=True).stdout.decode().strip()
    git(root, "update-index", "--add", "--cacheinfo", f"100644,{blob},sovereigns/delta/treaties/giant.json")
    git(root, "commit", "-q", "-m", "a giant blob")


@pytest.mark.parametrize("giant", [False, True])
def test_a_blob_too_large_for_the_search_falls_back_to_bounded_reads(tmp_path, monkeypatch, giant):
    """git grep reads each blob whole: capped, it fails on a giant one, and the folders are then
    found by reading every naming file under its bound. The answer is the same."""
    monkeypatch.setattr(referrers, "GREP_DATA_BYTES", 48 << 20)
    fallbacks = []
    real = referrers._bounded_search
    monkeypatch.setattr(referrers, "_bounded_search", lambda *args: fallbacks.append(1) or real(*args))
    world = coalition()
    commit_states(tmp_path, [files(world)])
    if giant:
        _giant_blob_on_main(tmp_path, 64 << 20)
    git(tmp_path, "checkout", "-q", "-b", "pr")
    new_na_key(world)
    state = files(world)
    if giant:
        state["sovereigns/delta/treaties/giant.json"] = b" " * (64 << 20)
    commit_states(tmp_path, [state])
    review = collect_review(tmp_path, "main", "pr", at=NOW)
    assert len(fallbacks) == int(giant)
    assert {(p, s) for p, s, _ in introduced(review)} == {(ALPHA_T1, "treaty.subject_keys_mismatch"),
                                                          (POLICY, "recpolicy.key_mismatch")}


def test_keyed_sovereigns_are_those_whose_key_files_changed():
    assert referrers.keyed_sovereigns([
        "sovereigns/a/genesis.signed.json", "sovereigns/b/key-history.json", "sovereigns/c/keys/root.pub",
        "sovereigns/d/treaties/x.json", "sovereigns/e/keys/na.pub", "trust.lock",
        "sovereigns/g/root-rotations/1.json", "sovereigns/f\nx/genesis.signed.json", "sovereigns/h\0/key-history.json",
        "sovereigns/../genesis.signed.json",
    ]) == ["a", "b", "c", "f\nx", "g"]


def _pins_mallory(world: World) -> None:
    world["alpha"].resign(T1, subject_public_keys=[Key("mallory").public])


def test_a_subject_whose_root_rotated_is_checked_under_its_rotated_root(tmp_path):
    """beta's genesis is signed by the root its rotation record moved to: review builds beta's
    keys from the rotation records too, as verify does, so alpha's bad pin is an error here as
    there (without them beta's genesis failed, and its keys were never compared)."""
    world = World("alpha", "beta")
    world.pin_all()
    world["beta"].rotate_root("beta-root-2")
    world["alpha"].treaty("t1", world["beta"], roles=["role:client"])
    commit_states(tmp_path, [world.files()])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    _pins_mallory(world)
    commit_states(tmp_path, [world.files()])
    review = collect_review(tmp_path, "main", "pr", at=NOW)
    assert review.sovereigns == ("alpha",)
    assert (ALPHA_T1, "treaty.subject_keys_mismatch", "high") in introduced(review)


def test_a_change_to_root_rotation_records_alone_reaches_the_folders_that_name_the_sovereign(tmp_path):
    """On main beta's rotation record lacks the new root's signature, so its genesis (signed by
    the new root) does not verify and its keys are unknown: alpha's pin of a wrong key goes
    unremarked. The pull request signs the record, nothing else."""
    world = World("alpha", "beta")
    world.pin_all()
    world["beta"].rotate_root("beta-root-2", sign_new=False)
    world["alpha"].treaty("t1", world["beta"], roles=["role:client"])
    _pins_mallory(world)
    commit_states(tmp_path, [world.files()])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    beta = world["beta"]
    beta.rotations, beta.root = [], Key("beta-root")
    beta.rotate_root("beta-root-2")
    state = world.files()
    assert [p for p in state if p.startswith("sovereigns/beta/") and state[p] != files_of(tmp_path, "main", p)] \
        == ["sovereigns/beta/root-rotations/1.json"]
    commit_states(tmp_path, [state])
    review = collect_review(tmp_path, "main", "pr", at=NOW)
    assert review.sovereigns == ("beta",)
    assert (ALPHA_T1, "treaty.subject_keys_mismatch", "high") in introduced(review)


def files_of(root, rev: str, path: str) -> bytes:
    return subprocess.run(["git", "show", f"{rev}:{path}"], cwd=root, capture_output=True, check=True).stdout


def test_the_search_takes_every_id_a_pull_request_can_change(tmp_path, monkeypatch):
    """A pull request may change the keys of every sovereign. Up to GREP_MAX_NEEDLES ids go to
    git grep (through stdin); past that, git grep's pattern tables outgrow its memory cap, and
    the files are read under their bounds and cut into strings instead."""
    world = coalition()
    commit_states(tmp_path, [files(world)])
    head = gitrepo.resolve(tmp_path, "HEAD")
    ids = [f"sov-{i:06d}-{'x' * 40}" for i in range(referrers.GREP_MAX_NEEDLES - 1)] + ["beta"]
    search = gitrepo.FileSearch(tmp_path, head, referrers.needles(ids), ["sovereigns/*/treaties/*.json"],
                                max_data_bytes=referrers.GREP_DATA_BYTES)
    assert search.paths() == [ALPHA_T1]
    with pytest.raises(ValueError):
        gitrepo.FileSearch(tmp_path, head, ['"a\nb"'], ["sovereigns"], max_data_bytes=1 << 20)
    source = GitSource(tmp_path, head)
    expected = ["alpha", "gamma"]            # alpha's treaty and gamma's policy name beta
    assert referrers.ReferrerSearch(str(tmp_path), head, ids).folders(source, ["beta"], DEFAULT_LIMITS) == expected

    def refuse(*args, **kwargs):
        raise AssertionError("git grep started with more ids than it can hold")
    monkeypatch.setattr(gitrepo, "FileSearch", refuse)
    many = [f"sov-{i:06d}" for i in range(referrers.GREP_MAX_NEEDLES + 1)] + ["beta"]
    assert referrers.ReferrerSearch(str(tmp_path), head, many).folders(source, ["beta"], DEFAULT_LIMITS) == expected


def test_the_bounded_search_reads_escapes_as_candidates():
    wanted = referrers.needles(["beta"])[0].encode()
    plain = b'{"subject_sovereign_id": "beta", "x": "alpha"}'
    assert wanted in referrers._PLAIN_STRING.findall(plain)
    assert wanted not in referrers._PLAIN_STRING.findall(plain.replace(b'"beta"', b'"gamma"'))


def test_a_signature_a_keyed_sovereign_explained_is_reviewed_when_its_keys_change(tmp_path):
    """gamma's treaty about beta is signed by beta's NA key, not gamma's: verify names the
    signer (sig.foreign_key). When beta's NA key is replaced, nothing explains the signature
    any more, and verify says sig.invalid in gamma's unchanged folder; so must the review."""
    world = World("alpha", "beta", "gamma")
    treaty = world["gamma"].treaty("g1", world["beta"])
    body = copy.deepcopy(world["gamma"].treaties[treaty])
    body["signatures"] = []
    world["gamma"].treaties[treaty] = world["beta"].na.sign(body, "recognition-treaty")
    world.pin_all()
    commit_states(tmp_path, [world.files()])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    new_na_key(world)
    commit_states(tmp_path, [world.files()])
    path = f"sovereigns/gamma/treaties/{treaty}.json"
    base = verify_repository(GitSource(tmp_path, gitrepo.resolve(tmp_path, "main")), at=NOW, workers=1)
    assert (path, "sig.foreign_key") in {(f.path, f.code) for f in base.findings}
    review = collect_review(tmp_path, "main", "pr", at=NOW)
    assert (path, "sig.invalid", "high") in introduced(review)


def test_the_comment_says_how_many_other_folders_were_checked(tmp_path):
    from publisher.review.render import render_markdown
    text = render_markdown(review_of(tmp_path / "keyed", new_na_key))
    assert "· 1 sovereign(s) · 2 other folder(s) that name them checked ·" in text
    plain = render_markdown(review_of(tmp_path / "plain", lambda w: w["alpha"].resign(T1, allowed_roles=["role:x"])))
    assert "other folder(s)" not in plain
