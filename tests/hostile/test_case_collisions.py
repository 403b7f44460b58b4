"""Names that differ only by letter case or Unicode normalization. Git and Linux keep both; a
checkout on macOS or Windows keeps one, whichever git wrote last, so a hostile `Treaties/`
(an older, validly signed copy) could stand in for `treaties/` there. Verification on any
system reports the pair as an error."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hostile_git import baseline, git
from hostile_repo import materialize
from publisher.verify import verify_path
from tests.history.trustrepo import NOW


def collisions(repo: Path) -> list[tuple[str, str]]:
    found = verify_path(repo, at=NOW, workers=1).findings
    return [(f.path, f.severity.value) for f in found if f.code == "layout.case_collision"]


def _copy(repo: Path, source: str, target: str) -> None:
    (repo / target).parent.mkdir(parents=True, exist_ok=True)
    if (repo / source).is_dir():
        shutil.copytree(repo / source, repo / target)
    else:
        shutil.copyfile(repo / source, repo / target)


def test_a_clean_repository_has_no_collision(tmp_path: Path) -> None:
    assert collisions(materialize(tmp_path / "repo")) == []


@pytest.mark.parametrize(("source", "target", "reported"), [
    ("sovereigns/alpha/treaties", "sovereigns/alpha/Treaties", "sovereigns/alpha/treaties"),
    ("sovereigns/alpha/recognition-treaties.json", "sovereigns/alpha/Recognition-Treaties.json",
     "sovereigns/alpha/recognition-treaties.json"),
    ("sovereigns/alpha/keys/root.pub", "sovereigns/alpha/KEYS/root.pub", "sovereigns/alpha/keys"),
    ("sovereigns/beta", "sovereigns/Beta", "sovereigns/beta"),
], ids=["folder", "file", "folder of one file", "sovereign"])
def test_a_name_beside_its_case_variant_is_an_error(tmp_path: Path, source: str, target: str,
                                                     reported: str) -> None:
    repo = materialize(tmp_path / "repo")
    _copy(repo, source, target)
    assert collisions(repo) == [(reported, "error")]


def test_unicode_normalization_variants_collide(tmp_path: Path) -> None:
    """macOS file systems also compare names after normalization: é precomposed and e + U+0301."""
    repo = materialize(tmp_path / "repo")
    folder = repo / "sovereigns/alpha/treaties"
    (folder / "caf\u00e9.json").write_bytes(b"{}\n")
    (folder / "cafe\u0301.json").write_bytes(b"{}\n")
    assert collisions(repo) == [("sovereigns/alpha/treaties/caf\u00e9.json", "error")]


def test_a_committed_case_variant_is_an_error_under_rev(tmp_path: Path) -> None:
    """The same pair committed: `verify --rev` reads git's tree, which holds both."""
    from publisher.gitsource import GitSource
    from publisher.verify import verify_repository

    repo = baseline(tmp_path / "repo")
    _copy(repo, "sovereigns/alpha/treaties", "sovereigns/alpha/Treaties")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a case variant")
    found = verify_repository(GitSource(repo, "HEAD"), at=NOW, workers=1).findings
    assert [(f.path, f.code) for f in found if f.code == "layout.case_collision"] == \
        [("sovereigns/alpha/treaties", "layout.case_collision")]


@pytest.mark.parametrize(("folder", "file"), [
    ("sovereigns/alpha/treaties", "sovereigns/alpha/TREATIES"),
    ("sovereigns/alpha/treaties", "sovereigns/alpha/Treaties"),
    ("sovereigns/alpha", "sovereigns/Alpha"),
], ids=["upper", "capitalized", "sovereign"])
def test_a_file_beside_a_folder_of_its_case_variant_is_an_error(tmp_path: Path, folder: str, file: str) -> None:
    """A file `Treaties` beside the folder `treaties/`: a case-insensitive checkout holds one
    of them, and git replaces the other (a folder it removes takes its documents with it)."""
    repo = materialize(tmp_path / "repo")
    (repo / file).write_bytes(b"{}\n")
    assert collisions(repo) == [(folder, "error")]


@pytest.mark.parametrize("name", ["Sovereigns/alpha/treaties/extra.json", "TRUST.LOCK", "Coalition.json"])
def test_a_top_level_case_variant_of_a_trust_path_is_an_error(tmp_path: Path, name: str) -> None:
    """`Sovereigns/` beside `sovereigns/` is never read here, and merged into it on macOS."""
    repo = materialize(tmp_path / "repo")
    (repo / name).parent.mkdir(parents=True, exist_ok=True)
    (repo / name).write_bytes(b"{}\n")
    top = name.split("/")[0]
    assert collisions(repo) == [(top, "error")]


def test_a_top_level_variant_is_found_by_a_remembered_verification_too(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The check reads the top of the tree on every run: a snapshot remembered before the
    variant appeared (its fingerprint covers only the trust paths) does not hide it."""
    from publisher import source
    from publisher.cache import Cache

    monkeypatch.setattr(source, "RACY_NS", 0)        # the files were just written: vouch for them
    repo = materialize(tmp_path / "repo")
    cache = Cache(tmp_path / "cache", b"k" * 32)
    first = verify_path(repo, at=NOW, workers=1, cache=cache)
    (repo / "Sovereigns").mkdir()
    again = verify_path(repo, at=NOW, workers=1, cache=cache)
    codes = [f.code for f in again.findings if f not in first.findings]
    assert codes == ["layout.case_collision"]
    assert type(again).__name__ == "_Remembered"        # answered from the snapshot


def test_a_committed_top_level_variant_is_an_error_under_rev(tmp_path: Path) -> None:
    from publisher.gitsource import GitSource
    from publisher.verify import verify_repository

    repo = baseline(tmp_path / "repo")
    (repo / "Coalition.json").write_bytes(b"{}\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a case variant at the top")
    found = verify_repository(GitSource(repo, "HEAD"), at=NOW, workers=1).findings
    assert [(f.path, f.code) for f in found if f.code == "layout.case_collision"] == \
        [("Coalition.json", "layout.case_collision")]
