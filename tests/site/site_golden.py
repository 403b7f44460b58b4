"""What the golden site is: the demo coalition built at a fixed time with a fake commit id, so
it depends on neither git state nor the clock. Shared by the golden test and
scripts/regen_golden.py (the only thing that rewrites tests/site/golden/)."""
from __future__ import annotations

from datetime import datetime, UTC
from pathlib import Path

from publisher.site import GENERATOR
from publisher.site.build import Site, build_site
from publisher.site.context import Provenance
from publisher.source import WorktreeSource
from publisher.verify import verify_path

REPO_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
DEMO_AT = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
FAKE_COMMIT = "5eed" * 10


def provenance(**overrides: object) -> Provenance:
    values: dict[str, object] = {"source_commit": FAKE_COMMIT, "evaluated_at": DEMO_AT, "base_url": "",
                                 "generator": GENERATOR, "allow_errors": False}
    values.update(overrides)
    return Provenance(**values)  # type: ignore[arg-type]


def build_demo(root: Path = REPO_ROOT) -> Site:
    verification = verify_path(root, at=DEMO_AT, workers=1)
    return build_site(verification, WorktreeSource(root), provenance())


def golden_files(site: Site) -> dict[str, bytes]:
    """The generated files: every page and export. Left out: copies of inputs (raw documents,
    schemas, vendored static files) and manifest.json (it hashes those copies)."""
    return {path: data for path, data in site.files.items()
            if path.endswith(".html") or path.endswith(".bundle-hash")
            or path in ("connectome.json", "recognition-graph.json", "roll-call.json", "search-index.json")
            or path.startswith("trust-bundles/") or path.endswith("/connectome.json")}
