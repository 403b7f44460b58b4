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
from collections.abc import Callable

import pytest
from tests.history.trustrepo import NOW, Key, World, commit_states, git
from tests.interop.seeds import seeds

from publisher import gitrepo
from publisher.gitsource import GitSource
from publisher.review.collect import collect_review
from publisher.verify import verify_repository

NAMES = ("alpha", "beta", "gamma", "delta")
SEEDS = seeds(tuple(range(30)))


class Coalition:
    """A World plus what it cannot express: recognition policies and corrupted files."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.world = World(*NAMES)
        self.policies: dict[str, list[tuple[str, str]]] = {}     # issuer -> (sovereign, pinned key)
        self.corrupt: dict[str, int] = {}                        # path -> offset of a flipped byte
        self.serial = 0
        self.declared = True                                     # coalition.json is published

    def present(self) -> list[str]:
        return [s for s in NAMES if not self.world[s].deleted_files]

    def files(self) -> dict[str, bytes]:
        out = self.world.files()
        for issuer, pinned in self.policies.items():
            if issuer in self.present():
                out[f"sovereigns/{issuer}/recognition-policy.json"] = json.dumps({
                    "local_sovereign_id": issuer,
                    "recognized_issuers": [{"sovereign_id": s, "public_keys": [k]} for s, k in pinned]}).encode()
        if not self.declared:
            del out["coalition.json"]
        for path, offset in self.corrupt.items():
            if path in out and out[path]:
                data = bytearray(out[path])
                data[offset % len(data)] ^= 0x20
                out[path] = bytes(data)
        return out

    # The edits. Each picks its own targets; an edit with nothing to act on does nothing.

    def _two(self) -> tuple[str, str]:
        issuer, subject = self.rng.sample(NAMES, 2)
        return issuer, subject

    def _treaty(self) -> tuple[str, str] | None:
        treaties = [(s, t) for s in self.present() for t in self.world[s].treaties]
        return self.rng.choice(treaties) if treaties else None

    def issue(self) -> None:
        issuer, subject = self._two()
        self.serial += 1
        self.world[issuer].treaty(f"t{self.serial}-{self.rng.random()}", self.world[subject],
                                  days=self.rng.choice([3, 200, 365]))

    def wrong_pin(self) -> None:
        if found := self._treaty():
            self.world[found[0]].resign(found[1], subject_public_keys=[Key("mallory").public])

    def widen(self) -> None:
        if found := self._treaty():
            self.world[found[0]].resign(found[1], allowed_roles=["role:client", "role:operator"])

    def revoke(self) -> None:
        if found := self._treaty():
            self.world[found[0]].revoke(found[1])

    def swap_root(self) -> None:
        self.world[self.rng.choice(NAMES)].set_root(f"evil-{self.rng.random()}")

    def rotate_root(self) -> None:
        sovereign = self.world[self.rng.choice(NAMES)]
        sovereign.rotate_root(f"next-{self.rng.random()}", sign_new=self.rng.random() < 0.7)

    def new_na_key(self) -> None:
        sovereign = self.world[self.rng.choice(NAMES)]
        sovereign.na = Key(f"{sovereign.id}-na-{self.rng.random()}")
        sovereign.genesis_doc = sovereign._genesis()

    def remove_folder(self) -> None:
        present = self.present()
        if len(present) > 2:
            sovereign = self.world[self.rng.choice(present)]
            sovereign.deleted_files = set(sovereign.files())

    def feed(self) -> None:
        sovereign = self.world[self.rng.choice(NAMES)]
        sovereign.set_feed([f"att-{i}" for i in range(self.rng.randint(0, 3))], sequence=self.rng.randint(0, 5))

    def policy(self) -> None:
        issuer, subject = self._two()
        key = self.world[subject].na.public if self.rng.random() < 0.5 else Key("mallory").public
        self.policies.setdefault(issuer, []).append((subject, key))

    def corrupt_file(self) -> None:
        paths = list(self.files())          # the sovereigns' files, trust.lock and coalition.json
        self.corrupt[self.rng.choice(sorted(paths))] = self.rng.randrange(1 << 16)

    def drop_member(self) -> None:
        if len(self.world.members) > 1:
            self.world.members.remove(self.rng.choice(self.world.members))

    def repin(self) -> None:
        self.world.pin_all()

    def declare(self) -> None:
        """coalition.json removed, or published again."""
        self.declared = not self.declared


EDITS: tuple[Callable[[Coalition], None], ...] = (
    Coalition.issue, Coalition.issue, Coalition.wrong_pin, Coalition.widen, Coalition.revoke,
    Coalition.swap_root, Coalition.rotate_root, Coalition.new_na_key, Coalition.remove_folder,
    Coalition.feed, Coalition.policy, Coalition.corrupt_file, Coalition.drop_member, Coalition.repin,
    Coalition.declare,
)


def verify_at(root, commit: str) -> Counter[tuple[str, str, str]]:
    """verify's findings on `commit`, keyed as the review matches them (file, pointer, code). A
    member's pointer is its place in coalition.json, which a member dropped before it shifts:
    a finding on the same member is the same finding."""
    found = verify_repository(GitSource(root, commit), at=NOW, workers=1).findings
    return Counter((f.path, re.sub(r"^/members/\d+", "/members/*", f.pointer) if f.path == "coalition.json"
                    else f.pointer, f.code) for f in found)


def pull_request(root, seed: int) -> Coalition:
    rng = random.Random(seed)
    coalition = Coalition(rng)
    for _ in range(rng.randint(2, 5)):
        coalition.issue()
    coalition.world.pin_all()
    for _ in range(rng.randint(0, 2)):
        rng.choice(EDITS)(coalition)
    commit_states(root, [coalition.files()])
    git(root, "checkout", "-q", "-b", "pr")
    for _ in range(rng.randint(1, 3)):
        rng.choice(EDITS)(coalition)
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
