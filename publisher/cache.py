"""Content-addressed verification cache: results of verifying exact bytes, never trusted blindly.

Stage: I/O at the edge of verification. Where: see `open_cache`. `Cache.get(kind, key)` returns what `put` stored under
the same key, or None. Keys are digests the caller derives from everything a result depends
on (the bytes or git blob ids, the lock pin, the limits, `code_version()`), so an entry can
only be stale if its key is wrong, never because time passed.

Each entry is `MAGIC + HMAC-SHA256(HMAC-SHA256(secret, kind/key), payload) + payload` (payload: a
pickle): the seal names the key it was written under, so an entry renamed or copied to another
key (by whoever can write into the directory) is a miss, never another input's result. The secret is
per user and lives outside every repository (`$XDG_CACHE_HOME/handshake/cache.secret`, mode
0600): a cache directory committed to a repository, copied from another machine or edited
by hand fails the check and is ignored, so a pickle is only ever loaded from bytes this user's
own runs wrote. A truncated, corrupt or foreign entry is a miss and is overwritten.
An entry lives in a file of its own, or (written through `Cache.batch` by a run that writes
many) in a pack with the run's other entries, sealed the same way (publisher.cachepack); a
lookup tries the file, then the kind's packs.
Refuses to use a cache directory that is a symbolic link, and never raises for one: without a
usable secret or directory, every lookup misses and nothing is written. A cache directory among
the repository's trust paths (`sovereigns/` or under it, or where `trust.lock` or `coalition.json`
would be, through links too) is a mistake to report, not to work around: `CacheRefused`, since
its entries would be listed as trust material by the next run.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import re
import secrets
import stat
import sys
import time
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from publisher import cachepack
from publisher.cachepack import PACKS, PackSet, PackWriter
from publisher.layout import TRUST_PATHS
from publisher.readfile import read_regular

MAGIC = b"HSC2"
DIGEST = 32
# The largest entry at 10,000 sovereigns and commits is the history walk's result, 33 MB.
MAX_ENTRY_BYTES = 1 << 30
_MAX_SEALED = MAX_ENTRY_BYTES + len(MAGIC) + DIGEST     # an entry with its magic and seal
CACHE_DIRNAME = ".handshake-cache"
ENV_DIR = "HANDSHAKE_CACHE_DIR"       # use this directory instead of <repo>/.handshake-cache
ENV_OFF = "HANDSHAKE_NO_CACHE"        # any non-empty value: no cache at all
TEMPORARY_ENTRY = re.compile(r"\.[0-9a-f]+\.[0-9]+\.[0-9a-f]{8}")   # put_payload's, before its rename


def _user_cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME")
    return Path(base) if base else Path.home() / ".cache"


def cache_home() -> Path:
    """This user's Handshake folder: the secret, and the per-repository caches under `repos/`."""
    return _user_cache_home() / "handshake"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of everything that decides a verification result besides the input: this
    package's source, the shipped schemas, the Python version and the validating libraries."""
    from publisher.resources import resource_dir

    h = hashlib.sha256()
    package, schemas = Path(__file__).resolve().parent, resource_dir("schemas")
    files = [(p.relative_to(package).as_posix(), p) for p in sorted(package.rglob("*.py"))]
    files += [(f"schemas/{p.name}", p) for p in sorted(schemas.glob("*.json"))]
    for name, path in files:
        h.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    h.update(sys.version.encode())
    for module in ("jsonschema", "jsonschema_rs", "nacl", "re2", "referencing"):
        h.update(f"{module}={_installed_version(module)}".encode())
    return h.hexdigest()


def _installed_version(module: str) -> str:
    """`<dist-info name>` of an importable module, from one directory listing (importlib.metadata
    costs ~0.1 s per lookup); 'absent' when it is not installed."""
    import importlib.util

    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin:
        return "absent"
    origin = Path(spec.origin)
    site = origin.parent.parent if origin.name.startswith("__init__") else origin.parent
    wanted = {module.lower().replace("_", "-"), {"nacl": "pynacl", "re2": "google-re2"}.get(module, module)}
    try:
        names = os.listdir(site)
    except OSError:
        return "unknown"
    found = sorted(n for n in names if n.endswith(".dist-info")
                   and n[:-len(".dist-info")].rsplit("-", 1)[0].lower().replace("_", "-") in wanted)
    return ",".join(found) or f"unknown:{origin.stat().st_size}"


