"""The log kept by commit (`logcache`) and the history result kept per commit (`read_history`).

Whatever the cache holds, the entries, the first-seen roots and the history are the ones git
gives without it; a hit runs no git log; a run at a new commit diffs only the new commits; a
missing or foreign segment is a miss, never a wrong answer; a shallow clone keeps nothing.
"""
from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from tests.history.test_fast_paths import build_repository, reference_history
from tests.history.trustrepo import T0, World, commit_states, git

from publisher import gitrepo
from publisher.cache import Cache
from publisher.history import firstseen, load, logcache
from publisher.history.firstseen import first_seen_roots
from publisher.history.load import read_history
from publisher.history.walk import analyze


@pytest.fixture(scope="module")
def repository(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("history-logcache")
    build_repository(root)
    return root


@pytest.fixture
def cache(tmp_path_factory) -> Cache:
    return Cache(tmp_path_factory.mktemp("cache"), b"k" * 32)


def _logs_spawned(monkeypatch) -> list[tuple[str, str | None]]:
    """Record every git log `history_log` starts: (rev, since)."""
    calls: list[tuple[str, str | None]] = []
    real = gitrepo.iter_log

    def spy(root, rev="HEAD", paths=gitrepo.TRUST_PATHS, *, parts=1, since=None, tally=None):
        calls.append((rev, since))
        return real(root, rev, paths, parts=parts, since=since, tally=tally)

    monkeypatch.setattr(gitrepo, "iter_log", spy)
    return calls


def test_a_kept_log_gives_the_same_entries_without_git_log(repository, cache, monkeypatch):
    whole = list(gitrepo.iter_log(repository))
    calls = _logs_spawned(monkeypatch)
    assert list(logcache.history_log(repository, "HEAD", cache)) == whole
    assert len(calls) == 1 and calls[0][1] is None
    assert list(logcache.history_log(repository, "HEAD", cache)) == whole
    assert len(calls) == 1                                    # the second read ran no git log


def test_a_new_commit_diffs_only_what_follows_the_kept_log(tmp_path, cache, monkeypatch):
    world = World("alpha", "beta")
    world.pin_all()
    first = commit_states(tmp_path, [world.files()])
    world["alpha"].treaty("t1", world["beta"])
    second = commit_states(tmp_path, [world.files()], start=T0 + timedelta(days=1))
    list(logcache.history_log(tmp_path, "HEAD", cache))
    world["beta"].treaty("t2", world["alpha"])
    world["alpha"].set_feed(["att-1"])
    commit_states(tmp_path, [world.files(), {**world.files(), "README.md": b"x\n"}],
                  start=T0 + timedelta(days=2))
    calls = _logs_spawned(monkeypatch)
    got = list(logcache.history_log(tmp_path, "HEAD", cache))
    assert calls == [(git(tmp_path, "rev-parse", "HEAD").strip(), second[-1])]
    monkeypatch.undo()
    assert got == list(gitrepo.iter_log(tmp_path))
    assert logcache.cached_batches(cache, git(tmp_path, "rev-parse", "HEAD").strip()) is not None
    assert first[0] != second[-1]


def test_a_missing_segment_is_read_from_git_again(tmp_path, cache, monkeypatch):
    world = World("alpha")
    world.pin_all()
    commit_states(tmp_path, [world.files()])
    list(logcache.history_log(tmp_path, "HEAD", cache))
    world["alpha"].set_feed(["att-1"])
    commit_states(tmp_path, [world.files()], start=T0 + timedelta(days=1))
    list(logcache.history_log(tmp_path, "HEAD", cache))      # a segment on top of the first
    shutil.rmtree(cache.directory / logcache.KIND)
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    assert logcache.cached_batches(cache, head) is None
    calls = _logs_spawned(monkeypatch)
    got = list(logcache.history_log(tmp_path, "HEAD", cache))
    assert calls == [(head, None)]
    monkeypatch.undo()
    assert got == list(gitrepo.iter_log(tmp_path))


def test_a_foreign_segment_is_a_miss(repository, cache, tmp_path):
    """An entry under the head's key that names another commit, or that another key sealed,
    is not replayed."""
    head = git(repository, "rev-parse", "HEAD").strip()
    cache.put(logcache.KIND, logcache.segment_key(head), (logcache.FORMAT, "0" * 40, None, [], 0))
    assert logcache.cached_batches(cache, head) is None
    forger = Cache(cache.directory, b"f" * 32)
    forger.put(logcache.KIND, logcache.segment_key(head), (logcache.FORMAT, head, None, [], 0))
    assert logcache.cached_batches(cache, head) is None
    assert list(logcache.history_log(repository, "HEAD", cache)) == list(gitrepo.iter_log(repository))


def test_a_split_log_after_a_kept_commit_gives_the_same_entries(repository, cache, monkeypatch):
    chain = gitrepo.first_parent_chain(repository, git(repository, "rev-parse", "HEAD").strip())
    since = chain[2]
    whole = list(gitrepo.iter_log(repository, since=since))
    assert whole and all(e.commit.sha not in chain[:3] for e in whole)
    monkeypatch.setattr(gitrepo, "SPLIT_LOG_COMMITS", 1)
    assert list(gitrepo.iter_log(repository, parts=2, since=since)) == whole


def test_pin_and_the_history_checks_share_one_git_log(repository, cache, monkeypatch):
    expected = analyze(reference_history(repository))
    calls = _logs_spawned(monkeypatch)
    assert first_seen_roots(repository, "HEAD", cache) == (expected.first_seen, expected.commits)
    result, problems = read_history(repository, workers=2, cache=cache)
    assert problems == [] and result.changes == expected.changes and result.open == expected.open
    assert len(calls) == 1


def test_a_commit_walked_before_is_not_walked_again(repository, cache, monkeypatch):
    first, problems = read_history(repository, cache=cache)
    assert problems == []
    monkeypatch.setattr(load, "_walk", lambda *a, **k: pytest.fail("walked again"))
    again, problems = read_history(repository, cache=cache)
    assert problems == [] and again.changes == first.changes and again.open == first.open
    assert again.first_seen == first.first_seen and again.head == first.head


def test_pin_after_the_history_checks_reads_their_result_not_git_log(repository, cache, monkeypatch):
    expected = analyze(reference_history(repository))
    result, problems = read_history(repository, cache=cache)
    assert problems == [] and result.first_seen == expected.first_seen
    reads: list[str] = []
    real = firstseen.history_log

    def spy(root, rev="HEAD", cache=None, *, parts=1):
        reads.append(rev)
        return real(root, rev, cache, parts=parts)

    monkeypatch.setattr(firstseen, "history_log", spy)
    assert first_seen_roots(repository, "HEAD", cache) == (expected.first_seen, expected.commits)
    assert reads == []                          # answered from the kept result: no log, not even the kept one
    # The kept result is the head's: another commit's log is read, and answered as before.
    parent = git(repository, "rev-parse", "HEAD~1").strip()
    assert first_seen_roots(repository, parent, cache) == first_seen_roots(repository, parent)
    assert reads and reads[0] == parent


def test_a_shallow_clone_keeps_nothing(repository, cache, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repository}", str(clone)], check=True)
    result, problems = read_history(clone, cache=cache)
    assert [f.code for f in problems] == ["git.shallow"]
    assert list(logcache.history_log(clone, "HEAD", cache)) == list(gitrepo.iter_log(clone))
    assert not (cache.directory / logcache.KIND).exists() and not (cache.directory / load.RESULT_KIND).exists()
    assert result.head == git(repository, "rev-parse", "HEAD").strip()


def _pinned_then_a_feed(root: Path) -> tuple[World, list[str]]:
    """Two commits of one sovereign: pinned, then a revocation feed; the world and the commits."""
    world = World("alpha")
    world.pin_all()
    commits = commit_states(root, [world.files()])
    world["alpha"].set_feed(["att-1"])
    commits += commit_states(root, [world.files()], start=T0 + timedelta(days=1))
    return world, commits


def test_a_replace_ref_does_not_change_what_a_commit_id_stands_for(tmp_path, cache):
    """`git replace` swaps an object locally; the log read (and kept) under a commit id is the
    commit's own, not the replacement's."""
    world, commits = _pinned_then_a_feed(tmp_path)
    before = list(gitrepo.iter_log(tmp_path))
    world["alpha"].set_feed(["att-1", "att-2"])
    other = commit_states(tmp_path, [world.files()], start=T0 + timedelta(days=2))
    git(tmp_path, "replace", commits[-1], other[-1])
    assert git(tmp_path, "log", "-1", "--format=%H", commits[-1]).strip() == commits[-1]
    assert list(gitrepo.iter_log(tmp_path, commits[-1])) == before
    assert list(logcache.history_log(tmp_path, commits[-1], cache)) == before


def test_verify_keeps_its_history_findings_per_commit(repository, cache, monkeypatch):
    """check_history (what verify adds) equals the walk's findings, and a second run on the same
    commit reads them back without loading the walk's whole result."""
    result, problems = read_history(repository)
    expected = problems + load.history_findings(result)
    assert expected                                       # the repository has attacks still open
    assert load.check_history(repository, cache=cache) == expected
    monkeypatch.setattr(load, "read_history", lambda *a, **k: pytest.fail("read the history again"))
    assert load.check_history(repository, cache=cache) == expected


def test_history_findings_of_a_shallow_clone_are_not_kept(repository, cache, tmp_path):
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repository}", str(clone)], check=True)
    found = load.check_history(clone, cache=cache)
    assert "git.shallow" in [f.code for f in found]
    assert not any(cache.directory.iterdir())


