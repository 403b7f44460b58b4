"""Real-git integration: verify's history checks, pin, shallow clones and corrupt objects."""
from __future__ import annotations

import json
from datetime import UTC, datetime
import os
import subprocess
from pathlib import Path

import pytest

from tests.history.trustrepo import NOW, World, commit_states, git

from publisher import gitrepo
from publisher.cli import main
from publisher.codes.history import LEVELS
from publisher.history.load import load_steps, read_history

AT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_repo(root: Path) -> tuple[World, list[str]]:
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world["alpha"].set_feed(["att-1", "att-2"])
    states = [world.files()]
    world["beta"].treaty("t9", world["alpha"])
    states.append(world.files())
    return world, commit_states(root, states)


def verify_json(root: Path, *extra: str, capsys) -> tuple[int, dict]:
    code = main(["verify", str(root), "--at", AT, "--format", "json", "--jobs", "1", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_log_stream_and_blobs_give_every_commit(tmp_path):
    _, commits = make_repo(tmp_path)
    steps = list(load_steps(tmp_path))
    assert [s.commit for s in steps] == commits
    assert "sovereigns/alpha/genesis.signed.json" in steps[0].files
    assert list(steps[1].files) == [p for p in steps[1].files if p.startswith("sovereigns/beta/")]


def test_verify_reports_a_feed_rollback_in_history(tmp_path, capsys):
    world, _ = make_repo(tmp_path)
    world["alpha"].set_feed(["att-1"], sequence=1)
    commit_states(tmp_path, [world.files()])
    code, report = verify_json(tmp_path, capsys=capsys)
    codes = {f["code"] for f in report["findings"]}
    assert code == 1
    assert {"change.feed_entry_removed", "change.feed_sequence_decreased"} <= codes
    code, report = verify_json(tmp_path, "--no-history", capsys=capsys)
    assert not {f["code"] for f in report["findings"]} & {"change.feed_entry_removed"}


def test_verify_reports_a_swapped_root_even_when_keys_and_lock_agree(tmp_path, capsys):
    world, _ = make_repo(tmp_path)
    world["alpha"].set_root("mallory-root")
    commit_states(tmp_path, [world.files()])
    code, report = verify_json(tmp_path, capsys=capsys)
    found = [f for f in report["findings"] if f["code"] == "change.root_key_changed"]
    assert code == 1 and found and found[0]["severity"] == "error"
    assert found[0]["path"] == "sovereigns/alpha/genesis.signed.json"


def test_pin_writes_first_seen_roots_atomically_and_sorted(tmp_path, capsys):
    world, commits = make_repo(tmp_path)
    first_root = world["alpha"].root.public
    world["alpha"].set_root("mallory-root")
    commit_states(tmp_path, [world.files()])
    assert main(["pin", str(tmp_path)]) == 0
    text = (tmp_path / "trust.lock").read_text()
    lock = json.loads(text)
    assert text == json.dumps(lock, indent=2, sort_keys=True) + "\n"
    assert lock["sovereigns"]["alpha"]["root_public_key"] == first_root
    assert lock["sovereigns"]["alpha"]["first_seen_commit"] == commits[0]
    assert lock["sovereigns"]["alpha"]["first_seen_at"] == "2026-01-01T00:00:00Z"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".trust.lock.")]
    capsys.readouterr()
    # With the lock, plain verification refuses the swapped genesis.
    code, report = verify_json(tmp_path, "--no-history", capsys=capsys)
    assert code == 1 and "genesis.root_mismatch" in {f["code"] for f in report["findings"]}


def test_pin_keeps_a_conflicting_pin_and_exits_1(tmp_path, capsys):
    world, _ = make_repo(tmp_path)
    world.pins = {"alpha": world["beta"].root.public}
    (tmp_path / "trust.lock").write_bytes(world.files()["trust.lock"])
    assert main(["pin", str(tmp_path)]) == 1
    lock = json.loads((tmp_path / "trust.lock").read_text())
    assert lock["sovereigns"]["alpha"]["root_public_key"] == world["beta"].root.public
    assert "resolve by hand" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["directory", "link-out", "dangling-link"])
