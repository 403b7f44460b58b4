"""`sort_findings` gives one report whatever order and repetition the findings come in: each
finding once, by file, severity, pointer, code and message."""
from __future__ import annotations

from hypothesis import given, strategies as st

from publisher.findings import SEVERITY_ORDER, Finding, Severity, sort_findings

_TEXT = st.sampled_from(["", "a", "b", "sovereigns/x.json", "sovereigns/x.json#", "é", "A"])
FINDINGS = st.builds(Finding, path=_TEXT, pointer=_TEXT, code=_TEXT, severity=st.sampled_from(list(Severity)),
                     message=_TEXT)


@given(st.lists(FINDINGS, max_size=40), st.randoms(use_true_random=False))
def test_any_order_and_repetition_gives_the_one_report(found: list[Finding], random: object) -> None:
    report = sort_findings(found)
    assert len(report) == len(set(found)) and set(report) == set(found)
    keys = [(f.path, SEVERITY_ORDER[f.severity], f.pointer, f.code, f.message) for f in report]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    shuffled = found * 2
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert sort_findings(shuffled) == report
    assert sort_findings(report + found[:3]) == report
