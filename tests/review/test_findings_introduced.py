"""Findings the head introduces become review changes, levelled by severity and meaning."""
from __future__ import annotations

import pytest

from publisher.findings import finding
from publisher.review.analysis import introduced_findings

PATH = "sovereigns/alpha/treaties/t.json"


@pytest.mark.parametrize("code, level", [
    ("sig.invalid", "high"),
    ("treaty.expiring_soon", "medium"),
    ("treaty.external_subject", "info"),
    ("lock.root_mismatch", "critical"),
    ("rotation.invalid_old_root_signature", "critical"),
    ("redaction.private_key", "critical"),
    ("redaction.secret_field", "critical"),
    ("redaction.local_path", "high"),
], ids=["error", "warning", "info", "root-mismatch", "bad-rotation", "private-key", "secret", "local-path"])
def test_level_of_an_introduced_finding(code, level):
    changes = introduced_findings([], [finding(PATH, "/signatures", code, "detail")])
    assert [(c.level, c.subject, c.sovereign) for c in changes] == [(level, code, "alpha")]
    assert changes[0].sentence.startswith(f"Verification now reports {code} (")


def test_a_finding_the_base_already_had_is_not_reported():
    old = finding(PATH, "/signatures", "sig.invalid", "old message")
    new = finding(PATH, "/signatures", "sig.invalid", "reworded message")
    assert introduced_findings([old], [new]) == []
    assert len(introduced_findings([old], [new, finding(PATH, "/expires_at", "treaty.expired", "x")])) == 1
