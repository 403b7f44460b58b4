"""The no-change build: recognise that the site in place is already exactly this build.

Stage: before any view model is computed. `site_key` digests everything a site is built from:
the verification (`inputs_digest`: every model, finding and the evaluation time, pickled
without memo so equal values give equal bytes whoever shares what), the bytes of every published raw document, the
provenance (commit included), the change channel, the templates, the static files and the
code version. After a build is published, `remember` stores under that key the digest of the
manifest it wrote, its page count and its notes (sealed cache, see publisher.cache). `kept`
answers a later build with the same key when the published site is provably the one written
then: its manifest is that manifest and every file and directory still has the stamp recorded
right after publishing (`publisher.site.sink.Previous`). Anything else (a key miss, a file
edited, added or removed by hand, no record) returns None and the build runs normally, with
the per-sovereign render cache. Never raises on a cache problem.
"""
from __future__ import annotations

import hashlib
import pickle
from typing import TYPE_CHECKING
from collections.abc import Sequence

from publisher.cache import Cache
from publisher.findings import Finding
from publisher.site import render_cache
from publisher.site.context import Provenance
from publisher.site.sink import Previous
from publisher.source import Source
from publisher.layout import ROOT_FILES

if TYPE_CHECKING:
    from publisher.history.changes import ChangeEntry
    from publisher.verify import Verification

SITE_KIND = "site-whole"
ROOT_DOCUMENTS = tuple(ROOT_FILES)   # coalition.json, trust.lock: published as they are


def inputs_digest(verification: Verification, source: Source) -> str | None:
    """The digest of the verification's full models (every model, finding and the evaluation
    time) and of the bytes of every sovereign's published files, or None when a model cannot
    be pickled. Computed where the full models are (`publisher.site.lean`).

    When every model is the cache entry kept under its folder key (`Verification.folder_keys`),
    the keys stand for the models and the files: each one is the content address of a folder's
    bytes (git blob ids or sha256), pin, limits and the code, so nothing is pickled or read
    (at 10,000 sovereigns: 10 s of pickling and reading 190,000 files, on every build)."""
    h = hashlib.sha256()
    try:
        h.update(render_cache.pickled((verification.at, verification.coalition, verification.findings)))
        if verification.folder_keys is not None:
            h.update(b"folder-keys\0" + render_cache.pickled(verification.folder_keys))
            return h.hexdigest()
        for sovereign in verification.sovereigns:
            h.update(render_cache.pickled(sovereign))
    except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
        return None
    for sovereign in verification.sovereigns:
        for path in sovereign.files:
            h.update(path.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(source.read(path)).digest())
    return h.hexdigest()


def site_key(verification: Verification, source: Source, provenance: Provenance,
             changes: Sequence[ChangeEntry] | None, inputs: str | None = None,
             changes_key: str | None = None) -> str | None:
    """The digest of every input of the site, or None when one cannot be pickled. `inputs`:
    `inputs_digest`, when the caller has it (the models in `verification` are then not read);
    `changes_key`, a content address of `changes`, when the caller has one (they are then not
    pickled)."""
    inputs = inputs if inputs is not None else inputs_digest(verification, source)
    if inputs is None:
        return None
    h = hashlib.sha256(render_cache.digest("whole-site", provenance).encode())
    h.update(inputs.encode("ascii"))
    if changes_key is not None:
        h.update(b"changes-key\0" + changes_key.encode("ascii"))   # never a pickle's first bytes
    else:
        try:
            h.update(render_cache.pickled(list(changes) if changes is not None else None))
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError, ValueError):
            return None
    for path in ROOT_DOCUMENTS:
        if any(e.path == path and e.type == "file" for e in source.entries(path)):
            h.update(f"{path}\0".encode() + hashlib.sha256(source.read(path)).digest())
    return h.hexdigest()


def kept(previous: Previous | None, cache: Cache | None, key: str | None) -> tuple[int, list[Finding]] | None:
    """(pages, notes) of the build recorded under `key` when `previous` is still exactly the
    site it published; None otherwise."""
    if previous is None or cache is None or key is None:
        return None
    entry = render_cache.load(cache, SITE_KIND, key)
    if not (isinstance(entry, tuple) and len(entry) == 3 and isinstance(entry[1], int)):
        return None
    manifest_digest, pages, notes = entry
    if previous.digest("manifest.json") != manifest_digest or not previous.intact():
        return None
    return pages, list(notes)


def remember(cache: Cache | None, key: str | None, manifest_digest: str, pages: int,
             notes: Sequence[Finding]) -> None:
    if cache is not None and key is not None:
        render_cache.store(cache, SITE_KIND, key, (manifest_digest, pages, tuple(notes)))
