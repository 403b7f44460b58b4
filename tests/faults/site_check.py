"""Is a published site directory complete and consistent? (Its manifest lists every file with
its sha256, and nothing else is there.)"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def problems(site: Path) -> list[str]:
    """Empty when `site` is exactly the files its manifest.json lists, with those digests."""
    files = tree(site)
    try:
        listed = json.loads(files.pop("manifest.json"))["files"]
    except (KeyError, ValueError) as exc:
        return [f"no readable manifest.json: {exc}"]
    out = [f"missing {p}" for p in sorted(set(listed) - set(files))]
    out += [f"extra {p}" for p in sorted(set(files) - set(listed))]
    out += [f"changed {p}" for p in sorted(set(files) & set(listed))
            if "sha256:" + hashlib.sha256(files[p]).hexdigest() != listed[p]]
    return out


def evaluated_at(site: Path) -> str:
    return str(json.loads((site / "manifest.json").read_text())["evaluated_at"])


def staging_leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if ".build-" in p.name or ".old-" in p.name)
