"""The review's new findings are verify's: a differential test on generated pull requests.

A review verifies only what a change reaches (the changed folders, the sovereigns their
treaties name, the folders that name a sovereign whose keys changed), so it can miss what
verification of the whole head says. For each seed a coalition is built and committed, a
pull request made of random edits is committed on top, and the findings `handshake verify`
reports on the head and not on the base are compared with the review's
`change.finding_introduced` lines, both ways. The edits are those of real pull requests and
of attacks: treaties issued, revoked, widened or pinning a wrong key, roots swapped or
rotated (well or badly), NA keys replaced, folders removed, feeds rolled back, recognition
policies, corrupted bytes, members dropped, pins rewritten, coalition.json removed or restored.

`HANDSHAKE_DIFFERENTIAL_SEEDS=100-999` runs other seeds, as for the other differential tests
(tests/interop/seeds.py).
"""
from __future__ import annotations

import json
import random
import re
from collections import Counter

import pytest
from tests.history.edits import Coalition, coalition_of, edit
from tests.history.trustrepo import NOW, commit_states, git
from tests.interop.seeds import seeds

from publisher import gitrepo
from publisher.gitsource import GitSource
from publisher.review.collect import collect_review
from publisher.verify import verify_repository

SEEDS = seeds(tuple(range(30)))


def verify_at(root, commit: str) -> Counter[tuple[str, str, str]]:
    """verify's findings on `commit`, keyed as the review matches them (file, pointer, code). A
    member's pointer is its place in coalition.json, which a member dropped before it shifts:
    the same member's finding is the same finding, so the place is read as the member's id."""
    found = verify_repository(GitSource(root, commit), at=NOW, workers=1).findings
    members = _member_ids(root, commit)

    def member(pointer: str) -> str:
        index = re.match(r"^/members/(\d+)", pointer)
        return f"/members/{members.get(int(index[1]), index[1])!r}" if index else pointer
    return Counter((f.path, member(f.pointer) if f.path == "coalition.json" else f.pointer, f.code) for f in found)


def _member_ids(root, commit: str) -> dict[int, str]:
    try:
        coalition = json.loads(git(root, "show", f"{commit}:coalition.json"))
        return {i: m["sovereign_id"] for i, m in enumerate(coalition["members"])}
    except Exception:               # absent, unreadable or odd: the places stay places
        return {}


def pull_request(root, seed: int) -> Coalition:
    rng = random.Random(seed)
    coalition = coalition_of(rng, rng.randint(2, 5))
    edit(coalition, 0, 2)
    commit_states(root, [coalition.files()])
    git(root, "checkout", "-q", "-b", "pr")
    edit(coalition, 1, 3)
    commit_states(root, [coalition.files()])
    return coalition


@pytest.mark.parametrize("seed", SEEDS)
def test_the_review_lists_what_verify_newly_finds_on_the_head(tmp_path, seed):
    pull_request(tmp_path, seed)
    base, head = gitrepo.resolve(tmp_path, "main"), gitrepo.resolve(tmp_path, "pr")
    new = verify_at(tmp_path, head) - verify_at(tmp_path, base)
    review = collect_review(tmp_path, base, head, at=NOW)
    # A revocation the review lists says what treaty.revoked would (analysis._restates); a
    # treaty issued already revoked has none, and its finding is listed.
    revoked = {c.subject for c in review.changes if c.code == "change.treaty_revoked"}
    expected = Counter[tuple[str, str]]()
    for (path, _, code), n in new.items():
        if not (code == "treaty.revoked" and path.rsplit("/", 1)[-1].removesuffix(".json") in revoked):
            expected[(path, code)] += n
    listed = Counter((c.path, c.subject) for c in review.changes if c.code == "change.finding_introduced")
    assert listed == expected, f"seed {seed}: review only {listed - expected}, verify only {expected - listed}"
