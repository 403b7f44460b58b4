"""Write a synthetic coalition repository: documents signed in parallel, history by fast-import.

`generate(dest, scale, workers)` builds `dest` as a git repository whose `main` has
`scale.commits` commits: sovereigns join in `scale.join_batches` commits (each also updating
coalition.json and trust.lock), then one-sovereign updates follow (a treaty added, a treaty
revoked in its row, a revocation feed re-issued). Branch `proposal` adds one treaty file on
top of main (the one-file pull request). Blobs stream into one `git fast-import` as workers
return them, so memory holds marks, not documents. Also writes `payloads.bin`: every
signature of the final tree as (key, signature, message), the signature floor's input.
"""
from __future__ import annotations

import json
import multiprocessing
import shutil
import struct
import subprocess
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from collections.abc import Iterator

from bench import synth

MANIFEST = "bench-manifest.json"
GENERATOR_VERSION = 1
PAYLOAD_HEADER = struct.Struct(">32s64sI")


@dataclass(frozen=True)
class Corpus:
    repo: Path
    payloads: Path
    scale: synth.Scale
    files: int
    signatures: int
    seconds: float


class _FastImport:
    """A `git fast-import` process fed blob by blob; marks are small integers."""

    def __init__(self, repo: Path) -> None:
        self.proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=repo,
                                     stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert self.proc.stdin is not None
        self.out: BinaryIO = self.proc.stdin
        self.mark = 0

    def blob(self, data: bytes) -> int:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\ndata %d\n" % (self.mark, len(data)))
        self.out.write(data)
        self.out.write(b"\n")
        return self.mark

    def commit(self, ref: str, when: datetime, message: str, parent: int | str | None,
               changes: dict[str, int]) -> int:
        self.mark += 1
        text = message.encode()
        stamp = int(when.timestamp())
        self.out.write(b"commit %s\nmark :%d\ncommitter Bench <bench@example.invalid> %d +0000\n"
                       b"data %d\n%s\n" % (ref.encode(), self.mark, stamp, len(text), text))
        if parent is not None:
            self.out.write(b"from %s\n" % (f":{parent}" if isinstance(parent, int) else parent).encode())
        for path, mark in sorted(changes.items()):
            self.out.write(b"M 100644 :%d %s\n" % (mark, path.encode()))
        self.out.write(b"\n")
        return self.mark

    def close(self) -> None:
        self.out.write(b"done\n")
        self.out.close()
        if self.proc.wait() != 0:
            raise RuntimeError("git fast-import failed")


def _build(args: tuple[int, synth.Scale]) -> synth.SovereignOut:
    return synth.build_sovereign(*args)


def _sovereigns(scale: synth.Scale, workers: int) -> Iterator[synth.SovereignOut]:
    jobs = [(i, scale) for i in range(scale.sovereigns)]
    if workers <= 1:
        yield from map(_build, jobs)
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield from pool.imap(_build, jobs, chunksize=16)


def _write_payloads(handle: BinaryIO, payloads: list[tuple[bytes, bytes, bytes]]) -> None:
    for key, message, sig in payloads:
        handle.write(PAYLOAD_HEADER.pack(key, sig, len(message)))
        handle.write(message)