def test_one_walk_result_is_kept_per_repository(repository, cache, monkeypatch):
    """The walk's result (33 MB at 10,000 commits) is kept for the latest commit walked only:
    a cache persisted across pushes does not grow by one per commit."""
    chain = gitrepo.first_parent_chain(repository, git(repository, "rev-parse", "HEAD").strip())
    older, newer = chain[-3], chain[-1]
    read_history(repository, older, cache=cache)
    read_history(repository, newer, cache=cache)
    assert len([p for p in (cache.directory / load.RESULT_KIND).rglob("*") if p.is_file()]) == 1
    walked: list[str] = []
    real = load._walk
    monkeypatch.setattr(load, "_walk", lambda *a, **k: walked.append(a[1]) or real(*a, **k))
    kept, _ = read_history(repository, newer, cache=cache)          # the latest: read back
    assert walked == [] and kept.head == newer
    again, _ = read_history(repository, older, cache=cache)         # an older one: walked again
    assert walked == [older] and again.head == older


def test_the_site_keeps_one_change_channel_per_repository(repository, cache, monkeypatch):
    """build remembers the change channel of the latest commit it read, and only that one."""
    from publisher.cli import cmd_build

    chain = gitrepo.first_parent_chain(repository, git(repository, "rev-parse", "HEAD").strip())
    read: list[str | None] = []
    real = cmd_build.read_change_channel
    monkeypatch.setattr(cmd_build, "read_change_channel", lambda root, commit, c=None, at=None: read.append(commit)
                        or real(root, commit, c, at=at))
    first = cmd_build.change_channel(repository, chain[-1], cache)
    assert cmd_build.change_channel(repository, chain[-1], cache) == first and read == [chain[-1]]
    assert first.entries == load.read_change_channel(repository, chain[-1]) and first.key is not None
    other = cmd_build.change_channel(repository, chain[-2], cache)
    assert read == [chain[-1], chain[-2]] and other.key not in (None, first.key)
    assert len([p for p in (cache.directory / cmd_build.CHANGES_KIND).rglob("*") if p.is_file()]) == 1