def _load_secret(home: Path) -> bytes | None:
    """The per-user HMAC secret, created on first use (0600, never inside a repository)."""
    path = home / "cache.secret"
    try:
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            value = secrets.token_bytes(32)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            except FileExistsError:   # another process created it first: read theirs
                return _load_secret(home)
            with os.fdopen(fd, "wb") as handle:
                handle.write(value)
            return value
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            value = handle.read(64)
        if info.st_uid != os.getuid() or info.st_mode & 0o077 or len(value) != 32:
            return None
        return value
    except OSError:
        return None


class Cache:
    """Entries under `directory`, authenticated with `secret`."""

    def __init__(self, directory: Path, secret: bytes) -> None:
        self.directory = directory
        self._root = str(directory)
        self._secret = secret
        self.hits = 0
        self.misses = 0
        self._made: set[str] = set()    # entry folders this process created or found
        self._packs: dict[str, PackSet] = {}   # per kind, loaded at its first miss

    def __getstate__(self) -> dict[str, Any]:
        """A copy sent to another process (a spawned worker) opens the packs anew: descriptors
        are numbers that name other files there."""
        return {**self.__dict__, "_packs": {}}

    # Paths are plain strings and the tag is two C calls (hmac.digest): a cold verify writes
    # 10,000 entries, and Path objects and the hmac module's Python-level object cost more
    # than the file's own system calls.
    def _folder(self, kind: str, key: str) -> str:
        return f"{self._root}/{kind}/{key[:2]}"

    def _path(self, kind: str, key: str) -> str:
        return f"{self._root}/{kind}/{key[:2]}/{key}"

    def _tag(self, kind: str, key: str, payload: bytes) -> bytes:
        """The seal of `payload` under (kind, key): a key of the entry's own, derived from the
        secret and its name, so the payload is never copied to be sealed with its name."""
        named = hmac.digest(self._secret, f"{kind}\0{key}".encode("utf-8", "surrogatepass"), "sha256")
        return hmac.digest(named, payload, "sha256")

    def _sealed(self, kind: str, key: str, payload: bytes) -> bytes:
        return b"".join((MAGIC, self._tag(kind, key, payload), payload))

    def _index_seal(self, kind: str) -> cachepack.Sealer:
        """The seal of a pack index of `kind`. Its key is derived from a message no entry's key
        derivation (kind, NUL, key; kinds are plain names) can give: an index and an entry never
        share a seal."""
        named = hmac.digest(self._secret, b"\x01pack-index/v1\0" + kind.encode("utf-8", "surrogatepass"), "sha256")
        return lambda index: hmac.digest(named, index, "sha256")

    def _pack_set(self, kind: str) -> PackSet:
        found = self._packs.get(kind)
        if found is None:
            found = self._packs[kind] = PackSet(f"{self._root}/{kind}/{PACKS}", self._index_seal(kind),
                                                _MAX_SEALED)
        return found

    def _open(self, kind: str, key: str, data: bytes) -> bytes | None:
        if len(data) < len(MAGIC) + DIGEST or not data.startswith(MAGIC):
            return None
        tag, payload = data[len(MAGIC):len(MAGIC) + DIGEST], data[len(MAGIC) + DIGEST:]
        return payload if hmac.compare_digest(tag, self._tag(kind, key, payload)) else None

    def get_payload(self, kind: str, key: str) -> bytes | None:
        """The authenticated pickle stored under (kind, key), not yet loaded; None on a miss.
        Only a regular file of at most MAX_ENTRY_BYTES is read: a repository may commit
        `.handshake-cache/` with links in it, and what they reach (a device, a pipe, a file of
        gigabytes) is never read or waited on; whatever is read is refused unless sealed."""
        try:
            payload = self._open(kind, key, read_regular(self._path(kind, key), MAX_ENTRY_BYTES))
        except OSError:
            payload = None
        if payload is None:
            packed = self._pack_set(kind).read(key)
            payload = self._open(kind, key, packed) if packed is not None else None
        return payload

    def has(self, kind: str, key: str) -> bool:
        """True when an entry exists under (kind, key): a probe that reads no entry (it may
        still turn out corrupt or foreign when it is read)."""
        try:
            if stat.S_ISREG(os.lstat(self._path(kind, key)).st_mode):
                return True
        except OSError:
            pass
        return key in self._pack_set(kind)

    def keep_newest(self, kind: str, keep: int, *, with_kinds: tuple[str, ...] = ()) -> None:
        """Delete all but the `keep` most recently written entries of `kind` stored as files, and
        the entries of `with_kinds` under the same keys. For entries that each stand for a whole
        input (a verification's snapshot: 60 MB at 10,000 sovereigns), where only the last few
        are ever asked for again and every other would stay forever. The temporary files of
        runs that died while writing one (older than `cachepack.STALE_TEMPORARY_S`) go too, in
        every kind named. Links and anything but a real folder of this user's are never
        followed; never raises (what cannot be listed or deleted stays, and a deleted entry is
        a miss)."""
        written, stale = self._written(kind, with_kinds)
        self._drop_beyond(keep, written, stale, (kind, *with_kinds))

    def touch(self, kind: str, key: str) -> None:
        """Mark the file entry under (kind, key) as used now (its modification time), so that
        `keep_recent_runs` counts it among this run's however long ago it was written. A packed
        entry, a link (its own time changes, never its target's) or a failure is left as it is."""
        try:
            os.utime(self._path(kind, key), follow_symlinks=False)
        except (OSError, NotImplementedError):
            pass

    def keep_recent_runs(self, kind: str, started_ns: int, runs: int) -> None:
        """Keep at most `runs` times as many entries of `kind` as this run used, the newest
        (as `keep_newest`): this run used (wrote or `touch`ed) those modified since `started_ns`,
        so its own always stay. For content-addressed entries that a change adds to rather than
        overwrites (a coalition-wide page: an edit adds a new entry for each page it changes),
        which would otherwise grow with every edit. Nothing goes when this run used none: it
        proved nothing about what is current."""
        written, stale = self._written(kind, ())
        used = sum(1 for when, _ in written if when >= started_ns)
        if used:
            self._drop_beyond(runs * used, written, stale, (kind,))

    def _written(self, kind: str, with_kinds: tuple[str, ...]) -> tuple[list[tuple[int, str]], list[str]]:
        """(modification time, key) of every file entry of `kind`, and the paths of the stale
        temporary files in `kind` and `with_kinds` (see `keep_newest`)."""
        found: list[tuple[int, str]] = []
        stale: list[str] = []
        horizon = time.time_ns() - cachepack.STALE_TEMPORARY_S * 1_000_000_000
        for each in (kind, *with_kinds):
            for entry in self._files_of(each):
                try:
                    written = entry.stat(follow_symlinks=False).st_mtime_ns
                except OSError:
                    continue
                if TEMPORARY_ENTRY.fullmatch(entry.name):
                    if written < horizon:
                        stale.append(entry.path)
                elif each == kind and not entry.name.startswith("."):
                    found.append((written, entry.name))
        return found, stale

    def _drop_beyond(self, keep: int, written: list[tuple[int, str]], stale: list[str],
                     kinds: tuple[str, ...]) -> None:
        """Delete the entries of `kinds` under every key of `written` but the newest `keep`, and
        the files of `stale`, each only in a real folder of this user's."""
        doomed = [self._path(each, key) for _, key in sorted(written, reverse=True)[keep:] for each in kinds]
        for path in doomed + stale:
            try:
                if private_directory(os.lstat(path.rpartition("/")[0])):
                    os.unlink(path)
            except OSError:
                pass

    def _files_of(self, kind: str) -> list[os.DirEntry[str]]:
        """The regular files in the entry folders of `kind` (not its packs), from real folders
        of this user's only; what cannot be listed is left out."""
        files: list[os.DirEntry[str]] = []
        for folder in private_folders(f"{self._root}/{kind}"):
            if folder.name != PACKS:
                files += [entry for entry in entries_in(folder.path) if entry.is_file(follow_symlinks=False)]
        return files

    def batch(self, kind: str) -> Batch:
        """A writer for the many entries of one run (see Batch); use it as a context manager."""
        return Batch(self, kind)

    def _start_pack(self, kind: str) -> PackWriter | None:
        folder = f"{self._root}/{kind}"
        try:
            os.makedirs(self._root, exist_ok=True)
            if not (_real_folder(folder) and _real_folder(f"{folder}/{PACKS}")):
                return None
            return PackWriter(f"{folder}/{PACKS}", self._index_seal(kind))
        except OSError:
            return None

    def _landed(self, kind: str) -> None:
        """A pack of `kind` was written: the next lookup reads the indexes again, and packs
        beyond the kept number go (see cachepack.evict)."""
        old = self._packs.pop(kind, None)
        if old is not None:
            old.close()
        cachepack.evict(f"{self._root}/{kind}/{PACKS}", self._index_seal(kind), _MAX_SEALED)

    def get(self, kind: str, key: str, expected_type: type | None = None) -> Any | None:
        """The value stored under (kind, key), or None for a missing, foreign or corrupt entry."""
        payload = self.get_payload(kind, key)
        value = None
        if payload is not None:
            try:   # authenticated: written by this user's own run, but maybe by older code
                value = pickle.loads(payload)
            except Exception:
                value = None
        if value is None or (expected_type is not None and not isinstance(value, expected_type)):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store `value` atomically (write a temporary file, rename); errors are ignored."""
        try:
            payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            return
        self.put_payload(kind, key, payload)

    def put_payload(self, kind: str, key: str, payload: bytes) -> None:
        """Store an already pickled value (see `put`)."""
        folder = self._folder(kind, key)
        try:
            if folder not in self._made:
                os.makedirs(self._root, exist_ok=True)      # the directory itself: the caller's choice
                if not (_real_folder(folder.rpartition("/")[0]) and _real_folder(folder)):
                    return
                self._made.add(folder)
            temporary = f"{folder}/.{key}.{os.getpid()}.{secrets.token_hex(4)}"
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            try:
                _write_all(fd, (MAGIC, self._tag(kind, key, payload), payload))
            finally:
                os.close(fd)
            os.replace(temporary, f"{folder}/{key}")
        except OSError:
            return


class Batch:
    """The entries one run writes of one kind. The first `cachepack.PACK_MIN` are held in
    memory; from then on every entry streams into one pack (publisher.cachepack), so a cold run
    creates one file where it would create 10,000. A run that ends with fewer writes each as a
    file of its own, as `put_payload` does; so does one whose pack could not be started or
    written. Never raises: what cannot be written is a miss next time."""

    def __init__(self, cache: Cache, kind: str) -> None:
        self._cache, self._kind = cache, kind
        self._held: list[tuple[str, bytes]] = []
        self._pack: PackWriter | None = None
        self._loose = False           # no pack could be started or written: every entry as a file
        self._aborted = False

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if value is None:
            self.close()
        else:
            self.abort()

    def add(self, key: str, payload: bytes) -> None:
        if self._aborted:
            return
        if self._loose or not cachepack.packable(key):
            self._cache.put_payload(self._kind, key, payload)
        elif self._pack is not None:
            self._append(key, payload)
        else:
            self._held.append((key, payload))
            if len(self._held) >= cachepack.PACK_MIN:
                self._pack = self._cache._start_pack(self._kind)
                held, self._held = self._held, []
                self._loose = self._pack is None
                for each in held:
                    self.add(*each)

    def _append(self, key: str, payload: bytes) -> None:
        assert self._pack is not None
        try:
            self._pack.add(key, self._cache._sealed(self._kind, key, payload))
        except OSError:              # a full disk, say: the pack goes, the rest as files
            self._pack.abort()
            self._pack, self._loose = None, True

    def close(self) -> None:
        """Put the held entries in place: the pack, else a file each."""
        held, self._held = self._held, []
        for key, payload in held:
            self._cache.put_payload(self._kind, key, payload)
        if self._pack is not None:
            pack, self._pack = self._pack, None
            try:
                pack.finish()
            except OSError:
                pack.abort()
                return
            self._cache._landed(self._kind)

    def abort(self) -> None:
        """Write nothing more (the run failed); a pack begun is removed."""
        self._held, self._aborted = [], True
        if self._pack is not None:
            self._pack.abort()
            self._pack = None


def _real_folder(path: str) -> bool:
    """Create `path` (its parent exists) or find it, and True only when it is a real directory
    of this user's that no one else can write: a repository may commit `.handshake-cache/` with
    links inside it to anywhere its user can write, and someone else's folder could become one
    between this check and the write; an entry is never written through either."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    return private_directory(os.lstat(path))