def read_payloads(path: Path) -> Iterator[tuple[bytes, bytes, bytes]]:
    """(public key, message, signature) triples written by `generate`."""
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        key, sig, length = PAYLOAD_HEADER.unpack_from(data, offset)
        offset += PAYLOAD_HEADER.size
        yield key, data[offset:offset + length], sig
        offset += length


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def generate(dest: Path, scale: synth.Scale, workers: int) -> Corpus:
    """Build the corpus at `dest` (replaced); returns where it is and what it holds."""
    started = time.perf_counter()
    if dest.exists():
        shutil.rmtree(dest)
    repo = dest / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "gc.auto", "0")
    payload_path = dest / "payloads.bin"
    importer = _FastImport(repo)
    joined: list[tuple[str, dict[str, int], list[tuple[str, dict[str, int]]], str, str]] = []
    files = signatures = 0
    with payload_path.open("wb") as payload_file:
        for out in _sovereigns(scale, workers):
            marks = {path: importer.blob(data) for path, data in out.files.items()}
            updates = [(kind, {path: importer.blob(data) for path, data in changed.items()})
                       for kind, changed in out.updates]
            joined.append((out.sid, marks, updates, out.root_public_key, out.genesis_digest))
            _write_payloads(payload_file, out.payloads)
            files += len(out.final_files())
            signatures += len(out.payloads)
    phases = {"documents and signatures": time.perf_counter() - started}
    head = _commit_history(importer, scale, joined)
    proposal_path, proposal = synth.extra_treaty(scale)
    importer.commit("refs/heads/proposal", synth.NOW - timedelta(hours=1), "Propose one treaty",
                    head, {proposal_path: importer.blob(proposal)})
    importer.close()
    phases["git fast-import"] = time.perf_counter() - started - sum(phases.values())
    _git(repo, "checkout", "-q", "-f", "main")
    phases["git checkout"] = time.perf_counter() - started - sum(phases.values())
    seconds = time.perf_counter() - started
    (dest / MANIFEST).write_text(json.dumps({
        "generator_version": GENERATOR_VERSION, "scale": scale.__dict__, "files": files + 3,
        "signatures": signatures, "seconds": round(seconds, 2),
        "phases": {k: round(v, 2) for k, v in phases.items()}}, indent=2, sort_keys=True))
    return Corpus(repo, payload_path, scale, files + 3, signatures, seconds)


def _commit_history(importer: _FastImport, scale: synth.Scale,
                    joined: list[tuple[str, dict[str, int], list[tuple[str, dict[str, int]]], str, str]]) -> int:
    start = synth.NOW - timedelta(days=300)
    batches = max(1, min(scale.join_batches, len(joined)))
    per = -(-len(joined) // batches)
    parent: int | None = None
    members: list[tuple[str, str]] = []
    pins: list[tuple[str, str]] = []
    for number, first in enumerate(range(0, len(joined), per)):
        changes: dict[str, int] = {}
        if parent is None:
            changes[".gitignore"] = importer.blob(b"/.handshake-cache/\n/_site/\n")
        for sid, marks, _, root, digest in joined[first:first + per]:
            changes.update(marks)
            members.append((sid, digest))
            pins.append((sid, root))
        changes["coalition.json"] = importer.blob(synth.dump(synth.coalition_document(members)))
        changes["trust.lock"] = importer.blob(synth.dump(synth.lock_document(pins)))
        parent = importer.commit("refs/heads/main", start + timedelta(minutes=number),
                                 f"Join {len(joined[first:first + per])} sovereign(s)", parent, changes)
    pending = [(m, sid, kind, changed) for sid, _, updates, _, _ in joined
               for m, (kind, changed) in enumerate(updates)]
    pending.sort(key=lambda item: (item[0], item[1]))
    step = timedelta(days=200) / max(1, len(pending))
    for number, (_, sid, kind, changed) in enumerate(pending):
        parent = importer.commit("refs/heads/main", start + timedelta(days=1) + step * number,
                                 f"{sid}: {kind}", parent, changed)
    assert parent is not None
    return parent


def existing(dest: Path, scale: synth.Scale) -> Corpus | None:
    """The corpus at `dest` when it was generated for exactly this scale by this generator."""
    try:
        manifest = json.loads((dest / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    if manifest.get("generator_version") != GENERATOR_VERSION or manifest.get("scale") != scale.__dict__:
        return None
    if not (dest / "repo" / ".git").is_dir() or not (dest / "payloads.bin").is_file():
        return None
    status = _git(dest / "repo", "status", "--porcelain", "--untracked-files=no")
    if status.strip():
        return None
    return Corpus(dest / "repo", dest / "payloads.bin", scale, manifest["files"], manifest["signatures"],
                  manifest["seconds"])


__all__ = ["Corpus", "generate", "existing", "read_payloads"]
