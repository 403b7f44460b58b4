"""Key files and signers (FORMATS §1.1): genesis-mesh's `BASE.key` / `BASE.pub` format.

`BASE.key` holds '#' comment lines and the standard base64 of the 32-byte Ed25519 seed;
`BASE.pub` the base64 public key. Both tools read both: comment lines are dropped and the
rest joined, as genesis-mesh's `load_private_key` does, but Handshake decodes strictly
(exactly 32 bytes of padded standard base64). A private file is created with mode 0600 from
its first byte (O_CREAT|O_EXCL) and never overwritten. A `Signer` keeps its seed private:
it signs canonical bytes and exposes only the public key, the key id and leak markers that
the writer uses to prove no seed reaches a repository.
"""
from __future__ import annotations

import base64
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import nacl.signing

from publisher import crypto
from publisher.authoring import AuthoringError
from publisher.authoring.placement import check_key_location, key_path
from publisher.canonical import signed_bytes
from publisher.keyfile import PUBLIC_HEADER, format_key_file, format_public_key_file, parse_public_key_file

ROLES = {"root": "root", "na": "network-authority", "operator": "operator"}
PRIVATE_HEADER = "# Ed25519 Private Key"
MAX_KEY_FILE_BYTES = 16_384


@dataclass(frozen=True)
class Signer:
    """A loaded private key. The seed is excluded from repr and equality."""

    public_key: str
    key_id: str | None
    path: str
    _seed: bytes = field(repr=False, compare=False)

    def sign_bytes(self, message: bytes) -> str:
        return crypto.sign(self._seed, message)

    def signature(self, document: Mapping[str, Any], kind: str, key_id: str | None = None) -> dict[str, str]:
        """The `{"key_id", "sig"}` object over `document`'s signed bytes for `kind`."""
        label = key_id or self.key_id or crypto.fingerprint(self.public_key)
        return {"key_id": label, "sig": self.sign_bytes(signed_bytes(document, kind))}

    def leak_markers(self) -> tuple[bytes, ...]:
        """Encodings of the seed that must never appear in anything written."""
        return (base64.b64encode(self._seed), base64.b64encode(self._seed).rstrip(b"="),
                base64.urlsafe_b64encode(self._seed).rstrip(b"="), self._seed.hex().encode("ascii"))

    @property
    def fingerprint(self) -> str:
        return crypto.fingerprint(self.public_key)


def _comment_value(text: str, label: str) -> str | None:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and stripped[1:].strip().lower().startswith(label.lower() + ":"):
            value = stripped[1:].strip()[len(label) + 1:].strip()
            return value or None
    return None


def _body(text: str) -> str:
    return "".join(line.strip() for line in text.splitlines() if not line.lstrip().startswith("#"))