def entries_in(path: str) -> list[os.DirEntry[str]]:
    """The entries directly in `path`; none when it cannot be listed."""
    try:
        with os.scandir(path) as listing:
            return list(listing)
    except OSError:
        return []


def private_folders(path: str) -> list[os.DirEntry[str]]:
    """The real folders of this user's directly in `path`, by name (links and folders others
    can write are left out); none when it cannot be listed."""
    out = []
    for entry in entries_in(path):
        try:
            if private_directory(entry.stat(follow_symlinks=False)):
                out.append(entry)
        except OSError:
            continue
    return sorted(out, key=lambda e: e.name)


def private_directory(info: os.stat_result) -> bool:
    """A directory owned by this user that no one else can write: entries are sealed with this
    user's secret, so a directory shared with others serves no one else. Writable by its group
    only when that group is this user's own primary group: Debian-family systems give every
    user a private group and umask 002, so a plain `mkdir .handshake-cache` is group-writable."""
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & stat.S_IWOTH:
        return False
    return not info.st_mode & stat.S_IWGRP or (info.st_gid == os.getgid() and _private_group(info.st_gid))


def _private_group(gid: int) -> bool:
    """True for a user private group: named after this user, with no other member. Where every
    user's primary group is one shared group (`users` on SUSE and many LDAP sites), being that
    group's is being everyone's."""
    try:
        import grp
        import pwd

        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(gid)
    except (ImportError, KeyError, OSError):
        return False
    return group.gr_name == user and all(member == user for member in group.gr_mem)


