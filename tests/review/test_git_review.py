"""Review against real git: the pull-request scenario, exit codes, and cost per changed file."""
from __future__ import annotations

import json

import pytest
from tests.history.trustrepo import NOW, Sov, World, commit_states, git, tid

from publisher.cli import main
from publisher.review.collect import collect_review
from publisher.review.render import render_markdown

AT = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")


def base_world() -> World:
    world = World("alpha", "beta")
    world["alpha"].treaty("t1", world["beta"], roles=["role:client"])
    world["alpha"].set_feed(["att-1", "att-2"])
    world.pin_all()
    return world


def pull_request(tmp_path):
    """main: a clean coalition; the branch swaps alpha's root, widens t1 and un-revokes att-2."""
    world = base_world()
    commit_states(tmp_path, [world.files()])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    world["alpha"].set_root("mallory-root")
    world["alpha"].resign(tid("alpha:t1"), allowed_roles=["role:client", "role:operator"])
    world["alpha"].set_feed(["att-1"], sequence=3)
    commit_states(tmp_path, [world.files()])
    return world


def test_pull_request_review_ranks_the_three_attacks_first(tmp_path, capsys):
    pull_request(tmp_path)
    review = collect_review(tmp_path, "main", "pr", at=NOW)
    top = [c for c in review.changes if c.level in ("critical", "high") and c.code.startswith("change.")
           and c.code != "change.finding_introduced"]
    codes = [c.code for c in top]
    assert set(codes[:2]) == {"change.feed_entry_removed", "change.root_key_changed"}
    assert "change.scope_widened" in codes
    assert [c.level for c in review.changes] == sorted((c.level for c in review.changes),
                                                      key=["critical", "high", "medium", "low", "info"].index)
    text = render_markdown(review)
    table = text.split("| --- | --- | --- |", 1)[1].split("\n\n", 1)[0]
    assert "alpha's revocation feed no longer revokes att-2." in table
    assert "no rotation record signed by the old root" in table
    assert "now also grants role:operator" in table
    assert text.index("<details>") > text.index("| Level | Change | File |")


@pytest.mark.parametrize("level, expected", [("critical", 1), ("high", 1), (None, 0)])
def test_fail_on_sets_the_exit_status(tmp_path, capsys, level, expected):
    pull_request(tmp_path)
    args = ["review", "main", "pr", "--repo", str(tmp_path), "--at", AT]
    assert main(args + (["--fail-on", level] if level else [])) == expected


