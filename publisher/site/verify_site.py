"""`verify-site`: rebuild a published site from the commit and time its manifest names, and
report every file that differs, as findings (site.file_changed / _missing / _extra).

Reads the site directory and exports the commit into a temporary directory (the git adapter);
everything else is the ordinary verify + build pipeline, so a clean result means the
published bytes are exactly what that commit produces.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from publisher import gitrepo
from publisher.findings import Finding, finding
from publisher.history.load import read_change_channel
from publisher.site.build import BuildRefused, build_site
from publisher.site.context import Provenance
from publisher.site.manifest import compare, load_manifest, read_site
from publisher.source import WorktreeSource

MESSAGES = {
    "changed": ("site.file_changed", "differs from the rebuild"),
    "missing": ("site.file_missing", "the rebuild produces it; the published site lacks it"),
    "extra": ("site.file_extra", "published, but the rebuild does not produce it"),
}


def verify_site(site_dir: str | Path, repo: str | Path, *, generator: str,
                workers: int | None = None) -> tuple[list[Finding], str | None]:
    """Findings for every difference (empty when byte-identical), and the recorded generator."""
    from publisher.verify import verify_path

    try:
        info = load_manifest(site_dir)
    except ValueError as exc:
        return [finding("manifest.json", "", "site.manifest_unreadable", str(exc))], None
    with tempfile.TemporaryDirectory(prefix="handshake-verify-site-") as tmp:
        try:
            gitrepo.export_tree(repo, info.source_commit, tmp)
        except gitrepo.GitError as exc:
            hint = ("; run it in a clone of the repository the site was built from, or give --repo"
                    if not gitrepo.is_repository(repo) else
                    f"; the clone at {repo} lacks that commit: fetch it (git fetch), or give --repo the clone "
                    "the site was built from")
            return [finding("manifest.json", "/source_commit", "site.rebuild_failed", str(exc) + hint)], \
                info.generator
        verification = verify_path(tmp, at=info.evaluated_at, workers=workers)
        provenance = Provenance(source_commit=info.source_commit, evaluated_at=info.evaluated_at,
                                base_url=info.base_url, generator=generator, allow_errors=info.allow_errors)
        try:
            changes = read_change_channel(repo, info.source_commit, at=info.evaluated_at) if info.has_changes else None
            built = build_site(verification, WorktreeSource(tmp), provenance, changes=changes)
        except BuildRefused as exc:
            return [finding("manifest.json", "/source_commit", "site.rebuild_failed", str(exc))], info.generator
    out = []
    for difference in compare(built.files, read_site(site_dir, built.files)):
        code, message = MESSAGES[difference.kind]
        out.append(finding(difference.path, "", code, message))
    return out, info.generator
