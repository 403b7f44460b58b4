"""The demo site, byte for byte. Regenerate only with scripts/regen_golden.py (never a flag)."""
from __future__ import annotations

import pytest

from publisher.site.build import Site
from tests.site.site_golden import GOLDEN_DIR, golden_files

REGEN = "if the change is intended, run: python scripts/regen_golden.py (and review the diff)"


def stored() -> dict[str, bytes]:
    if not GOLDEN_DIR.is_dir():
        pytest.fail(f"golden files missing at {GOLDEN_DIR}: {REGEN}", pytrace=False)
    return {p.relative_to(GOLDEN_DIR).as_posix(): p.read_bytes() for p in GOLDEN_DIR.rglob("*") if p.is_file()}


def test_golden_file_set(demo_site: Site) -> None:
    built, golden = golden_files(demo_site), stored()
    assert sorted(set(built) - set(golden)) == [], f"new files: {REGEN}"
    assert sorted(set(golden) - set(built)) == [], f"files no longer built: {REGEN}"


@pytest.mark.parametrize("path", sorted(stored()) if GOLDEN_DIR.is_dir() else ["<missing>"])
def test_golden_bytes(demo_site: Site, path: str) -> None:
    golden = stored()
    assert path in golden, f"golden files missing: {REGEN}"
    built = demo_site.files.get(path)
    assert built is not None, f"{path} is no longer built: {REGEN}"
    if built != golden[path]:
        old, new = golden[path].decode().splitlines(), built.decode().splitlines()
        first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        pytest.fail(f"{path} differs from the golden copy at line {first + 1}:\n"
                    f"  golden: {old[first] if first < len(old) else '<end>'}\n"
                    f"  built:  {new[first] if first < len(new) else '<end>'}\n{REGEN}")
