"""Input limits: every resource a hostile repository could exhaust has a documented bound.

Exceeding a limit is a finding, never a crash, and the excess is not processed:

  limit                     default     finding                     what is not processed
  max_file_bytes            1 MiB       limits.file_too_large       the file is never read
  max_depth                 64          json.too_deep               the document is not used
  max_string_chars          65,536      limits.string_too_long      the document is not used
  max_files_per_sovereign   20,000      limits.too_many_files       files past the limit
  max_signatures            16          limits.too_many_signatures  no signature is tried
  max_history_keys          64          limits.too_many_keys        successions past the limit
  max_total_files           1,000,000   limits.too_many_files       files past the limit
  max_index_bytes           8,388,608   limits.file_too_large       coalition.json or trust.lock is never read

The defaults are generous for real trust material (the largest real reference document is
under 20 KB; the reference's strict parser nests at most 64 deep; a treaty carries one
signature, a succession three; 64 NA keys are sixteen years of quarterly rotations).
coalition.json and trust.lock grow by about 150 bytes per sovereign, so they get their own
bound (8 MiB: room for about 50,000 sovereigns) instead of the per-document one. Every
NA-signed document is tried against the history's keys, so its length bounds that work too.
A million files is five times the 10,000-sovereign registry Handshake is designed for; the
same number bounds every git listing (`gitrepo.MAX_PATHS`), where a few kilobytes of trees
that repeat their own folders stand for 2^depth paths. Callers pass a `Limits` to tighten or
loosen them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache

from publisher.layout import ROOT_FILES


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1 << 20          # bytes in one document or key file
    max_depth: int = 64                    # nested objects and arrays in one JSON document
    max_string_chars: int = 65_536         # characters in one JSON string (keys included)
    max_files_per_sovereign: int = 20_000  # entries under one sovereigns/<id>/, treaties included
    max_signatures: int = 16               # signatures on one document or succession record
    max_history_keys: int = 64             # NA keys in one key history, the genesis key included
    max_total_files: int = 1_000_000       # entries under sovereigns/ in the whole repository
    # coalition.json and trust.lock hold one entry per sovereign: ~150 bytes each, so 1.5 MB at
    # 10,000 sovereigns, past max_file_bytes. They get their own bound.
    max_index_bytes: int = 8 << 20         # bytes in each of coalition.json and trust.lock


DEFAULT_LIMITS = Limits()
INDEX_FILES = frozenset(ROOT_FILES)    # coalition.json and trust.lock: one entry per sovereign each


def for_path(limits: Limits, path: str) -> Limits:
    """The limits a repository file is read under: coalition.json and trust.lock get
    max_index_bytes as their size bound, every other file max_file_bytes. Every reader of
    those two files (verify, the history walk, pin, review) goes through here."""
    return _index_limits(limits) if path in INDEX_FILES else limits


def read_bound(limits: Limits, path: str) -> int:
    """The size past which the file at `path` is not read."""
    return for_path(limits, path).max_file_bytes


def read_bounded(read_many: Callable[..., Mapping[str, bytes]], files: Iterable[tuple[str, str]],
                 limits: Limits) -> dict[str, bytes]:
    """Bytes by object id for (path, object id) pairs, each read under its path's bound
    (`read_bound`: coalition.json and trust.lock have their own), one
    `read_many(ids, max_bytes=bound)` request per bound; what `read_many` leaves out or gives
    as b"" (past its bound, unreadable) stays so."""
    by_bound: dict[int, list[str]] = {}
    for path, object_id in files:
        by_bound.setdefault(read_bound(limits, path), []).append(object_id)
    found: dict[str, bytes] = {}
    for bound, object_ids in by_bound.items():
        found.update(read_many(object_ids, max_bytes=bound))
    return found


@lru_cache(maxsize=8)
def _index_limits(limits: Limits) -> Limits:
    return dataclasses.replace(limits, max_file_bytes=max(limits.max_file_bytes, limits.max_index_bytes))
