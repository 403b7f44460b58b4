"""Random edits to a small coalition, as pull requests and attacks make them: the generator
of the differential tests that compare two ways of reaching the same answer (the review and
verify, a cached verify and a fresh one)."""
from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable

from tests.history.trustrepo import Key, World

from publisher.canonical import content_digest

NAMES = ("alpha", "beta", "gamma", "delta")


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

    def foreign_sign(self) -> None:
        """A treaty re-signed by another sovereign's NA key (verify names the signer)."""
        if found := self._treaty():
            issuer, treaty_id = found
            other = self.world[self.rng.choice([s for s in NAMES if s != issuer])]
            body = copy.deepcopy(self.world[issuer].treaties[treaty_id])
            body["signatures"] = []
            self.world[issuer].treaties[treaty_id] = other.na.sign(body, "recognition-treaty")

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

    def pin_member_genesis(self) -> None:
        """A member's genesis pinned in coalition.json: its own genesis's digest, most often."""
        if self.world.members:
            member = self.rng.choice(self.world.members)
            source = member if self.rng.random() < 0.7 else self.rng.choice(NAMES)
            self.world.genesis_pins[member] = content_digest(self.world[source].genesis_doc)

    def join(self) -> None:
        """A sovereign dropped from coalition.json listed again, at the end."""
        if dropped := [s for s in NAMES if s not in self.world.members]:
            self.world.members.append(self.rng.choice(dropped))

    def repin(self) -> None:
        self.world.pin_all()

    def declare(self) -> None:
        """coalition.json removed, or published again."""
        self.declared = not self.declared


EDITS: tuple[Callable[[Coalition], None], ...] = (
    Coalition.issue, Coalition.issue, Coalition.wrong_pin, Coalition.widen, Coalition.revoke, Coalition.foreign_sign,
    Coalition.swap_root, Coalition.rotate_root, Coalition.new_na_key, Coalition.remove_folder,
    Coalition.feed, Coalition.policy, Coalition.corrupt_file, Coalition.drop_member, Coalition.repin,
    Coalition.declare, Coalition.pin_member_genesis, Coalition.join,
)


def coalition_of(rng: random.Random, treaties: int) -> Coalition:
    """A coalition of NAMES with `treaties` random treaties, every root pinned."""
    coalition = Coalition(rng)
    for _ in range(treaties):
        coalition.issue()
    coalition.world.pin_all()
    return coalition


def edit(coalition: Coalition, low: int, high: int) -> None:
    """Between `low` and `high` random edits (the coalition's generator draws how many)."""
    for _ in range(coalition.rng.randint(low, high)):
        coalition.rng.choice(EDITS)(coalition)
