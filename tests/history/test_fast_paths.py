"""The fast history paths give exactly what the reference walk gives, on a real git repository.

Reference: every first-parent commit read object by object (`git ls-tree` + `git cat-file -p`
per file), its full state diffed against the previous one in Python, folded by `analyze`.
Fast paths: the `git log --raw` stream + batched `cat-file` (`read_history`, one process and
forked workers), and `first_seen_roots` (genesis blobs only, what `handshake pin` reads).
The history covers rotations (signed, unsigned, back to a retired root), revocations and an
un-revocation, a feed rollback, a deleted and restored folder, an unparseable genesis, a
trust.lock re-pin, commits outside the trust paths, a merged side branch, and a force-push.
"""
from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.history.trustrepo import T0, Sov, World, commit_states, git, tid

from publisher.history.firstseen import first_seen_roots
from publisher.history.load import read_history
from publisher.history.parallel import owner
from publisher.history.walk import Step, analyze

TRUST = ("sovereigns/", "coalition.json", "trust.lock")


def reference_history(root: Path) -> list[Step]:
    """Steps read the slow way: the whole tree of every first-parent commit, file by file."""
    commits = git(root, "rev-list", "--first-parent", "--reverse", "HEAD").split()
    steps, previous = [], {}
    for sha in commits:
        rows = git(root, "ls-tree", "-r", "--full-tree", sha).splitlines()
        state = {}
        for row in rows:
            meta, path = row.split("\t", 1)
            if path.startswith(TRUST):
                state[path] = subprocess.run(["git", "cat-file", "-p", meta.split()[2]], cwd=root,
                                             check=True, capture_output=True).stdout
        changed: dict[str, bytes | None] = {p: d for p, d in state.items() if previous.get(p) != d}
        changed.update({p: None for p in previous if p not in state})
        if changed:
            seconds = int(git(root, "log", "-1", "--format=%ct", sha).strip())
            steps.append(Step(sha, datetime.fromtimestamp(seconds, UTC), changed))
        previous = state
    return steps


def build_repository(root: Path) -> None:
    world = World("alpha", "beta", "gamma", "delta")
    alpha, beta, gamma = world["alpha"], world["beta"], world["gamma"]
    t1 = alpha.treaty("t1", beta)
    alpha.treaty("t2", gamma, roles=["role:bridge"])
    beta.treaty("t3", alpha)
    alpha.set_feed(["att-1", "att-2"])
    world.pin_all()
    states = [world.files()]
    alpha.revoke(t1)                                     # revocation in the row
    gamma.rotate_root("gamma-root-2")                    # a signed rotation
    states.append(world.files())
    extra = dict(states[-1])
    extra["README.md"] = b"not a trust file\n"            # a commit outside the trust paths
    states.append(extra)
    alpha.rows[t1] = {"status": "active", "revoked_at": None, "revocation_reason": None}   # un-revoked
    beta.set_root("mallory-root")                        # a swapped root
    alpha.set_feed(["att-1"], sequence=1)                # feed rollback
    states.append(world.files())
    files = world.files()
    files = {p: d for p, d in files.items() if not p.startswith("sovereigns/delta/")}   # folder deleted
    states.append(files)
    files = dict(world.files())
    bad = b'{"root_public_key": "x", "root_public_key": "y"}'      # duplicate key: refused
    files["sovereigns/delta/genesis.signed.json"] = bad
    files["sovereigns/epsilon/genesis.signed.json"] = bad   # a newcomer first names no root
    states.append(files)                                 # restored with an unparseable genesis
    epsilon = Sov("epsilon").files()
    states.append({**world.files(), **epsilon})          # and repaired: epsilon first seen here
    world.pins = {**world.pins, "gamma": world["alpha"].root.public}    # trust.lock re-pinned
    gamma.rotate_root("gamma-root-1", sign_old=False)    # unsigned rotation
    states.append({**world.files(), **epsilon})
    states.append(world.files())                         # epsilon leaves again
    commit_states(root, states)
    # A side branch merged with --no-ff: the first parent sees one combined change.
    git(root, "checkout", "-q", "-b", "side")
    alpha.treaty("t4", gamma)
    commit_states(root, [world.files()], start=T0 + timedelta(days=20))
    git(root, "checkout", "-q", "main")
    git(root, "merge", "-q", "--no-ff", "-m", "merge side", "side")
    # A force-push: the tip is replaced; the walked history is the new tip's only.
    world["delta"].treaty("t5", alpha)
    commit_states(root, [world.files()], start=T0 + timedelta(days=30))
    git(root, "reset", "-q", "--hard", "HEAD~1")
    world["delta"].treaty("t6", beta)
    commit_states(root, [world.files()], start=T0 + timedelta(days=31))


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("history-fast")
    build_repository(root)
    return root


