"""Attacks too big or too strange to commit, built at test time in a temporary repository:
a 10 MB file, 10,000-deep nesting, symbolic links out of the tree, a named pipe, a file
swapped for a symlink between listing and reading. Each gives its exact code, never an
exception, and the hostile file is never read (a pipe read would block; a link is not followed).
"""
from __future__ import annotations

import os
import threading
from datetime import datetime, UTC
from pathlib import Path

import pytest

from hostile_repo import materialize
from hostile_world import ATTACKER, NOW, TREATY
from publisher import crypto, timestamps
from publisher.source import WorktreeSource
from publisher.verify import Verification, verify_repository

TEN_MB = 10 * 1024 * 1024


class RecordingSource(WorktreeSource):
    """The working tree, remembering which paths were read."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads: list[str] = []

    def read(self, path: str) -> bytes:
        self.reads.append(path)
        return super().read(path)


def verify(source: WorktreeSource) -> Verification:
    return verify_repository(source, at=NOW, workers=1)


def codes_at(result: Verification) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in result.findings}


def only(result: Verification, *expected: tuple[str, str]) -> None:
    assert "internal.check_failed" not in {f.code for f in result.findings}
    assert codes_at(result) == set(expected)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return materialize(tmp_path / "repo")


def test_ten_megabyte_treaty_is_refused_unread(repo: Path) -> None:
    big = repo / "sovereigns/alpha/treaties/huge.json"
    big.write_bytes(b'{"pad": "' + b"A" * (TEN_MB - 11) + b'"}')
    assert big.stat().st_size >= TEN_MB
    source = RecordingSource(repo)
    only(verify(source), ("limits.file_too_large", "sovereigns/alpha/treaties/huge.json"))
    assert "sovereigns/alpha/treaties/huge.json" not in source.reads


def test_ten_megabyte_trust_lock_is_refused_unread(repo: Path) -> None:
    (repo / "trust.lock").write_bytes(b" " * TEN_MB)
    source = RecordingSource(repo)
    result = verify(source)
    assert ("limits.file_too_large", "trust.lock") in codes_at(result)
    assert "trust.lock" not in source.reads
    assert "internal.check_failed" not in {f.code for f in result.findings}


@pytest.mark.parametrize("opener, closer", [(b"[", b"]"), (b'{"a":', b"}")], ids=["arrays", "objects"])
@pytest.mark.parametrize("depth", [65, 10_000, 100_000])
def test_deep_nesting_is_refused(repo: Path, opener: bytes, closer: bytes, depth: int) -> None:
    (repo / TREATY).write_bytes(opener * depth + b"1" + closer * depth)
    only(verify(RecordingSource(repo)), ("json.too_deep", TREATY))


def test_nesting_at_the_limit_is_parsed(repo: Path) -> None:
    """64 levels are allowed (the reference's strict parser); the document is then judged as a treaty."""
    (repo / TREATY).write_bytes(b"[" * 64 + b"1" + b"]" * 64)
    only(verify(RecordingSource(repo)), ("json.not_object", TREATY))


def test_symlink_out_of_the_tree_is_not_followed(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "outside.json"
    secret.write_text('{"stolen": true}')
    link = repo / "sovereigns/alpha/treaties/evil.json"
    link.symlink_to(secret)
    source = RecordingSource(repo)
    only(verify(source), ("layout.symlink_escape", "sovereigns/alpha/treaties/evil.json"))
    assert "sovereigns/alpha/treaties/evil.json" not in source.reads


def test_symlink_to_system_file_is_not_followed(repo: Path) -> None:
    (repo / "sovereigns/alpha/README.md").symlink_to("/etc/passwd")
    only(verify(RecordingSource(repo)), ("layout.symlink_escape", "sovereigns/alpha/README.md"))


def test_symlink_inside_the_tree_is_refused(repo: Path) -> None:
    (repo / "sovereigns/alpha/README.md").symlink_to("sovereign.json")
    only(verify(RecordingSource(repo)), ("layout.symlink", "sovereigns/alpha/README.md"))


def test_symlink_loop_is_reported_not_raised(repo: Path) -> None:
    """Path.resolve raises on a loop (RuntimeError on 3.11): verify must report the links."""
    folder = repo / "sovereigns/alpha"
    (folder / "loop-a.json").symlink_to("loop-b.json")
    (folder / "loop-b.json").symlink_to("loop-a.json")
    (folder / "self.json").symlink_to("self.json")
    source = RecordingSource(repo)
    only(verify(source), ("layout.symlink", "sovereigns/alpha/loop-a.json"),
         ("layout.symlink", "sovereigns/alpha/loop-b.json"), ("layout.symlink", "sovereigns/alpha/self.json"))
    assert not [p for p in source.reads if "loop" in p or "self" in p]


def test_symlink_chain_that_leaves_the_tree_is_an_escape(repo: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_text("{}")
    folder = repo / "sovereigns/alpha"
    (folder / "hop.json").symlink_to(tmp_path / "outside.json")
    (folder / "README.md").symlink_to("hop.json")      # inside-looking target, outside in the end
    only(verify(RecordingSource(repo)), ("layout.symlink_escape", "sovereigns/alpha/hop.json"),
         ("layout.symlink_escape", "sovereigns/alpha/README.md"))


def test_entry_gone_between_listing_and_lstat_is_not_read(repo: Path) -> None:
    """A file removed after the directory was listed but before its lstat: reported, not raised."""
    source = RecordingSource(repo)
    gone = repo / "sovereigns/alpha/vanishing.json"
    entry = source._entry(gone)                        # never existed: the lstat fails
    assert (entry.path, entry.type) == ("sovereigns/alpha/vanishing.json", "other")


def test_symlinked_sovereign_folder_is_not_followed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (repo / "sovereigns/beta").rename(outside)
    (repo / "sovereigns/beta").symlink_to(outside)
    result = verify(RecordingSource(repo))
    assert ("layout.symlink_escape", "sovereigns/beta") in codes_at(result)
    assert result.sovereign("beta") is None


def test_symlinked_sovereigns_directory_is_not_followed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (repo / "sovereigns").rename(outside)
    (repo / "sovereigns").symlink_to(outside)
    source = RecordingSource(repo)
    result = verify(source)
    assert ("layout.symlink_escape", "sovereigns") in codes_at(result)
    assert not [p for p in source.reads if p.startswith("sovereigns/")]


def test_symlinked_trust_lock_is_not_read(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "lock"
    (repo / "trust.lock").rename(outside)
    (repo / "trust.lock").symlink_to(outside)
    source = RecordingSource(repo)
    only(verify(source), ("layout.symlink_escape", "trust.lock"))
    assert "trust.lock" not in source.reads


def test_named_pipe_is_refused_without_blocking(repo: Path) -> None:
    os.mkfifo(repo / "sovereigns/alpha/treaties/pipe.json")
    box: dict[str, Verification] = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", verify(RecordingSource(repo))), daemon=True)
    worker.start()
    worker.join(120)    # a guard against a hang, not a speed assertion: opening a pipe blocks forever
    assert "r" in box, "verification blocked on a named pipe"
    only(box["r"], ("layout.not_regular", "sovereigns/alpha/treaties/pipe.json"))


@pytest.mark.parametrize("name", ["trust.lock", "coalition.json"])
def test_root_file_as_a_named_pipe_is_reported_not_taken_for_missing(repo: Path, name: str) -> None:
    (repo / name).unlink()
    os.mkfifo(repo / name)
    box: dict[str, Verification] = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", verify(RecordingSource(repo))), daemon=True)
    worker.start()
    worker.join(120)    # a guard against a hang, not a speed assertion
    assert "r" in box, "verification blocked on a named pipe"
    assert ("layout.not_regular", name) in codes_at(box["r"])
    assert not box["r"].ok


@pytest.mark.parametrize("name", ["trust.lock", "coalition.json"])
def test_root_file_as_a_directory_is_reported_not_taken_for_missing(repo: Path, name: str) -> None:
    (repo / name).unlink()
    (repo / name).mkdir()
    (repo / name / "inside.json").write_text("{}")
    source = RecordingSource(repo)
    result = verify(source)
    assert ("layout.not_regular", name) in codes_at(result)
    assert not result.ok
    assert not [p for p in source.reads if p.startswith(name)]


class SwappingSource(WorktreeSource):
    """Replaces one file by a symlink after it was listed and before it is read (a race)."""

    def __init__(self, root: Path, victim: str, target: Path) -> None:
        super().__init__(root)
        self.victim, self.target = victim, target

    def read(self, path: str) -> bytes:
        if path == self.victim and not (self.root / path).is_symlink():
            (self.root / path).unlink()
            (self.root / path).symlink_to(self.target)
        return super().read(path)


def test_file_swapped_for_symlink_after_listing_is_not_followed(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text('{"stolen": true}')
    only(verify(SwappingSource(repo, TREATY, outside)), ("layout.unreadable", TREATY))


class PipeSwappingSource(WorktreeSource):
    """Replaces one file by a named pipe after it was listed and before it is read (a race)."""

    def read(self, path: str) -> bytes:
        if path == TREATY and (self.root / path).is_file():
            (self.root / path).unlink()
            os.mkfifo(self.root / path)
        return super().read(path)


def test_file_swapped_for_a_named_pipe_after_listing_is_refused_without_blocking(repo: Path) -> None:
    box: dict[str, Verification] = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", verify(PipeSwappingSource(repo))), daemon=True)
    worker.start()
    worker.join(120)    # a guard against a hang, not a speed assertion: opening a pipe blocks forever
    assert "r" in box, "verification blocked on a named pipe swapped in after listing"
    only(box["r"], ("layout.unreadable", TREATY))


class FailingSource(WorktreeSource):
    def read(self, path: str) -> bytes:
        if path == TREATY:
            raise PermissionError(13, "Permission denied", path)
        return super().read(path)


def test_unreadable_file_is_a_finding(repo: Path) -> None:
    only(verify(FailingSource(repo)), ("layout.unreadable", TREATY))


def test_string_longer_than_the_limit_is_refused(repo: Path) -> None:
    (repo / TREATY).write_bytes(b'{"treaty_id": "' + b"x" * 70_000 + b'"}')
    only(verify(RecordingSource(repo)), ("limits.string_too_long", TREATY))


def test_process_pool_reports_exactly_what_one_process_reports(tmp_path: Path) -> None:
    """Past 64 sovereigns the verifier fans out to worker processes; hostile folders must give
    the same findings there (nothing lost or changed at the process boundary)."""
    from hostile_attacks import ATTACKS
    from hostile_world import Member, add_sovereign, baseline

    files = baseline()
    for index in range(66):
        add_sovereign(files, Member(f"member-{index:02d}"), f"member-{index:02d}")
    for name in ("treaty-signed-by-foreign-key", "json-lone-surrogate", "key-history-embeds-foreign-genesis",
                 "folder-bidi-override", "private-key-pem-file"):
        ATTACKS[name](files)
    repo = tmp_path / "many"
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    one = verify_repository(WorktreeSource(repo), at=NOW, workers=1)
    pool = verify_repository(WorktreeSource(repo), at=NOW, workers=2)
    assert len(one.sovereigns) == 69
    assert pool.findings == one.findings and pool.sovereigns == one.sovereigns
    assert {"sig.foreign_key", "json.lone_surrogate", "history.genesis_mismatch", "layout.deceptive_text",
            "redaction.private_key"} <= {f.code for f in one.findings}


def run_guarded(function, seconds: float = 120):   # type: ignore[no-untyped-def]
    """Run `function` in a daemon thread; None when it does not finish (a hang guard sized a
    thousand times the expected run, not a speed assertion)."""
    box: dict[str, object] = {}
    worker = threading.Thread(target=lambda: box.setdefault("r", function()), daemon=True)
    worker.start()
    worker.join(seconds)
    return box.get("r")


def test_long_hostile_links_do_not_backtrack(repo: Path) -> None:
    """Schema URL patterns once backtracked quadratically ('host+' then 'rest*' over the same
    characters): four 60,000-character links in a roll call took minutes. Now linear."""
    from hostile_world import ALPHA, dump, signed

    long_link = "https://" + "a" * 60_000 + " "
    parties = ALPHA.parties()
    for party in parties:
        party["contact"] = long_link
        party["url"] = long_link
    (repo / "sovereigns/alpha/roll-call.json").write_bytes(
        dump(signed(ALPHA.roll_call(parties), "roll-call", ALPHA.na)))
    result = run_guarded(lambda: verify(RecordingSource(repo)))
    assert result is not None, "verification did not finish: a pattern backtracks"
    assert {f.code for f in result.findings} == {"doc.malformed", "rollcall.unsafe_url"}


def _byte_path(repo: Path, relative: bytes) -> bytes:
    return os.fsencode(repo) + b"/" + relative


def test_file_name_not_utf8_is_one_finding_shown_in_ascii(repo: Path) -> None:
    """A name that is not UTF-8 is listed with surrogate escapes, which no UTF-8 writer (site
    page, report file) can encode: refused unread, reported under a `\\xNN` spelling."""
    with open(_byte_path(repo, b"sovereigns/alpha/treaties/\xff\xfe.json"), "wb") as handle:
        handle.write(b"{}")
    source = RecordingSource(repo)
    result = verify(source)
    only(result, ("layout.name_not_utf8", "sovereigns/alpha/treaties/\\xff\\xfe.json"))
    assert not [p for p in source.reads if "treaties/\udcff" in p]
    for f in result.findings:
        f.path.encode("utf-8"), f.message.encode("utf-8")


def test_folder_name_not_utf8_is_one_finding_for_the_folder(repo: Path) -> None:
    import shutil
    shutil.copytree(repo / "sovereigns/beta", os.fsdecode(_byte_path(repo, b"sovereigns/b\xffeta")))
    result = verify(RecordingSource(repo))
    only(result, ("layout.name_not_utf8", "sovereigns/b\\xffeta"))
    assert [s.id for s in result.sovereigns] == ["alpha", "beta"]


def test_site_builds_over_a_name_not_utf8(repo: Path) -> None:
    from publisher.site.build import build_site
    from tests.site.site_golden import provenance
    with open(_byte_path(repo, b"sovereigns/alpha/\xff.txt"), "wb") as handle:
        handle.write(b"hi")
    with open(_byte_path(repo, b"sovereigns/\xe9"), "wb") as handle:
        handle.write(b"loose")
    result = verify(WorktreeSource(repo))
    only(result, ("layout.name_not_utf8", "sovereigns/alpha/\\xff.txt"),
         ("layout.name_not_utf8", "sovereigns/\\xe9"))
    site = build_site(result, WorktreeSource(repo), provenance(evaluated_at=NOW, allow_errors=True))
    assert all(path.isprintable() and "\\" not in path for path in site.files)


def test_long_hostile_strings_are_never_memoised() -> None:
    """The timestamp and public-key memos keep up to 65,536 entries each. Long distinct strings,
    which a few compressed MB of pushed documents can hold, must not stay in memory through them
    (a coverage-guided fuzz run grew past 1.4 GB this way). Strings of a real timestamp's or
    key's length still are answered, and the longest timestamp either pattern accepts too."""
    memos = (timestamps._is_canonical, timestamps._parse, crypto._decode_public_key)
    before = [memo.cache_info().currsize for memo in memos]
    for n in range(50):
        stamp = "2026-11-23T12:00:00Z" + "0" * (100 + n)
        assert timestamps.parse(stamp) is None and not timestamps.is_canonical(stamp)
        assert crypto.decode_public_key("A" * (100 + n)) is None and not crypto.is_public_key("A" * (45 + n))
    assert [memo.cache_info().currsize for memo in memos] == before
    longest = "2026-11-23T12:00:00.123456789+05:30"
    assert len(longest) == 35 and timestamps.parse(longest) == datetime(2026, 11, 23, 6, 30, 0, 123456, tzinfo=UTC)
    assert timestamps.is_canonical("2026-11-23T12:00:00.123456+05:30")
    assert crypto.decode_public_key(ATTACKER.public) is not None