def test_a_grafts_file_does_not_change_what_a_commit_id_stands_for(tmp_path, cache):
    """`.git/info/grafts` (deprecated, still honoured by git) rewrites a commit's parents
    locally, as a replace ref does; the log read and kept under a commit id is the commit's own,
    and the history walk neither sees a cut-off history nor keeps one."""
    _, commits = _pinned_then_a_feed(tmp_path)
    before = list(gitrepo.iter_log(tmp_path))
    walked, _ = read_history(tmp_path)
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "grafts").write_text(commits[-1] + "\n")    # the head as a root commit
    assert git(tmp_path, "rev-list", "--count", "HEAD").strip() == "1"           # git itself now sees one commit
    assert list(gitrepo.iter_log(tmp_path)) == before
    assert list(logcache.history_log(tmp_path, "HEAD", cache)) == before
    kept, problems = read_history(tmp_path, cache=cache)
    assert problems == [] and kept == walked


def test_a_shallow_clone_keeps_no_change_channel(repository, cache, tmp_path):
    """A shallow clone's oldest commit reads as adding every file: the change channel it gives
    for a commit is not the commit's own, so it is never kept. Once the clone is deepened, the
    build reads the whole history for the same commit, as without a cache."""
    from publisher.cli import cmd_build

    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repository}", str(clone)], check=True)
    head = git(clone, "rev-parse", "HEAD").strip()
    shallow = cmd_build.change_channel(clone, head, cache)
    assert shallow.entries is not None and not (cache.directory / cmd_build.CHANGES_KIND).exists()
    assert shallow.key is None                       # nothing stands for a shallow clone's channel
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "--unshallow"], check=True)
    deepened = cmd_build.change_channel(clone, head, cache)
    assert deepened.entries == load.read_change_channel(repository, head) != shallow.entries
    assert deepened.key is not None
    assert (cache.directory / cmd_build.CHANGES_KIND).exists()           # a full history is kept
