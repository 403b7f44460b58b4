"""Reason codes of the site build and `handshake verify-site`."""
from __future__ import annotations

from publisher.codes import Code, Severity

ERROR, INFO = Severity.ERROR, Severity.INFO


def _c(name: str, sev: Severity, title: str, explanation: str) -> Code:
    return Code(name, sev, title, explanation)


CODES: tuple[Code, ...] = (
    _c("site.page_name_hashed", INFO, "Page name derived from a hash",
       "The id is not a safe URL segment (or differs from another id only in case), so its page and "
       "raw files live under '_' + 32 hex digits of its sha256. The id itself is shown escaped."),
    _c("site.manifest_unreadable", ERROR, "Site manifest unusable",
       "manifest.json is missing, not JSON, or lacks the source commit and evaluation time needed to "
       "rebuild the site."),
    _c("site.rebuild_failed", ERROR, "Rebuild failed",
       "The site could not be rebuilt from the commit its manifest names (unknown commit, or the "
       "verification of that commit has errors)."),
    _c("site.file_changed", ERROR, "Published file differs from the rebuild",
       "The file's bytes differ from what the manifest's commit and evaluation time produce: the site "
       "was edited after the build, built from uncommitted changes, or by another version."),
    _c("site.file_missing", ERROR, "File missing from the published site",
       "The rebuild produces this file but the published site does not have it."),
    _c("site.file_extra", ERROR, "File not produced by the rebuild",
       "The published site has a file that the rebuild does not produce."),
)