def test_pin_refuses_a_trust_lock_that_is_not_a_regular_file(tmp_path, capsys, kind):
    """A repository may commit trust.lock as a folder or a link: pin neither crashes on it nor
    reads or writes through it (verify reports it as layout.not_regular / layout.symlink)."""
    make_repo(tmp_path / "repo")
    lock, outside = tmp_path / "repo" / "trust.lock", tmp_path / "outside.json"
    outside.write_text('{"not": "a lock"}')
    if kind == "directory":
        lock.mkdir()
        (lock / "x").write_text("x")
    else:
        lock.symlink_to(outside if kind == "link-out" else tmp_path / "missing")
    assert main(["pin", str(tmp_path / "repo")]) == 2
    err = capsys.readouterr().err
    assert "trust.lock" in err and "Traceback" not in err and ("layout.not_regular" in err or "layout.symlink" in err)
    assert outside.read_text() == '{"not": "a lock"}' and not (tmp_path / "missing").exists()
    assert lock.is_symlink() if kind != "directory" else (lock / "x").read_text() == "x"
    assert not [p for p in lock.parent.iterdir() if p.name.startswith(".trust.lock.")]


@pytest.mark.parametrize("text, code", [
    (b'{"sovereigns": {', "json."),
    (b'{"sovereigns": {}, "sovereigns": {}}', "json.duplicate_key"),
    (b"[]", "not a JSON object"),
], ids=["truncated", "duplicate-key", "not-an-object"])
def test_pin_never_drops_the_pins_of_a_lock_it_cannot_read(tmp_path, capsys, text, code):
    """Existing pins are never moved: a lock pin cannot parse (a bad merge, a hand edit) is
    refused, not replaced by the first-seen roots with every pin set by hand gone."""
    make_repo(tmp_path)
    (tmp_path / "trust.lock").write_bytes(text)
    assert main(["pin", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "cannot be read" in err and code in err
    assert (tmp_path / "trust.lock").read_bytes() == text


def test_shallow_clone_is_a_finding_and_pin_refuses(tmp_path, capsys):
    make_repo(tmp_path / "origin")
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{tmp_path / 'origin'}", str(tmp_path / "shallow")],
                   check=True)
    assert gitrepo.is_shallow(tmp_path / "shallow")
    _, problems = read_history(tmp_path / "shallow")
    assert [f.code for f in problems] == ["git.shallow"]
    assert main(["pin", str(tmp_path / "shallow")]) == 2
    assert "shallow clone" in capsys.readouterr().err


def test_corrupt_object_is_a_finding_not_a_traceback(tmp_path):
    make_repo(tmp_path)
    blob = git(tmp_path, "rev-parse", "HEAD:sovereigns/alpha/revocation-feed.json").strip()
    obj = tmp_path / ".git" / "objects" / blob[:2] / blob[2:]
    os.chmod(obj, 0o644)
    obj.write_bytes(b"not zlib at all")
    result, problems = read_history(tmp_path)
    assert [f.code for f in problems] == ["git.unreadable"]
    assert blob in problems[0].message


def test_an_oversized_blob_in_history_is_skipped_not_loaded(tmp_path):
    world, _ = make_repo(tmp_path)
    files = world.files()
    files["sovereigns/alpha/revocation-feed.json"] = b"[" * (2 << 20)
    commit_states(tmp_path, [files])
    reader = gitrepo.BlobReader(tmp_path)
    blob = git(tmp_path, "rev-parse", "HEAD:sovereigns/alpha/revocation-feed.json").strip()
    small = git(tmp_path, "rev-parse", "HEAD:coalition.json").strip()
    out = reader.read_many([blob, small], max_bytes=1 << 20)
    reader.close()
    assert out[blob] == b"" and out[small].startswith(b"{")
    result, problems = read_history(tmp_path)
    assert problems == []
    assert [(c.code, c.subject) for c in result.open] == [("change.feed_entry_removed", "att-1"),
                                                          ("change.feed_entry_removed", "att-2")]


def test_repository_without_commits_has_no_history_and_no_finding(tmp_path):
    git(tmp_path, "init", "-q")
    result, problems = read_history(tmp_path)
    assert problems == [] and result.commits == 0


def test_pin_before_the_first_commit_says_to_commit_first(tmp_path, capsys):
    git(tmp_path, "init", "-q")
    assert main(["pin", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no commit yet" in err and "git commit" in err and "unknown revision" not in err
    assert not (tmp_path / "trust.lock").exists()


def test_pin_names_a_sovereign_that_is_not_committed_yet(tmp_path, capsys):
    """The newcomer's slip: a new sovereign folder, pin run before committing it. Pin cannot
    see it in history; it says so instead of reporting a clean lock without it."""
    import shutil
    make_repo(tmp_path)
    shutil.copytree(tmp_path / "sovereigns/beta", tmp_path / "sovereigns/gamma")
    assert main(["pin", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert sorted(json.loads((tmp_path / "trust.lock").read_text())["sovereigns"]) == ["alpha", "beta"]
    assert "gamma: in the working tree but in no commit of HEAD" in err and "commit it" in err
    assert "alpha" not in err and "beta" not in err


def test_pin_check_writes_nothing_and_reports_drift(tmp_path, capsys):
    make_repo(tmp_path)
    assert main(["pin", str(tmp_path), "--check"]) == 1
    assert not (tmp_path / "trust.lock").exists()
    assert main(["pin", str(tmp_path)]) == 0
    assert main(["pin", str(tmp_path), "--check"]) == 0
    assert "is up to date" in capsys.readouterr().out


def test_pin_never_writes_a_lock_the_verifier_refuses(tmp_path, capsys):
    """A folder whose name is not UTF-8 (or is no safe id) in history is not pinned: its id
    would be written as a lone surrogate escape, and the verifier refuses the whole trust.lock
    (json.lone_surrogate), so every sovereign would lose its pin."""
    import shutil
    make_repo(tmp_path)
    root = os.fsencode(tmp_path)
    shutil.copytree(tmp_path / "sovereigns/beta", os.fsdecode(root + b"/sovereigns/b\xffeta"))
    shutil.copytree(tmp_path / "sovereigns/beta", tmp_path / "sovereigns/ga\u202emma\x1b[2J")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "hostile folder names")
    assert main(["pin", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    lock = json.loads((tmp_path / "trust.lock").read_text())
    assert sorted(lock["sovereigns"]) == ["alpha", "beta"]
    assert "\x1b" not in err and "\u202e" not in err and "not pinned" in err
    code, report = verify_json(tmp_path, "--no-history", capsys=capsys)
    assert "trust.lock" not in {f["path"] for f in report["findings"]}


# --- Merges that do not keep the published line first: the walk follows first parents, so a
# --- state only a second parent showed must still count.

def _feed_world() -> tuple[World, dict, dict]:
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world["alpha"].set_feed(["att-1"], sequence=1)
    old = world.files()
    world["alpha"].set_feed(["att-1", "att-2"], sequence=2)
    return world, old, world.files()


def _commit_on(root: Path, branch: str, start: str, files: dict, message: str) -> str:
    from tests.history.trustrepo import write_state
    git(root, "checkout", "-q", "-B", branch, start)
    write_state(root, files)
    git(root, "add", "-A")
    git(root, "commit", "-q", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def _codes(report: dict) -> set[str]:
    return {f["code"] for f in report["findings"]}


def test_a_merge_keeping_an_old_branch_first_cannot_hide_a_rolled_back_feed(tmp_path, capsys):
    """`git merge -s ours main` on a branch forked before the revocation, pushed as a fast-forward:
    the first-parent line never shows sequence 2, but main did publish it."""
    _, old, new = _feed_world()
    first, _ = commit_states(tmp_path, [old, new])
    edited = {**old, "README.md": b"harmless\n"}
    _commit_on(tmp_path, "evil", first, edited, "docs")
    git(tmp_path, "merge", "-q", "-s", "ours", "main", "-m", "merge main")
    git(tmp_path, "checkout", "-q", "main")
    git(tmp_path, "merge", "-q", "--ff-only", "evil")
    code, report = verify_json(tmp_path, capsys=capsys)
    found = {f["code"]: f for f in report["findings"]}
    assert code == 1
    assert {"change.feed_sequence_decreased", "change.feed_entry_removed"} <= set(found)
    assert found["change.feed_entry_removed"]["path"] == "sovereigns/alpha/revocation-feed.json"
    assert "att-2" in found["change.feed_entry_removed"]["message"]
    assert "merged in off the first-parent line" in found["change.feed_sequence_decreased"]["message"]


def test_two_merges_deep_still_count(tmp_path, capsys):
    """The published state two merges away from the first-parent line (a merge of a merge)."""
    _, old, new = _feed_world()
    first, _ = commit_states(tmp_path, [old, new])
    _commit_on(tmp_path, "x", first, {**old, "a.txt": b"a\n"}, "x")
    git(tmp_path, "merge", "-q", "-s", "ours", "main", "-m", "merge main into x")
    _commit_on(tmp_path, "y", first, {**old, "b.txt": b"b\n"}, "y")
    git(tmp_path, "merge", "-q", "-s", "ours", "x", "-m", "merge x into y")
    code, report = verify_json(tmp_path, capsys=capsys)
    assert code == 1 and "change.feed_entry_removed" in _codes(report)


def test_a_revocation_lost_in_a_merge_is_reported(tmp_path, capsys):
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    first, = commit_states(tmp_path, [world.files()])
    from tests.history.trustrepo import tid
    revoked = World("alpha", "beta")
    revoked["alpha"].treaty("t1", revoked["beta"])
    revoked["alpha"].revoke(tid("alpha:t1"))
    _commit_on(tmp_path, "revoke", first, revoked.files(), "revoke t1")
    _commit_on(tmp_path, "main", first, {**world.files(), "c.txt": b"c\n"}, "unrelated")
    git(tmp_path, "merge", "-q", "-s", "ours", "revoke", "-m", "merge revoke, keeping ours")
    code, report = verify_json(tmp_path, capsys=capsys)
    assert code == 1 and "change.treaty_unrevoked" in _codes(report)


def test_ordinary_merges_octopus_and_a_second_root_are_quiet(tmp_path, capsys):
    """A feature branch forked before a revocation and merged normally, an octopus merge and an
    unrelated history merged in (two root commits): nothing lost, so nothing reported."""
    world, old, new = _feed_world()
    first, _ = commit_states(tmp_path, [old, new])
    world["beta"].treaty("t9", world["alpha"])
    _commit_on(tmp_path, "feature", first, {**old, **{p: d for p, d in world.files().items()
                                                       if p.startswith("sovereigns/beta/")}}, "beta t9")
    _commit_on(tmp_path, "side2", first, {**old, "d.txt": b"d\n"}, "d")
    git(tmp_path, "checkout", "-q", "main")
    git(tmp_path, "merge", "-q", "--no-edit", "feature", "side2", "-m", "octopus")
    git(tmp_path, "checkout", "-q", "--orphan", "other")
    git(tmp_path, "rm", "-rq", "--cached", ".")
    for path in list(tmp_path.iterdir()):
        if path.name != ".git":
            subprocess.run(["rm", "-rf", str(path)], check=True)
    (tmp_path / "notes.txt").write_text("unrelated\n")
    git(tmp_path, "add", "notes.txt")
    git(tmp_path, "commit", "-q", "-m", "orphan root")
    git(tmp_path, "checkout", "-q", "-f", "main")
    git(tmp_path, "merge", "-q", "--allow-unrelated-histories", "--no-edit", "other")
    code, report = verify_json(tmp_path, capsys=capsys)
    assert len(git(tmp_path, "rev-list", "--max-parents=0", "HEAD").split()) == 2
    assert code == 0, report["findings"]


def _commit_dated(root: Path, files: dict, stamp: str) -> str:
    """A commit whose committer time is `stamp` verbatim (git's own date parser refuses most of these)."""
    from tests.history.trustrepo import write_state
    write_state(root, files)
    git(root, "add", "-A")
    tree, parent = git(root, "write-tree").strip(), git(root, "rev-parse", "HEAD").strip()
    body = (f"tree {tree}\nparent {parent}\nauthor A <a@b> {stamp} +0000\n"
            f"committer A <a@b> {stamp} +0000\n\nhostile date\n").encode()
    oid = subprocess.run(["git", "hash-object", "-t", "commit", "-w", "--literally", "--stdin"], cwd=root,
                         input=body, capture_output=True, check=True).stdout.decode().strip()
    git(root, "update-ref", "refs/heads/main", oid)
    return oid


@pytest.mark.parametrize("stamp", ["99999999999999", "18446744073709551615", "-99999999999"],
                         ids=["year-3170843", "u64-max", "before-1970"])
def test_a_commit_date_python_cannot_hold_neither_crashes_nor_hides_the_history(tmp_path, capsys, stamp):
    """Commit dates are the committer's claim; one past year 9999 or one git prints as nothing
    made verify skip the history (git.unreadable) or raise, and review and pin raise."""
    _, old, new = _feed_world()
    commit_states(tmp_path, [old, new])
    _commit_dated(tmp_path, old, stamp)
    code, report = verify_json(tmp_path, capsys=capsys)
    assert code == 1
    assert {"change.feed_sequence_decreased", "change.feed_entry_removed"} <= _codes(report)
    assert "git.unreadable" not in _codes(report)
    assert main(["review", "HEAD~1", "HEAD", "--repo", str(tmp_path), "--format", "json", "--at", AT]) == 0
    assert "change.feed_entry_removed" in capsys.readouterr().out
    assert main(["pin", str(tmp_path), "--check"]) in (0, 1)


def _delete_an_active_treaty_in_2100(root: Path) -> str:
    """Two treaties of alpha's committed, then one deleted by a commit dated 2100-01-01, past
    its expiry: the removal's commit id."""
    from tests.history.trustrepo import tid
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"])
    world["alpha"].treaty("t2", world["beta"])
    commit_states(root, [world.files()])
    gone = tid("alpha:t2")
    del world["alpha"].treaties[gone], world["alpha"].rows[gone]
    return _commit_dated(root, world.files(), "4102444800")


@pytest.mark.parametrize("cached", [False, True], ids=["cold", "cached"])
def test_a_future_dated_commit_cannot_pass_an_active_treaty_off_as_expired(tmp_path, capsys, monkeypatch, cached):
    """Deleting an active treaty in a commit dated 2100 read as 'removed after it expired': the
    walk takes the commit's own date. At the evaluation time the treaty has not expired."""
    if cached:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        monkeypatch.delenv("HANDSHAKE_NO_CACHE", raising=False)
    _delete_an_active_treaty_in_2100(tmp_path)
    for _ in range(2 if cached else 1):                           # cached: the second run reads the kept findings
        code, report = verify_json(tmp_path, capsys=capsys)
        deleted = [f for f in report["findings"] if f["code"] == "change.treaty_deleted"]
        assert code == 1 and len(deleted) == 1
        assert deleted[0]["path"].startswith("sovereigns/alpha/") and "expires on" in deleted[0]["message"]
    code, report = verify_json(tmp_path, "--at", "2101-01-01T00:00:00Z", capsys=capsys)
    assert "change.treaty_deleted" not in _codes(report)              # evaluated after expiry: a removal


def test_the_site_does_not_repeat_a_future_dated_commits_claim_that_a_treaty_expired(tmp_path, monkeypatch):
    """The same deletion on the site: the change channel said the treaty "was removed after it
    expired", taking the commit's date, while verify reported a deletion. The channel is told
    at the site's evaluation time, and verify-site rebuilds it at the same time."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("HANDSHAKE_NO_CACHE", raising=False)
    from publisher.history.changes import change_entries
    repo = tmp_path / "repo"
    removal = _delete_an_active_treaty_in_2100(repo)
    result, _ = read_history(repo)
    told = {at: [e for e in change_entries(result, at=at) if e.commit == removal]
            for at in (None, NOW, datetime(2101, 1, 1, tzinfo=UTC))}
    assert [e.code for e in told[None]] == ["change.treaty_removed"]               # the walk's own words
    assert [e.code for e in told[datetime(2101, 1, 1, tzinfo=UTC)]] == ["change.treaty_removed"]
    [deleted] = told[NOW]
    assert deleted.code == "change.treaty_deleted" and deleted.severity == LEVELS["change.treaty_deleted"]
    assert "deleted while active" in deleted.sentence and deleted.path == told[None][0].path
    for at, words in ((AT, "deleted while active"), ("2101-01-01T00:00:00Z", "removed after it expired")):
        site = tmp_path / f"site-{at[:4]}"
        assert main(["build", str(repo), "--out", str(site), "--at", at, "--allow-errors", "--jobs", "1"]) == 0
        for page in ("changes.html", "changes.atom", "sovereigns/alpha/index.html"):
            text = (site / page).read_text()
            assert words in text, page
            assert ("removed after it expired" if words == "deleted while active" else "deleted while active") \
                not in text, page
        assert main(["verify-site", str(site), "--repo", str(repo)]) == 0