def test_the_reference_history_is_rich_enough(repository):
    result = analyze(reference_history(repository))
    codes = {c.code for c in result.changes}
    assert {"change.root_key_rotated", "change.root_key_changed", "change.treaty_unrevoked",
            "change.feed_entry_removed", "change.lock_repinned", "change.treaty_revoked"} <= codes
    assert {c.code for c in result.open} >= {"change.root_key_changed", "change.lock_repinned"}
    assert {owner(sid, 2) for sid in ("alpha", "beta", "gamma", "delta")} == {0, 1}   # both workers busy


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_read_history_equals_the_reference(repository, workers):
    expected = analyze(reference_history(repository))
    result, problems = read_history(repository, workers=workers)
    assert problems == []
    assert result.changes == expected.changes
    assert result.open == expected.open
    assert list(result.first_seen.items()) == list(expected.first_seen.items())
    assert (result.head, result.commits) == (expected.head, expected.commits)


def test_first_seen_roots_equal_the_walk(repository):
    expected = analyze(reference_history(repository))
    seen, commits = first_seen_roots(repository)
    assert seen == expected.first_seen and commits == expected.commits
    commits_in_order = git(repository, "rev-list", "--first-parent", "--reverse", "HEAD").split()
    assert seen["epsilon"].commit == commits_in_order[6]       # not the commit with the bad genesis


@pytest.mark.parametrize("batch", [1, 2, 3, 5])
def test_first_seen_roots_equal_the_walk_across_chunks(repository, monkeypatch, batch):
    """Sovereigns first seen, re-rooted and repaired across chunk boundaries and inside one."""
    from publisher.history import firstseen

    monkeypatch.setattr(firstseen, "BATCH_COMMITS", batch)
    expected = analyze(reference_history(repository))
    assert first_seen_roots(repository) == (expected.first_seen, expected.commits)


def test_a_corrupt_object_gives_the_same_partial_result_with_workers(tmp_path):
    build_repository(tmp_path)
    blob = git(tmp_path, "rev-parse", f"HEAD:sovereigns/alpha/treaties/{tid('alpha:t4')}.json").strip()
    obj = tmp_path / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"not zlib at all")
    one, problems_one = read_history(tmp_path, workers=1)
    two, problems_two = read_history(tmp_path, workers=2)
    assert [f.code for f in problems_two] == ["git.unreadable"] and problems_one == problems_two
    assert one.changes == two.changes and one.open == two.open


def test_without_fork_the_walk_runs_in_one_process(monkeypatch):
    """Where processes cannot be forked, read_history walks in one process instead of failing."""
    import multiprocessing

    from publisher.history import load

    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert load.default_workers() == 1
    called = []
    monkeypatch.setattr("publisher.history.parallel.analyze_parallel", lambda *a, **k: called.append(1))
    load._walk(".", "HEAD", 2)
    assert called == []


@pytest.mark.parametrize("parts", [2, 3])
def test_a_split_log_gives_the_same_entries_and_results(repository, monkeypatch, parts):
    """git log cut into consecutive ranges read side by side: the same entries in the same
    order, so the same first-seen roots and the same history (merge and force-push included)."""
    from publisher import gitrepo

    whole = list(gitrepo.iter_log(repository))
    monkeypatch.setattr(gitrepo, "SPLIT_LOG_COMMITS", 1)
    monkeypatch.setattr(gitrepo, "log_parts", lambda: parts)
    assert gitrepo._ranges(repository, whole[-1].commit.sha, parts) is not None
    assert list(gitrepo.iter_log(repository, parts=parts)) == whole
    expected = analyze(reference_history(repository))
    assert first_seen_roots(repository) == (expected.first_seen, expected.commits)
    result, problems = read_history(repository, workers=2)
    assert problems == [] and result.changes == expected.changes and result.open == expected.open


def test_a_split_log_stops_its_git_processes_when_the_reader_stops(repository, monkeypatch):
    from publisher import gitrepo

    monkeypatch.setattr(gitrepo, "SPLIT_LOG_COMMITS", 1)
    log = gitrepo.iter_log(repository, parts=2)
    first = next(log)
    log.close()
    assert first == next(gitrepo.iter_log(repository))


def test_a_split_log_raises_a_range_failure_in_order(tmp_path, monkeypatch):
    """A corrupt object: the split log raises GitError (as the single log does), after the
    entries before it."""
    from publisher import gitrepo

    build_repository(tmp_path)
    blob = git(tmp_path, "rev-parse", "HEAD^{tree}").strip()
    obj = tmp_path / ".git" / "objects" / blob[:2] / blob[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"not zlib at all")
    with pytest.raises(gitrepo.GitError):
        list(gitrepo.iter_log(tmp_path))
    monkeypatch.setattr(gitrepo, "SPLIT_LOG_COMMITS", 1)
    with pytest.raises(gitrepo.GitError):
        list(gitrepo.iter_log(tmp_path, parts=2))


def test_history_workers_stop_as_soon_as_a_failed_walk_lets_them_go(tmp_path):
    """A walk that fails before its last batch closes the workers' pipes without the sentinel:
    every worker must read EOF and exit by itself. A worker still holding a parent's end of a
    pipe (its own, or an earlier worker's, inherited by fork) waited until `close` killed it."""
    from publisher.history.parallel import _Pool

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    pool = _Pool(tmp_path, 3)
    pool.close()
    assert [proc.exitcode for proc in pool.procs] == [0, 0, 0]