def test_benign_change_passes_fail_on_high(tmp_path, capsys):
    world = base_world()
    commit_states(tmp_path, [world.files()])
    world["alpha"].treaty("t2", world["beta"], roles=["role:bridge"])
    commit_states(tmp_path, [world.files()])
    assert main(["review", "HEAD~1", "HEAD", "--repo", str(tmp_path), "--at", AT,
                 "--format", "json", "--fail-on", "high"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert [c["code"] for c in report["changes"]] == ["change.treaty_issued"]
    assert report["summary"] == {"critical": 0, "high": 0, "medium": 1, "low": 0, "info": 0}


def test_unknown_ref_is_misuse_not_a_traceback(tmp_path, capsys):
    commit_states(tmp_path, [base_world().files()])
    assert main(["review", "no-such-ref", "--repo", str(tmp_path)]) == 2
    assert "unknown revision" in capsys.readouterr().err


def test_an_unknown_ref_says_what_to_do(tmp_path, capsys):
    """A newcomer's `review origin/main` in a clone that never fetched it, or a typo, got only
    git's "unknown revision": the error now says how to fetch it, or the names it resembles."""
    commits = commit_states(tmp_path, [base_world().files()])
    git(tmp_path, "remote", "add", "origin", "https://example.invalid/registry.git")
    branch = git(tmp_path, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(tmp_path, "remote", "add", "team/upstream", "https://example.invalid/upstream.git")
    cases = {"origin/main": "git fetch origin main",
             "team/upstream/release/1": "git fetch team/upstream release/1",
             branch[:-1] + branch[-1] * 2: f"did you mean {branch!r}?",
             "upstream/main": f"branches here: {branch}"}
    for ref, hint in cases.items():
        assert main(["review", ref, "--repo", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert f"unknown revision {ref!r}" in err and hint in err, err
    assert main(["review", commits[0], "no-such-head", "--repo", str(tmp_path)]) == 2
    assert "unknown revision 'no-such-head'" in capsys.readouterr().err


def test_an_unknown_ref_hint_escapes_the_names_it_lists(tmp_path, capsys):
    """Branch names come from the clone (a hostile one too): a bidi override or other invisible
    character in one is escaped in the hint, as everywhere a terminal line quotes such text."""
    commit_states(tmp_path, [base_world().files()])
    git(tmp_path, "branch", "ma\u202ein")
    assert main(["review", "zzzzzzzz", "--repo", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "\u202e" not in err and "ma\\u202ein" in err, err


def test_an_output_it_cannot_write_is_misuse_not_a_traceback(tmp_path, capsys):
    pull_request(tmp_path)
    (tmp_path / "out").mkdir()
    assert main(["review", "main", "pr", "--repo", str(tmp_path), "--at", AT, "--output", str(tmp_path / "out")]) == 2
    assert "cannot write --output" in capsys.readouterr().err


def test_merge_base_reviews_only_what_the_branch_changed(tmp_path):
    world = base_world()
    commit_states(tmp_path, [world.files()])
    git(tmp_path, "checkout", "-q", "-b", "pr")
    world["alpha"].treaty("t2", world["beta"], roles=["role:bridge"])
    commit_states(tmp_path, [world.files()])
    git(tmp_path, "checkout", "-q", "main")
    main_world = base_world()
    main_world.sovereigns["gamma"] = Sov("gamma")
    main_world.members.append("gamma")
    commit_states(tmp_path, [main_world.files()])
    plain = collect_review(tmp_path, "main", "pr", at=NOW)
    merge = collect_review(tmp_path, "main", "pr", at=NOW, use_merge_base=True)
    assert "change.sovereign_removed" in {c.code for c in plain.changes}
    assert {c.code for c in merge.changes} == {"change.treaty_issued"}


def _big_world(count: int) -> World:
    world = World(*[f"s{i:03d}" for i in range(count)])
    for i in range(count):
        world[f"s{i:03d}"].treaty("t", world[f"s{(i + 1) % count:03d}"])
    world.pin_all()
    return world


def _one_file_review(root, count):
    world = _big_world(count)
    commit_states(root, [world.files()])
    world["s001"].resign(tid("s001:t"), allowed_roles=["role:client", "role:bridge"])
    commit_states(root, [world.files()])
    return world, collect_review(root, "HEAD~1", "HEAD", at=NOW)


def test_one_file_change_reads_only_what_it_touches(tmp_path):
    small_world, small = _one_file_review(tmp_path / "small", 4)
    _, large = _one_file_review(tmp_path / "large", 40)
    for review in (small, large):
        assert review.sovereigns == ("s001",)
        assert [c.code for c in review.changes] == ["change.scope_widened"]
    # Cost follows the change: ten times the sovereigns, the same cat-file requests.
    assert small.stats["blobs_read"] == large.stats["blobs_read"]
    folder = [p for p in small_world.files() if p.startswith("sovereigns/s001/")]
    new_versions = 2                         # the treaty file and the issuer's rows file
    subject_key_files = 2                    # s002's genesis.signed.json and keys/root.pub
    repository_files = 2                     # trust.lock (pins) and coalition.json (membership)
    assert small.stats["changed_paths"] == 2
    assert small.stats["blobs_read"] == len(folder) + new_versions + subject_key_files + repository_files


def test_an_index_file_unchanged_between_base_and_head_is_parsed_once(tmp_path, monkeypatch):
    """trust.lock and coalition.json are a megabyte each at 10,000 sovereigns: a review whose
    change leaves them alone parses each once, not once per commit, and says the same."""
    import publisher.review.collect as collect
    pull_request(tmp_path)
    expected = collect_review(tmp_path, "main", "pr", at=NOW)
    parsed: list[str] = []
    real = collect.parse_document

    def counting(data, *limits, path=""):
        parsed.append(path)
        return real(data, *limits, path=path)

    monkeypatch.setattr(collect, "parse_document", counting)
    assert collect_review(tmp_path, "main", "pr", at=NOW) == expected
    assert parsed.count("trust.lock") == 1


def test_names_not_utf8_are_reported_and_every_output_can_be_written(tmp_path, capsys):
    """git lists names that are not UTF-8 with surrogate escapes: the review reports each as
    `layout.name_not_utf8` spelled in ASCII, and its JSON, markdown and --output all encode."""
    import os
    import shutil
    world = base_world()
    commit_states(tmp_path, [world.files()])
    root = os.fsencode(tmp_path)
    with open(root + b"/sovereigns/alpha/treaties/\xff\xfe.json", "wb") as handle:
        handle.write(b"{}")
    shutil.copytree(tmp_path / "sovereigns/beta", os.fsdecode(root + b"/sovereigns/b\xe9ta"))
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "names that are not UTF-8")
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert {(c.subject, c.path) for c in review.changes} == {
        ("layout.name_not_utf8", "sovereigns/alpha/treaties/\\xff\\xfe.json"),
        ("layout.name_not_utf8", "sovereigns/b\\xe9ta"),
    }
    assert "\\xff\\xfe" in render_markdown(review)
    out = tmp_path / "review.md"
    for fmt in ("markdown", "json"):
        assert main(["review", "HEAD~1", "HEAD", "--repo", str(tmp_path), "--at", AT, "--format", fmt,
                     "--output", str(out)]) == 0
        out.read_bytes().decode("utf-8")
    capsys.readouterr().out.encode("utf-8")


def test_an_oversized_blob_is_never_read_whole(tmp_path, monkeypatch):
    """git stores a file of spaces a thousand times smaller than it is: a pull request can add
    gigabytes that cost nothing to push. Review reads no blob past its size bound (this one
    took 600 MB of memory at 300 MB), and still reports the file as too large."""
    from publisher import gitrepo
    from publisher.limits import DEFAULT_LIMITS, read_bound
    world = base_world()
    commit_states(tmp_path, [world.files()])
    feed = "sovereigns/alpha/revocation-feed.json"
    lock_bound, feed_bound = read_bound(DEFAULT_LIMITS, "trust.lock"), read_bound(DEFAULT_LIMITS, feed)
    (tmp_path / feed).write_bytes(b" " * (feed_bound + 1))
    (tmp_path / "trust.lock").write_bytes(b" " * (lock_bound + 1))
    git(tmp_path, "commit", "-q", "-am", "huge files")
    largest = []
    real = gitrepo.BlobReader.read_many

    def spy(self, object_ids, *, max_bytes=None):
        found = real(self, object_ids, max_bytes=max_bytes)
        largest.extend(len(data) for data in found.values())
        return found

    monkeypatch.setattr(gitrepo.BlobReader, "read_many", spy)
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert feed_bound + 1 not in largest and lock_bound + 1 not in largest
    assert ("limits.file_too_large", feed) in {(c.subject, c.path) for c in review.changes}


@pytest.mark.parametrize("paths", [["sovereigns/gamma"], ["sovereigns/alpha"], ["trust.lock"], ["coalition.json"],
                                   ["sovereigns"], ["sovereigns/gamma", "coalition.json"]])
def test_a_submodule_where_trust_material_belongs_is_reported_as_verify_reports_it(tmp_path, capsys, paths):
    """A git submodule (a gitlink, mode 160000) named like a sovereign folder or a trust path: review
    reports the finding verify --rev gives for it, with verify's code, ranked by its severity."""
    commit_states(tmp_path, [base_world().files()])
    head = git(tmp_path, "rev-parse", "HEAD").strip()
    for path in paths:
        git(tmp_path, "rm", "-rq", "--cached", "--ignore-unmatch", path)
        git(tmp_path, "update-index", "--add", "--cacheinfo", f"160000,{head},{path}")
    git(tmp_path, "commit", "-qm", "submodules")
    main(["verify", str(tmp_path), "--rev", "HEAD", "--at", AT, "--no-history", "--format", "json"])
    verified = {(f["path"], f["code"], f["severity"]) for f in json.loads(capsys.readouterr().out)["findings"]
                if f["path"] in paths and f["code"] in ("layout.unexpected_file", "layout.not_regular")}
    assert {path for path, _, _ in verified} == set(paths)
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    introduced = {(c.path, c.subject, c.level) for c in review.changes
                  if c.code == "change.finding_introduced" and c.path in paths and c.subject.startswith("layout.")}
    level = {"error": "high", "warning": "medium"}
    assert introduced == {(path, code, level[severity]) for path, code, severity in verified}


@pytest.mark.parametrize("subject", ["\x00lpha", "beta\x00", "beta/keys", "..", "."],
                         ids=["nul-first", "nul-last", "slash", "dotdot", "dot"])
def test_a_treaty_subject_that_cannot_name_a_folder_is_external_not_a_crash(tmp_path, capsys, subject):
    """A treaty's subject_sovereign_id names the folder whose keys review reads from git: a NUL
    in it made `git ls-tree` raise ValueError (embedded null byte) out of `handshake review`
    (found by bench/fuzz.py --command review). No folder has such a name, in git or in a work
    tree: the subject is external, as verify finds it."""
    world = base_world()
    commit_states(tmp_path, [world.files()])
    world["alpha"].resign(tid("alpha:t1"), subject_sovereign_id=subject)
    commit_states(tmp_path, [world.files()])
    status = main(["review", "HEAD~1", "HEAD", "--repo", str(tmp_path), "--at", AT, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    introduced = {c["subject"] for c in report["changes"] if c["code"] == "change.finding_introduced"}
    assert "treaty.external_subject" in introduced


@pytest.mark.parametrize("member_id", [["beta"], {}, []], ids=["list", "dict", "empty-list"])
def test_a_coalition_member_id_that_is_not_a_string_is_reported_not_a_crash(tmp_path, capsys, member_id):
    """coalition.json's members are matched to the sovereigns a change touches by sovereign_id: an
    id that is a list or an object raised TypeError (unhashable type) out of `handshake review`
    (found by bench/fuzz.py --command review). Such a member is no affected sovereign's."""
    world = base_world()
    commit_states(tmp_path, [world.files()])
    files = world.files()
    coalition = json.loads(files["coalition.json"])
    coalition["members"][1]["sovereign_id"] = member_id
    files["coalition.json"] = json.dumps(coalition).encode()
    files["sovereigns/alpha/sovereign.json"] = files["sovereigns/alpha/sovereign.json"].replace(b"}", b"} ", 1)
    commit_states(tmp_path, [files])
    status = main(["review", "HEAD~1", "HEAD", "--repo", str(tmp_path), "--at", AT, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == 0
    assert [(c["code"], c["subject"]) for c in report["changes"]] == [       # as verify finds them
        ("change.member_removed", "beta"), ("change.finding_introduced", "doc.malformed"),
        ("change.finding_introduced", "coalition.unlisted_sovereign")]
    main(["verify", str(tmp_path), "--at", AT, "--no-history", "--format", "json"])
    found = {(f["code"], f["path"]) for f in json.loads(capsys.readouterr().out)["findings"]}
    assert {("coalition.unlisted_sovereign", "sovereigns/beta"), ("doc.malformed", "coalition.json")} <= found


@pytest.mark.parametrize("where", ["folder", "coalition"])
def test_an_unexpected_exception_in_a_check_is_reported_not_a_traceback(tmp_path, capsys, monkeypatch, where):
    """As in verify, a check that raises on hostile content is `internal.check_failed`, found by
    the review, never an exception out of `handshake review`: review called a folder's checks
    and the coalition-wide ones with no boundary of their own."""
    pull_request(tmp_path)
    from publisher.review import collect
    from publisher.verify import coalition
    original = collect.verify_sovereign if where == "folder" else coalition.check_cross_references
    seen: list[object] = []

    def broken(*args, **kwargs):
        # Review verifies the base, then the head: fail at the head only, so the finding is new.
        key = args[0] if where == "folder" else "coalition"
        if key in seen:
            raise TypeError("unhashable type: 'list'")
        seen.append(key)
        return original(*args, **kwargs)

    if where == "folder":
        monkeypatch.setattr(collect, "verify_sovereign", broken)
    else:
        monkeypatch.setattr(coalition, "check_cross_references", broken)
    status = main(["review", "main", "pr", "--repo", str(tmp_path), "--at", AT, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    introduced = [c for c in report["changes"] if c["code"] == "change.finding_introduced"]
    failures = [c for c in introduced if "internal.check_failed" in json.dumps(c)]
    assert status == 0 and failures, report["changes"]
    assert all("unhashable type" in json.dumps(c) for c in failures)
    assert any(c["code"] == "change.root_key_changed" for c in report["changes"])   # the rest still reported


@pytest.mark.parametrize("path, edit, code", [
    ("coalition.json", lambda doc: doc["members"][1].__setitem__("sovereign_id", ["beta"]), "doc.malformed"),
    ("coalition.json", lambda doc: doc["members"].append(dict(doc["members"][0])), "coalition.duplicate_member"),
    ("trust.lock", lambda doc: doc["sovereigns"]["beta"].__setitem__("root_public_key", 42), "key.malformed"),
])
def test_a_changed_root_file_is_checked_whole_as_verify_checks_it(tmp_path, capsys, path, edit, code):
    """Review validated only the coalition members its change touched, and trust.lock not at all:
    a pull request that broke an untouched member's entry got 'beta is no longer a member' where
    verify reports the file as malformed. A changed root file now gets verify's own findings."""
    world = base_world()
    commit_states(tmp_path, [world.files()])
    files = world.files()
    document = json.loads(files[path])
    edit(document)
    files[path] = json.dumps(document).encode()
    commit_states(tmp_path, [files])
    main(["review", "HEAD~1", "HEAD", "--repo", str(tmp_path), "--at", AT, "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    introduced = [c for c in report["changes"] if c["code"] == "change.finding_introduced" and c["path"] == path]
    assert any(code in json.dumps(c) for c in introduced), [(c["code"], c["path"]) for c in report["changes"]]
    verified = main(["verify", str(tmp_path), "--at", AT, "--format", "json", "--no-history"])
    found = json.loads(capsys.readouterr().out)["findings"]
    assert verified == 1 or code == "coalition.duplicate_member"
    assert any(f["code"] == code and f["path"] == path for f in found)      # the same finding as verify's


@pytest.mark.parametrize("where", ["folder", "subjects"])
def test_a_git_failure_inside_the_boundaries_is_still_a_git_error(tmp_path, capsys, monkeypatch, where):
    """The boundaries that turn a check's exception into `internal.check_failed` must not take in
    git's own failures (reading a subject's trees, a folder's blobs): those stay what they were,
    `handshake review` naming git's error with exit status 2, not a Handshake bug in the report."""
    from publisher import gitrepo
    from publisher.review import collect
    pull_request(tmp_path)

    def failing(*args, **kwargs):
        raise gitrepo.GitError("git cat-file failed: object not found")

    monkeypatch.setattr(collect, "verify_sovereign" if where == "folder" else "_subjects", failing)
    status = main(["review", "main", "pr", "--repo", str(tmp_path), "--at", AT, "--format", "json"])
    captured = capsys.readouterr()
    assert status == 2 and "object not found" in captured.err and captured.out == ""


def _introduced(review, code):
    return [c for c in review.changes if c.code == "change.finding_introduced" and c.subject == code]


@pytest.mark.parametrize("end, change, restated", [
    (lambda w: w["alpha"].revoke(tid("alpha:t1"), "key_compromise"), "change.treaty_revoked", "treaty.revoked"),
    (lambda w: (w["alpha"].treaty("t1b", w["beta"], roles=["role:client"], metadata={"renew_of": tid("alpha:t1")}),
                w["alpha"].revoke(tid("alpha:t1"), f"renewed_by:{tid('alpha:t1b')}")),
     "change.treaty_renewed", "treaty.replaced"),
    (lambda w: (w["alpha"].treaty("t1c", w["beta"], roles=["role:bridge"], metadata={"replace_of": tid("alpha:t1")}),
                w["alpha"].revoke(tid("alpha:t1"), f"replaced_by:{tid('alpha:t1c')}")),
     "change.treaty_replaced", "treaty.replaced"),
], ids=["revoked", "renewed", "replaced"])
def test_a_treaty_ended_by_a_listed_change_is_not_listed_again_as_a_finding(tmp_path, end, change, restated):
    """The revocation, renewal or replacement is the change; verification's info finding that
    the old treaty is revoked or replaced says it again, and is left out."""
    world = base_world()
    commit_states(tmp_path, [world.files()])
    end(world)
    commit_states(tmp_path, [world.files()])
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert change in [c.code for c in review.changes]
    assert _introduced(review, restated) == []


def _unrevoke(world):
    world["alpha"].rows[tid("alpha:t1")] = {"status": "active", "revoked_at": None, "revocation_reason": None}


@pytest.mark.parametrize("before, edit, code, named", [
    (None, lambda w: w["alpha"].revoke(tid("alpha:t1"), "key_compromise"), "change.treaty_revoked",
     "recognition-treaties.json"),
    (None, lambda w: w["alpha"].resign(tid("alpha:t1"), status="revoked"), "change.treaty_revoked",
     f"treaties/{tid('alpha:t1')}.json"),
    (lambda w: w["alpha"].revoke(tid("alpha:t1"), "key_compromise"), _unrevoke, "change.treaty_unrevoked",
     "recognition-treaties.json"),
], ids=["row revoked", "document re-signed revoked", "row unrevoked"])
def test_a_lifecycle_change_names_the_file_that_carries_it(tmp_path, before, edit, code, named):
    """A revocation is usually written in the issuer's row only: the review's File column names
    that file, one the pull request changed, not the treaty's untouched document."""
    world = base_world()
    if before is not None:
        before(world)
    commit_states(tmp_path, [world.files()])
    edit(world)
    commit_states(tmp_path, [world.files()])
    changed = git(tmp_path, "diff", "--name-only", "HEAD~1", "HEAD").split()
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    [change] = [c for c in review.changes if c.code == code]
    assert change.path == f"sovereigns/alpha/{named}"
    assert change.path in changed


def test_a_lifecycle_finding_no_listed_change_explains_is_kept(tmp_path):
    """A treaty revoked at the base whose document moves: the finding is new (another file),
    no change ends the treaty, so the finding stays."""
    world = base_world()
    world["alpha"].revoke(tid("alpha:t1"), "key_compromise")
    commit_states(tmp_path, [world.files()])
    files = dict(world.files())
    old = next(p for p in files if p.startswith("sovereigns/alpha/treaties/"))
    files[old.replace("treaties/", "treaties/moved-")] = files.pop(old)
    commit_states(tmp_path, [files])
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert "change.treaty_revoked" not in [c.code for c in review.changes]
    assert [c.path for c in _introduced(review, "treaty.revoked")] == [old.replace("treaties/", "treaties/moved-")]


def test_a_renewal_inherits_what_verification_said_of_the_treaty_it_renews(tmp_path):
    """alpha's treaty names gamma, which is not published here: the renewal names it too, and
    that is not news. A finding the renewal brings is still listed."""
    world = base_world()
    gamma = Sov("gamma")
    old = world["alpha"].treaty("tg", gamma, roles=["role:client"])
    commit_states(tmp_path, [world.files()])
    new = world["alpha"].treaty("tg2", gamma, roles=["role:client"], metadata={"renew_of": old})
    world["alpha"].revoke(old, f"renewed_by:{new}")
    commit_states(tmp_path, [world.files()])
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert "change.treaty_renewed" in [c.code for c in review.changes]
    assert _introduced(review, "treaty.external_subject") == []
    assert [c.code for c in review.changes if c.code != "change.treaty_renewed"] == []

    issued = world["alpha"].treaty("tg3", gamma, roles=["role:client"])     # a new treaty: its finding is new
    commit_states(tmp_path, [world.files()])
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert [c.path for c in _introduced(review, "treaty.external_subject")] == [
        next(c.path for c in review.changes if c.code == "change.treaty_issued" and c.subject == issued)]


def _bad_signature(data: bytes) -> bytes:
    document = json.loads(data)
    document["signatures"][0]["sig"] = document["signatures"][0]["sig"][::-1]
    return json.dumps(document, indent=2).encode()


def test_a_renewal_never_inherits_an_error(tmp_path):
    """A successor's bad signature is listed even where the treaty it renews had one."""
    world = base_world()
    commit_states(tmp_path, [world.files()])
    files = dict(world.files())
    old = next(p for p in files if p.startswith("sovereigns/alpha/treaties/"))
    old_broken = _bad_signature(files[old])
    commit_states(tmp_path, [{**files, old: old_broken}])
    new = world["alpha"].treaty("t1r", world["beta"], roles=["role:client"], metadata={"renew_of": tid("alpha:t1")})
    world["alpha"].revoke(tid("alpha:t1"), f"renewed_by:{new}")
    files = dict(world.files())
    renewal = next(p for p in files if p.endswith(f"{new}.json"))
    commit_states(tmp_path, [{**files, old: old_broken, renewal: _bad_signature(files[renewal])}])
    review = collect_review(tmp_path, "HEAD~1", "HEAD", at=NOW)
    assert "change.treaty_renewed" in [c.code for c in review.changes]
    assert {c.path for c in _introduced(review, "sig.malformed")} == {renewal}
