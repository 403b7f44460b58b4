"""The other folders a change reaches: who names a sovereign whose keys the change touches.

Borealis's treaty pins Aurora's NA key. A pull request that rotates Aurora's key, replaces its
genesis, moves its pin or removes its folder changes nothing in Borealis's folder, yet
verification of the head now says something new there (`treaty.subject_key_retired`,
`treaty.subject_keys_mismatch`, `treaty.external_subject`, `recpolicy.key_mismatch`). That is
the change's blast radius, and a reviewer must see it. Cost follows it too: the folders that
name such a sovereign are found with one `git grep` for its quoted id over the treaties and
recognition policies (about 1.4 s at 10,000 sovereigns, beside the rest of the review), and
only those folders are verified. A review whose change touches no key material searches
nothing.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from publisher import gitrepo
from publisher.gitsource import GitSource
from publisher.layout import split_sovereign_path, undecodable
from publisher.limits import Limits, read_bound

# What a sovereign's keys are built from, as verification builds them: the genesis and key
# history, under the root that keys/root.pub names or that trust.lock pins and the root
# rotation records move (a folder). review/collect.py reads only these for treaty subjects
# outside the change; a change to one of them can change what other folders' pins mean.
SUBJECT_PATHS = ("genesis.signed.json", "key-history.json", "keys/root.pub", "root-rotations")
# Where a folder names another sovereign in a way the coalition stage checks: treaty files,
# treaties published only as rows, and a recognition policy's recognized issuers. A feed, roll
# call or policy manifest names another sovereign only when it claims to be that sovereign's,
# already an error (feed.wrong_issuer, rollcall.id_mismatch): whether that sovereign's key
# explains its signature (sig.foreign_key or sig.invalid) is not searched for, which would
# cost the search a third more (measured at 10,000 sovereigns: 2.4 s instead of 1.7 s).
_NAMING_FILES = ("recognition-treaties.json", "recognition-policy.json")
_PATHSPECS = ("sovereigns/*/treaties/*.json", *(f"sovereigns/*/{name}" for name in _NAMING_FILES))
# git grep's data segment: documents are read up to 1 MiB each (limits.max_file_bytes), a few
# at a time, so only a blob no verification reads can reach this, or more patterns than
# GREP_MAX_NEEDLES (measured: 20,000 ids fit, 60,000 do not).
GREP_DATA_BYTES = 256 << 20
GREP_MAX_NEEDLES = 10_000
# A JSON string without escapes, as bytes: a file without a backslash is cut into its strings
# exactly, so one with none of the wanted ids among them names none of those sovereigns.
_PLAIN_STRING = re.compile(rb'"[^"\\]*"')
# The bounded search reads this many files a round trip, and keeps none of them.
_BATCH = 2_000


def is_subject_path(relative: str) -> bool:
    """Whether a path relative to a sovereign folder is (or lies in) one of SUBJECT_PATHS."""
    return relative in SUBJECT_PATHS or relative.startswith("root-rotations/")


def keyed_sovereigns(changed_paths: Iterable[str]) -> list[str]:
    """The sovereigns whose key material a change touches (a folder added or removed included:
    its genesis is added or removed with it)."""
    found = set()
    for path in changed_paths:
        parts = split_sovereign_path(path)
        if parts and is_subject_path(parts[1]) and searchable(parts[0]):
            found.add(parts[0])
    return sorted(found)


def folder_name(name: str) -> bool:
    """True when `name` (a treaty's subject, from the document) could be a folder under
    sovereigns/: one path component, no NUL (which no path and no git argument holds). The
    others name no folder; their treaties' subjects are external, as verify finds them."""
    return name not in ("", ".", "..") and "/" not in name and "\0" not in name


def searchable(sovereign_id: str) -> bool:
    """A folder name a page can show too (layout's undecodable names are not). Its needle is
    its JSON form, whose escapes leave no line break that git grep would take for two."""
    return folder_name(sovereign_id) and not undecodable(sovereign_id)


def needles(sovereign_ids: Iterable[str]) -> list[str]:
    """What a file that names one of `sovereign_ids` must hold: the id as a JSON string, or an
    escape (`"\\u0061urora"` is "aurora" too: any file with an escape is read and decided)."""
    return [json.dumps(sid, ensure_ascii=False) for sid in sovereign_ids] + ["\\u"]


def _naming_file(path: str) -> bool:
    """A file of the layout that can name another sovereign (git's `*` also crosses folders)."""
    parts = split_sovereign_path(path)
    if parts is None:
        return False
    relative = parts[1]
    return relative in _NAMING_FILES or (relative.startswith("treaties/") and relative.endswith(".json")
                                         and relative.count("/") == 1)


class ReferrerSearch:
    """The folders, other than the changed ones, whose files may name a keyed sovereign, found
    at `commit`. Folders outside the change are the same at the base and the head, so one
    commit answers for both (the base, which the reviewer already trusts)."""

    def __init__(self, root: str, commit: str, keyed: list[str]) -> None:
        self._keyed = keyed = [sid for sid in keyed if searchable(sid)]
        grep = 0 < len(keyed) <= GREP_MAX_NEEDLES
        self._search = gitrepo.FileSearch(root, commit, needles(keyed), _PATHSPECS,
                                          max_data_bytes=GREP_DATA_BYTES) if grep else None

    def folders(self, source: GitSource, changed: Iterable[str], limits: Limits) -> list[str]:
        """The candidate folders, sorted; each is verified and decides for itself."""
        if not self._keyed:
            return []
        paths = self._search.paths() if self._search is not None else None
        if paths is None:               # git grep failed (a giant blob, say) or was not run: read under bounds
            paths = _bounded_search(source, self._keyed, limits)
        skip = set(changed)
        return sorted({parts[0] for path in paths if _naming_file(path) and (parts := split_sovereign_path(path))
                       and parts[0] not in skip and searchable(parts[0])})

    def close(self) -> None:
        if self._search is not None:
            self._search.close()


def _bounded_search(source: GitSource, keyed: list[str], limits: Limits) -> list[str]:
    """The search, by reading every naming file under its size bound through cat-file, a batch
    at a time (211 MB at 10,000 sovereigns: none of it is kept): a file is a candidate when one
    of its strings is a keyed id, or when it holds a backslash (an escape, which only reading it
    as JSON decides). Linear in the bytes, whatever the ids."""
    wanted = {json.dumps(sid, ensure_ascii=False).encode("utf-8", "surrogateescape") for sid in keyed}
    return [path for path, body in _naming_files(source, limits)
            if b"\\" in body or any(s in wanted for s in _PLAIN_STRING.findall(body))]


def _naming_files(source: GitSource, limits: Limits) -> Iterator[tuple[str, bytes]]:
    source.prefetch(["sovereigns"])
    files = [(e.path, e.blob_id) for e in source.entries("sovereigns")
             if e.type == "file" and e.blob_id and _naming_file(e.path)]
    for start in range(0, len(files), _BATCH):
        batch = files[start:start + _BATCH]
        bound = max(read_bound(limits, path) for path, _ in batch)
        found = source.blobs.read_many([blob for _, blob in batch], max_bytes=bound)
        yield from ((path, found.get(blob, b"")) for path, blob in batch)
