"""The site's inputs without every document in the builder's memory (10,000 sovereigns).

Stage: between `publisher.verify` and `publisher.site.build`, for the CLI. The documents'
raw mappings are three quarters of a verified model, and a forked page worker that reads any
object of a model it inherited copies the memory page holding it (reference counts), so
workers that look at their neighbours' treaties copy most of the parent's heap. Instead the
verification runs in a child process (`Verifier`) that writes each sovereign's full
model, pickled, into an unnamed temporary file (`Models`) and hands back a *slim* verification:
the same values with the raw mappings (documents, claims, metadata, policies) left empty. The
verification answers first with its findings (and the digest of the full models for the
no-change key), so a build whose site is already in place asks for nothing more. The
builder indexes, draws and links from the slim models; the page worker that builds a
sovereign's own pages and exports reads its full model back from the file, one sovereign at a
time, and also returns the JSON texts of its active treaties for the coalition-wide exports
(`active_items`). Every value a page shows is the same either way (the emptied fields are
excluded from model equality and read only from a unit's own sovereign), so the output is
byte-identical; `tests/site/test_lean.py` builds both ways and compares. After `verify`, the
verifying child copies the models as the per-folder cache stored them and loads the slim ones
on two cores (`_stored_models`).
"""
from __future__ import annotations

import copyreg
import gc
import io
import multiprocessing
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from typing import Any

from publisher import collector
from publisher.connectome import graph_treaties
from publisher.exports.connectome import active_order
from publisher.jsontext import sorted_json
from publisher.lifecycle import treaty_state
from publisher.findings import Finding
from publisher.cache import Cache
from publisher.model import Coalition, Genesis, Identity, RevocationFeed, RollCall, SignedDocument, Sovereign, Treaty
from publisher.verify import LazyVerification, Verification
from publisher.verify import dispatch
from publisher.verify.sovereign import SovereignResult

# Fields emptied in the slim models: read only for a unit's own sovereign (pages, bundle,
# sovereign graph) and for the coalition's active treaties (recognition-graph export).
_EMPTIED: dict[type, dict[str, Any]] = {
    Treaty: {"raw": {}, "claims": {}, "metadata": {}},
    Genesis: {"raw": {}},
    Identity: {"raw": {}, "metadata": {}},
    RevocationFeed: {"raw": {}},
    RollCall: {"raw": {}},
    SignedDocument: {"raw": {}},
    Sovereign: {"recognition_policy": None},
}


def _restore(cls: type, state: dict[str, Any]) -> Any:
    obj: Any = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _slim_reducer(emptied: dict[str, Any]) -> Callable[[Any], Any]:
    def reduce(obj: Any) -> Any:
        return _restore, (type(obj), {**obj.__dict__, **emptied})
    return reduce


_SLIM_TABLE = {**copyreg.dispatch_table, **{cls: _slim_reducer(fields) for cls, fields in _EMPTIED.items()}}


