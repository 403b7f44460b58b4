"""Fixed-seed Ed25519 keys for the corpus: the same seeds give the same documents.

Seed letter n (a=0 .. h=7) is bytes 32n .. 32n+31, the convention of the reference's
conformance vectors ("a" = 0..31, "b" = 32..63, "c" = 64..95). Letters i..p are the
byte-wise complement of a..h (i = 255..224), so every seed is distinct. No private key
is ever written into the repository; key files go to a temporary directory only.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import nacl.signing
from genesis_mesh.crypto.keys import KeyPair, save_keypair

LETTERS = "abcdefghijklmnop"


def seed(letter: str) -> bytes:
    """The 32-byte seed named by ``letter`` (see the module docstring)."""
    n = LETTERS.index(letter)
    if n < 8:
        return bytes(range(32 * n, 32 * n + 32))
    return bytes(255 - b for b in seed(LETTERS[n - 8]))


@dataclass(frozen=True)
class Key:
    """One corpus key: its seed letter, its role label and its key id in documents."""

    letter: str
    role: str
    key_id: str

    @property
    def signing_key(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(seed(self.letter))

    @property
    def public_b64(self) -> str:
        return base64.b64encode(bytes(self.signing_key.verify_key)).decode("ascii")

    def keypair(self) -> KeyPair:
        sk = self.signing_key
        return KeyPair(private_key=sk, public_key=sk.verify_key)

    def write_files(self, directory: Path) -> tuple[Path, Path]:
        """Write BASE.key and BASE.pub with the reference's own writer (save_keypair)."""
        return save_keypair(self.keypair(), str(directory / self.key_id), key_id=self.key_id)


@dataclass(frozen=True)
class SeedKey:
    """A key of a seeded run (the differential tests): any 32-byte seed, with the interface of
    `Key` (signing key, public key, key files written by the reference's own writer)."""

    seed: bytes
    key_id: str

    @property
    def signing_key(self) -> nacl.signing.SigningKey:
        return nacl.signing.SigningKey(self.seed)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(bytes(self.signing_key.verify_key)).decode("ascii")

    def write_files(self, directory: Path) -> tuple[Path, Path]:
        sk = self.signing_key
        return save_keypair(KeyPair(private_key=sk, public_key=sk.verify_key), str(directory / self.key_id),
                            key_id=self.key_id)


#: Every key of the corpus. Operator keys sign admin requests only, never documents.
KEYS: dict[str, Key] = {
    "alpha_root": Key("a", "ALPHA-NA root", "rs-alpha"),
    "alpha_na1": Key("b", "ALPHA-NA network authority, key 1 (genesis)", "na-alpha-1"),
    "beta_root": Key("c", "BETA-NA root", "rs-beta"),
    "beta_na": Key("d", "BETA-NA network authority", "na-beta-1"),
    "gamma_root": Key("e", "GAMMA-NA root", "rs-gamma"),
    "gamma_na": Key("f", "GAMMA-NA network authority", "na-gamma-1"),
    "alpha_na2": Key("g", "ALPHA-NA network authority, key 2 (succession)", "na-alpha-2"),
    "operator": Key("h", "operator key of every NA (admin requests only)", "operator-local"),
    "attacker": Key("i", "attacker key (self-rooted forgery)", "rs-attacker"),
}