def _write_all(fd: int, parts: tuple[bytes, ...]) -> None:
    """Write every byte of `parts`: one write, repeated only after a short one."""
    data = memoryview(b"".join(parts))
    while data:
        data = data[os.write(fd, data):]


def _usable_directory(path: Path, *, parents: bool) -> bool:
    """True for a real directory owned by this user that no one else can write (created when
    missing); a symbolic link, a file, someone else's or a shared directory is refused."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        try:
            path.mkdir(mode=0o700, parents=parents)
            info = path.lstat()
        except OSError:
            return False
    except OSError:
        return False
    return private_directory(info)


class CacheRefused(Exception):
    """The cache directory lies among the repository's trust paths; the message names it and
    where it was chosen (commands stop with it: exit 2)."""


def _refuse_trust_paths(directory: Path, root: Path, chosen_by: str) -> None:
    """CacheRefused when `directory` is, or is under, one of `root`'s trust paths, once links
    are followed (nothing is created: a folder not there yet is compared as it would be)."""
    real = directory.resolve()
    for name in TRUST_PATHS:
        trusted = (root / name).resolve()
        if real == trusted or real.is_relative_to(trusted):
            linked = "" if directory.absolute().is_relative_to(root / name) else ", through a link,"
            raise CacheRefused(
                f"the cache directory {directory} ({chosen_by}) is{linked} "
                f"{'the' if real == trusted else 'inside the'} trust path {root / name}: its entries would "
                f"be read as trust material; choose a directory elsewhere, such as {root / CACHE_DIRNAME}")


def open_cache(repo: str | os.PathLike[str] | None) -> Cache | None:
    """The cache for the repository at `repo`: `$HANDSHAKE_CACHE_DIR` when set; else
    `<repo>/.handshake-cache/` when that directory exists (create it to keep the cache beside
    the repository; it is gitignored); else a per-repository folder under
    `$XDG_CACHE_HOME/handshake/repos/`, so that nothing is written into a repository unasked.
    None when caching is off or impossible; CacheRefused for a directory among `repo`'s trust
    paths."""
    if os.environ.get(ENV_OFF):
        return None
    secret = _load_secret(cache_home())
    if secret is None:
        return None
    for directory, parents, _ in _candidates(repo):
        if _usable_directory(directory, parents=parents):
            return Cache(directory, secret)
    return None


def locate_cache(repo: str | os.PathLike[str] | None) -> tuple[Path, str] | None:
    """Where `open_cache` keeps the cache for `repo`, and why there, without creating anything
    (for `handshake cache`): the first candidate that is a usable directory, else the one a run
    would create. None when caching is off; CacheRefused as `open_cache`."""
    if os.environ.get(ENV_OFF):
        return None
    for directory, _, chosen_by in _candidates(repo):
        try:
            info = directory.lstat()
        except FileNotFoundError:
            return directory, chosen_by
        except OSError:
            continue
        if private_directory(info):
            return directory, chosen_by
    return None


def _candidates(repo: str | os.PathLike[str] | None) -> Iterator[tuple[Path, bool, str]]:
    """The cache directories for `repo` in order of preference: (directory, whether its parents
    may be created, what chose it). CacheRefused, when it comes to it, for one among `repo`'s
    trust paths."""
    candidates: list[tuple[Path, bool, str]] = []
    root = Path(repo).resolve() if repo is not None else None
    if os.environ.get(ENV_DIR):
        candidates.append((Path(os.environ[ENV_DIR]), True, f"${ENV_DIR}"))
    elif root is not None:
        if (root / CACHE_DIRNAME).is_dir():
            candidates.append((root / CACHE_DIRNAME, False, f"{CACHE_DIRNAME} in the repository"))
        candidates.append((cache_home() / "repos" / hashlib.sha256(str(root).encode()).hexdigest()[:24], True,
                           "under $XDG_CACHE_HOME"))
    for directory, parents, chosen_by in candidates:
        # The repository's own .handshake-cache is a real folder or is not used (a link the
        # repository commits is passed over, silently: its content must not stop a run).
        if root is not None and parents:
            _refuse_trust_paths(directory, root, chosen_by)
        yield directory, parents, chosen_by