def slim_bytes(value: Any) -> bytes:
    """`value` (a verification, or models) pickled with the raw mappings of its models emptied."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _SLIM_TABLE
    pickler.dump(value)
    return out.getvalue()


class Models:
    """Every sovereign's full model, pickled one by one into an unnamed temporary file that
    forked workers share (positioned reads only, so no process moves another's offset)."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="handshake-models-")
        self.fd = self._file.fileno()
        self.spans: dict[str, tuple[int, int]] = {}

    def write_all(self, sovereigns: tuple[Sovereign, ...]) -> dict[str, tuple[int, int]]:
        return self.write_pickled((s.id, pickle.dumps(s, pickle.HIGHEST_PROTOCOL)) for s in sovereigns)

    def write_pickled(self, pickled: Iterable[tuple[str, bytes]]) -> dict[str, tuple[int, int]]:
        """Write (sovereign id, pickled Sovereign or SovereignResult) pairs; their spans."""
        offset, spans = 0, {}
        for sovereign_id, data in pickled:
            view = memoryview(data)
            while view:
                view = view[os.pwrite(self.fd, view, offset + len(data) - len(view)):]
            spans[sovereign_id] = (offset, len(data))
            offset += len(data)
        return spans

    def load(self, sovereign_id: str) -> Sovereign:
        offset, size = self.spans[sovereign_id]
        data = os.pread(self.fd, size, offset)
        while len(data) < size:
            data += os.pread(self.fd, size - len(data), offset + len(data))
        value = pickle.loads(data)
        if isinstance(value, SovereignResult):     # a per-folder cache entry, copied as it was stored
            value = value.sovereign
        assert isinstance(value, Sovereign) and value.id == sovereign_id
        return value

    def each(self, ids: list[str]) -> Iterator[Sovereign]:
        for sovereign_id in ids:
            yield self.load(sovereign_id)

    def close(self) -> None:
        self._file.close()


ActiveItem = tuple[tuple[str, str, str, str], bytes]   # (order key, compact JSON) of an active treaty


def active_items(sovereign: Sovereign, at: datetime) -> list[ActiveItem]:
    """The compact JSON of each treaty of one full model that belongs in the recognition-graph
    export's `active_treaties`, with the key that orders them there (`export_recognition_graph`
    sorts the graph's treaties by issuer, subject and id, then by `active_order` (issue time as
    the reference's database orders it), issuer and id: one stable sort by both keys).
    Collected by the page workers, which hold each model of their units in turn
    (`UnitResult.active`), so no raw document is read back for the exports."""
    return [((active_order(treaty), treaty.issuer, treaty.treaty_id, treaty.subject),
             sorted_json(treaty.raw))
            for treaty in graph_treaties((sovereign,)) if treaty_state(treaty, at).is_active]


def ordered_items(items: Iterable[ActiveItem]) -> list[bytes]:
    """The texts of `items` in the export's order: a stable sort, so items with equal keys (a
    treaty id used twice by one issuer) keep the order they were given in, sovereign by sovereign."""
    return [text for _, text in sorted(items, key=lambda item: item[0])]


def spliced(value: Mapping[str, Any], items: list[bytes]) -> bytes:
    """`json_bytes(value)` where `value["active_treaties"]` (empty) holds the JSON texts
    `items`: with sorted keys it is the first member."""
    text = sorted_json({**value, "active_treaties": []})
    head = b'{"active_treaties":['
    assert text.startswith(head + b"]")
    return b"".join((head, b",".join(items), text[len(head):], b"\n"))


_KEPT: list[Any] = []      # in the verifying child: (verify, digest, models, cache), then (verification, models, cache)


def _verify_first() -> tuple[datetime, Coalition, tuple[Finding, ...], str | None, int]:
    verify, digest, models, cache = _KEPT[0]
    verification = verify()
    _KEPT[:] = [(verification, models, cache)]
    return (verification.at, verification.coalition, verification.findings, digest(verification),
            verification.sovereign_count)


Written = tuple[list[bytes], dict[str, tuple[int, int]]]   # slim models (pickled in parts), spans in `models`


def _write_models() -> Written:
    verification, models, cache = _KEPT.pop()
    stored = _stored_models(verification, models, cache)
    if stored is not None:
        return stored
    return [slim_bytes(verification.sovereigns)], models.write_all(verification.sovereigns)


def _unloaded_keys(verification: Verification) -> tuple[tuple[str, str], ...] | None:
    """The (sovereign id, folder key) pairs of a verification answered from a snapshot whose
    models are not loaded yet, in model order; None otherwise."""
    if not isinstance(verification, LazyVerification) or verification.models_loaded:
        return None
    return verification.folder_keys or None


def _slim_share(cache: Cache, keys: tuple[tuple[str, str], ...]) -> bytes | None:
    """A share of the slim models, loaded from their per-folder entries (a forked process)."""
    gc.disable()           # millions of acyclic objects, gone when this process exits
    found = []
    for sovereign_id, key in keys:
        result = dispatch.cached_result(cache, key, sovereign_id)
        if result is None:
            return None
        found.append(result.sovereign)
    return slim_bytes(tuple(found))


def _stored_models(verification: Verification, models: Models, cache: Cache | None) -> Written | None:
    """With every model in the per-folder cache (a build after `verify`, as CI runs them), the
    full models are copied into `models` as they were stored, never unpickled here, while two
    forked processes load half of them each for the slim models: at 10,000 sovereigns this
    took 10 s on one core, loading, pickling slim and pickling again in full. None when a
    model is not stored (the caller loads them as before)."""
    keys = _unloaded_keys(verification)
    if cache is None or keys is None or "fork" not in multiprocessing.get_all_start_methods():
        return None
    half = (len(keys) + 1) // 2
    shares = [keys[:half], keys[half:]]
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(_slim_share, cache, share) for share in shares if share]
        missing: list[str] = []

        def stored() -> Iterator[tuple[str, bytes]]:     # one entry in memory at a time
            for sovereign_id, key in keys:
                payload = dispatch.stored_result(cache, key)
                if payload is None:
                    missing.append(sovereign_id)
                    return
                yield sovereign_id, payload

        spans = models.write_pickled(stored())
        parts = [future.result() for future in futures]
    if missing or any(part is None for part in parts):
        return None
    return [part for part in parts if part is not None], spans


class Verifier:
    """`verify` in a forked child (here where processes cannot fork) that keeps the full models:
    `verification()` answers at once with the findings (and `digest` of the full models, for
    the no-change key, and `count`, the number of sovereigns); its slim models are fetched on
    first use, when the child writes the full ones into `models` and exits."""

    def __init__(self, verify: Callable[[], Verification], models: Models,
                 digest: Callable[[Verification], str | None], cache: Cache | None = None) -> None:
        self.models = models
        self._pool: ProcessPoolExecutor | None = None
        _KEPT[:] = [(verify, digest, models, cache)]
        if "fork" in multiprocessing.get_all_start_methods():
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))
            at, coalition, findings, self.digest, self.count = self._pool.submit(_verify_first).result()
            _KEPT.clear()
        else:
            at, coalition, findings, self.digest, self.count = _verify_first()
        self._verification = LazyVerification(at, coalition, None, findings, loader=self._slim)

    def verification(self) -> Verification:
        return self._verification

    def _slim(self) -> tuple[Sovereign, ...]:
        if self._pool is not None:
            parts, spans = self._pool.submit(_write_models).result()
            self.close()
        else:
            parts, spans = _write_models()
        self.models.spans = spans
        with collector.paused(reclaim=False):    # millions of acyclic objects, live for the build
            return tuple(s for part in parts for s in pickle.loads(part))

    def close(self) -> None:
        """Let the child go (it exits without writing anything when no model was asked for)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        _KEPT.clear()


__all__ = ["ActiveItem", "Models", "Verifier", "active_items", "ordered_items", "slim_bytes", "spliced"]
