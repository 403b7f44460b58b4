"""A change verified before it exists, and the proof, after writing it, that the disk holds it.

An authoring command verifies the repository with its plan overlaid (`OverlaySource`), writes,
then needs the verification of what is on disk. When nothing but the plan changed, that is the
overlay's: same bytes, same time, same answer. Verifying again cost 5-8 s at 10,000 sovereigns.
`disk_holds` proves it the way git trusts its index and the verification cache its stamp
index: the same listing, every other file's stat stamp unchanged (and not racy when it was
first taken), and every written file reading back as planned. Anything else (a file edited
meanwhile, a name folded on a case-insensitive disk, a stamp too young to vouch) and the
caller verifies the disk afresh.
"""
from __future__ import annotations

import time
from collections.abc import Iterator, Mapping

from publisher import collector
from publisher import source as source_module
from publisher.source import Entry, Source, WorktreeSource


class OverlaySource:
    """A source that shows `writes` over `base`: verification of a change before it exists.
    It records what it served from `base` (each listing, the top-level names, the paths read)
    for `disk_holds`.

    Over a working tree it lends the verifier the tree's stat stamps of the files it does not
    plan (`stamps`) and the tree's stamp index (`stamp_root`): those files are the disk's, so
    their folders' digests come from the index as in a verify of the tree, where every file
    was read and hashed again (about 2 s at 10,000 sovereigns). A planned file has no stamp, so its
    folder is hashed from the planned bytes."""

    def __init__(self, base: Source, writes: Mapping[str, bytes]) -> None:
        self.base, self.writes = base, dict(writes)
        self.served: list[tuple[str, list[Entry]]] = []    # (prefix, the listing served), in order
        self.read_from_base: set[str] = set()
        self.names: list[str] | None = None                # base's top-level names, when asked
        self.horizon: int | None = None                    # stamps at or after it were racy
        if isinstance(base, WorktreeSource):
            self.stamps: Mapping[str, tuple[int, ...]] = _Unplanned(base.stamps, self.writes)
            self.stamp_root = base.describe()

    def describe(self) -> str:
        return f"{self.base.describe()} (+{len(self.writes)} planned file(s))"

    def entries(self, prefix: str = "") -> list[Entry]:
        if self.horizon is None:
            self.horizon = time.time_ns() - source_module.RACY_NS     # before any stamp is taken
            if isinstance(self.base, WorktreeSource):
                self.base.list_by_find()
        served = {e.path: e for e in self.base.entries(prefix) if e.path not in self.writes}
        for path, data in self.writes.items():
            if not prefix or path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                served[path] = Entry(path, "file", len(data))
        listing = [served[p] for p in sorted(served)]
        self.served.append((prefix, listing))
        return listing

    def read(self, path: str) -> bytes:
        if path in self.writes:
            return self.writes[path]
        self.read_from_base.add(path)
        return self.base.read(path)

    def root_names(self) -> list[str]:
        """The top-level names, the planned files' among them (the verifier checks them for
        names that fold to a trust path's). Listed once: a second call serves the first's."""
        if self.names is None:
            own = getattr(self.base, "root_names", None)
            self.names = list(own()) if callable(own) else []
        return sorted(set(self.names) | {path.split("/", 1)[0] for path in self.writes})


class _Unplanned(Mapping[str, tuple[int, ...]]):
    """A working tree's stat stamps, without the files a plan writes (read as they are asked:
    the tree's listing adds them as it lists)."""

    def __init__(self, stamps: Mapping[str, tuple[int, ...]], planned: Mapping[str, bytes]) -> None:
        self._stamps, self._planned = stamps, planned

    def __getitem__(self, path: str) -> tuple[int, ...]:
        if path in self._planned:
            raise KeyError(path)
        return self._stamps[path]

    def __iter__(self) -> Iterator[str]:
        return (path for path in self._stamps if path not in self._planned)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def disk_holds(overlay: OverlaySource) -> bool:
    """True when the working tree under `overlay.base` now holds exactly what `overlay` served:
    every listing it gave, listed again, is the same; every file it did not plan has the stat
    stamp it had, which was older than RACY_NS then; every planned file reads back as planned;
    the top-level names are the same. False whenever any of that cannot be shown."""
    base = overlay.base
    if not isinstance(base, WorktreeSource) or overlay.horizon is None:
        return False
    with collector.paused():    # listing and copying 190,000 stamps: no cycles, many objects
        return _holds(overlay, base, overlay.horizon)


def _holds(overlay: OverlaySource, base: WorktreeSource, horizon: int) -> bool:
    now = WorktreeSource(base.root)
    now.list_by_find()
    if any(now.entries(prefix) != served for prefix, served in overlay.served):
        return False
    # Stamps are recorded for the regular files listed, so with equal listings equal stamps
    # (compared in C, 190,000 of them) cover every file served from the disk.
    then, current = dict(base.stamps), dict(now.stamps)
    for path in overlay.writes:
        then.pop(path, None)
        current.pop(path, None)
    if then != current or not overlay.read_from_base <= then.keys():
        return False
    if any(stamp[1] >= horizon or stamp[2] >= horizon for stamp in then.values()):
        return False
    if overlay.names is not None and set(now.root_names()) != set(overlay.root_names()):
        return False
    for path, data in overlay.writes.items():
        try:
            if now.read(path) != data:
                return False
        except OSError:
            return False
    return True


__all__ = ["OverlaySource", "disk_holds"]