def parse_private_key_file(data: bytes, path: str = "<memory>") -> Signer:
    """A Signer from private key file bytes; AuthoringError when it is not one."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AuthoringError(f"{path} is not a genesis-mesh private key file (not UTF-8)") from exc
    headers = {line.strip().lstrip("\ufeff") for line in text.splitlines()} & {PUBLIC_HEADER, PRIVATE_HEADER}
    if PRIVATE_HEADER not in headers and (PUBLIC_HEADER in headers or path.endswith(".pub")):
        # Its 32 bytes would decode as a seed of some other key: say what was given instead.
        # Told by the header line the reference writes; by the name only when no header says.
        raise AuthoringError(f"{path} is a public key file; give the private (.key) file")
    seed = crypto.decode_b64(_body(text), 32)
    if seed is None:
        raise AuthoringError(f"{path} is not a genesis-mesh private key file: expected '#' comment "
                             "lines and the standard base64 of a 32-byte Ed25519 seed")
    return Signer(crypto.public_key_of(seed), _comment_value(text, "Key ID"), path, seed)


def load_signer(path: str | os.PathLike[str], *, repo: Path | None, what: str) -> Signer:
    """Read a private key file from outside every repository (see `placement`)."""
    check_key_location(path, repo=repo, what=what)
    target = key_path(path)
    try:
        info = target.stat()
        if not stat.S_ISREG(info.st_mode):
            raise AuthoringError(f"{what} {target} is not a regular file")
        if info.st_size > MAX_KEY_FILE_BYTES:
            raise AuthoringError(f"{what} {target} is too large to be a key file")
        data = target.read_bytes()
    except FileNotFoundError as exc:
        raise AuthoringError(f"{what} {target} does not exist") from exc
    except OSError as exc:
        raise AuthoringError(f"{what} {target} could not be read: {exc.strerror or exc}") from exc
    return parse_private_key_file(data, str(target))


def private_file_mode_problem(path: str | os.PathLike[str]) -> str | None:
    """A warning when a private key file is readable by group or others (POSIX only)."""
    if os.name != "posix":
        return None
    mode = key_path(path).stat().st_mode & 0o777
    return f"{path} has mode {mode:03o}; private keys should be 0600" if mode & 0o077 else None


def private_file_link_problem(path: str | os.PathLike[str]) -> str | None:
    """A warning when a private key file has other names (hard links). Where they are cannot be
    found cheaply, and one inside a repository would be committed with it: the location check
    sees only the name given."""
    links = key_path(path).stat().st_nlink
    return (f"{path} has {links} names (hard links); another name may be inside a repository, where "
            "a commit would publish the key. Keep one: copy the file, then delete every link") \
        if links > 1 else None


def read_public_key(value: str) -> str:
    """A public key given as base64 or as the path of a `.pub` file (either tool's format)."""
    if crypto.is_public_key(value):
        return value
    path = Path(value)
    if path.is_file() and path.stat().st_size <= MAX_KEY_FILE_BYTES:
        data = path.read_bytes()
        if PRIVATE_HEADER.encode() in data:
            raise AuthoringError(f"{value} is a private key file; give the public (.pub) file")
        key = parse_public_key_file(data)
        if key is not None:
            return key
        raise AuthoringError(f"{value} is not a public key file (one standard base64 32-byte key)")
    raise AuthoringError(f"{value!r} is neither a base64 Ed25519 public key nor a .pub file")


def key_id_of_public_file(value: str) -> str | None:
    path = Path(value)
    if not path.is_file() or path.stat().st_size > MAX_KEY_FILE_BYTES:
        return None
    return _comment_value(path.read_text("utf-8", "replace"), "Key ID")


def format_private_key_file(seed_b64: str, role: str, key_id: str | None) -> str:
    """The reference's private key file text (`keyfile.format_key_file`)."""
    return format_key_file(PRIVATE_HEADER, seed_b64, role, key_id)


@dataclass(frozen=True)
class KeyPairFiles:
    private_path: Path
    public_path: Path
    public_key: str
    key_id: str | None


def _create_exclusive(path: Path, data: str, mode: int) -> None:
    # O_EXCL: never overwrite; the mode applies from the first byte (umask may only narrow it).
    # A file that fails half-way (a full disk) is removed: a truncated key would be refused by
    # every later keygen (never overwritten) and every command that reads it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    try:
        if os.name == "posix":
            os.fchmod(fd, mode)
        view = memoryview(data.encode("ascii"))
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        path.unlink(missing_ok=True)
        raise
    os.close(fd)


def new_seed() -> bytes:
    """A fresh Ed25519 seed (32 bytes from the OS's generator, through libsodium)."""
    return bytes(nacl.signing.SigningKey.generate())


def write_keypair(base: str | os.PathLike[str], *, role: str, key_id: str | None,
                  repo: Path | None, seed: bytes | None = None) -> KeyPairFiles:
    """Generate (or take) a seed and write `BASE.key` (0600) and `BASE.pub`, refusing to
    overwrite and refusing any place inside a repository. Returns the paths and public key."""
    if role not in ROLES:
        raise AuthoringError(f"unknown key role {role!r} (root, na or operator)")
    base_path = key_path(base)
    if base_path.name in ("", ".", ".."):     # "", ".", "/" named no file; ".." wrote "...key" here
        raise AuthoringError(f"refused: {os.fspath(base)!r} names a folder, not a key file base; give "
                             "a path such as keys/rs (writes keys/rs.key and keys/rs.pub)")
    if base_path.suffix in (".key", ".pub"):
        base_path = base_path.with_suffix("")
    private_path = base_path.with_name(base_path.name + ".key")
    public_path = base_path.with_name(base_path.name + ".pub")
    for path in (private_path, public_path):
        check_key_location(path, repo=repo, what="key file")
        if path.exists() or path.is_symlink():
            raise AuthoringError(f"refused: {path} already exists; key files are never overwritten")
    seed = seed if seed is not None else new_seed()
    public = crypto.public_key_of(seed)
    written = private_path
    try:
        private_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_exclusive(private_path, format_private_key_file(
            base64.b64encode(seed).decode("ascii"), ROLES[role], key_id), 0o600)
        written = public_path
        try:
            _create_exclusive(public_path, format_public_key_file(public, ROLES[role], key_id), 0o644)
        except OSError:
            private_path.unlink()
            raise
    except OSError as exc:          # a path through a file, a full disk, a read-only medium
        raise AuthoringError(f"refused: cannot write {exc.filename or written}: {exc.strerror or exc}; "
                             "no key file was left") from exc
    return KeyPairFiles(private_path, public_path, public, key_id)
