"""A walk's treaty memo gives the views and changes a fresh build gives, commit after commit.

`build_view(sid, docs, memo)` reuses a TreatyView when the treaty's body and row are the same
objects or equal (`==`) to the ones it was built from, and `compare_sovereign` skips a treaty
whose view is the very same object. Generated histories change bodies and rows between values
that are equal in Python but not the same JSON (1, 1.0, True), move treaties between their
file and the issuer's rows, revoke, un-revoke and delete them.
"""
from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from datetime import UTC, datetime

from publisher.history.compare import Memory, compare_sovereign
from publisher.history.views import TreatyMemo, build_view

SID = "alpha"
IDS = ("t1", "t2", "t3")
odd = st.sampled_from([1, 1.0, True, None, [], {}, "", "active"])
text_or_odd = st.sampled_from(["active", "revoked", "suspended", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z",
                               "replaced_by:t2", "renewed_by:", "role:client"]) | odd
strings = st.lists(text_or_odd, max_size=3)


@st.composite
def bodies(draw: Any, treaty_id: str) -> dict[str, Any]:
    body: dict[str, Any] = {"treaty_id": treaty_id, "subject_sovereign_id": draw(st.sampled_from(["beta", "x", 1]))}
    for key in ("status", "issued_at", "expires_at"):
        if draw(st.booleans()):
            body[key] = draw(text_or_odd)
    if draw(st.booleans()):
        scope: dict[str, Any] = {"allowed_roles": draw(strings)}
        if draw(st.booleans()):
            scope["accepted_statuses"] = draw(strings | odd)
        body["scope"] = draw(st.just(scope) | odd)
    if draw(st.booleans()):
        body["subject_public_keys"] = draw(strings | odd)
    if draw(st.booleans()):
        body["metadata"] = {"renew_of": draw(text_or_odd), "replace_of": draw(text_or_odd)}
    return body


@st.composite
def folders(draw: Any) -> dict[str, Any]:
    docs: dict[str, Any] = {}
    rows = []
    for treaty_id in IDS:
        where = draw(st.sampled_from(["file", "row", "both", "none"]))
        body = draw(bodies(treaty_id))
        if where in ("file", "both"):
            docs[f"sovereigns/{SID}/treaties/{treaty_id}.json"] = body
        if where in ("row", "both"):
            rows.append({"treaty": draw(st.just(body) | bodies(treaty_id)), "status": draw(text_or_odd),
                         "revocation_reason": draw(text_or_odd)})
    if rows:
        docs[f"sovereigns/{SID}/recognition-treaties.json"] = {"recognition_treaties": rows}
    return docs


@settings(max_examples=400, deadline=None)
@given(st.lists(folders(), min_size=1, max_size=6), st.data())
def test_memo_views_equal_fresh_views(history: list[dict[str, Any]], data: st.DataObject) -> None:
    memo: TreatyMemo = {}
    previous: dict[str, Any] = {}
    for docs in history:
        # Keep some documents as the very objects of the previous commit (unchanged files).
        kept = {path: previous[path] for path in docs if path in previous and data.draw(st.booleans())}
        docs = {**docs, **kept}
        fresh = build_view(SID, docs)
        remembered = build_view(SID, docs, memo)
        assert remembered == fresh
        assert list(remembered.treaties) == list(fresh.treaties)
        previous = docs


AT = datetime(2026, 12, 15, tzinfo=UTC)       # 2027-01-01 expiries are within 30 days: notes


@settings(max_examples=400, deadline=None)
@given(st.lists(folders(), min_size=1, max_size=6), st.data(), st.sampled_from([None, AT]))
def test_memo_changes_equal_fresh_changes(history: list[dict[str, Any]], data: st.DataObject,
                                          at: datetime | None) -> None:
    memo: TreatyMemo = {}
    fresh_before = memo_before = None
    fresh_memory, memo_memory = Memory(), Memory()
    previous: dict[str, Any] = {}
    for docs in history:
        kept = {path: previous[path] for path in docs if path in previous and data.draw(st.booleans())}
        docs = {**docs, **kept}
        fresh, remembered = build_view(SID, docs), build_view(SID, docs, memo)
        assert compare_sovereign(memo_before, remembered, memo_memory, at=at, when=AT) \
            == compare_sovereign(fresh_before, fresh, fresh_memory, at=at, when=AT)
        fresh_memory.remember(fresh)
        memo_memory.remember(remembered)
        fresh_before, memo_before, previous = fresh, remembered, docs


def test_memo_is_used_and_forgets_deleted_treaties() -> None:
    body = {"treaty_id": "t1", "subject_sovereign_id": "beta", "status": "active"}
    memo: TreatyMemo = {}
    first = build_view(SID, {f"sovereigns/{SID}/treaties/t1.json": body}, memo)
    again = build_view(SID, {f"sovereigns/{SID}/treaties/t1.json": dict(body)}, memo)
    assert again.treaties["t1"] is first.treaties["t1"]            # equal body: the same view
    build_view(SID, {f"sovereigns/{SID}/genesis.signed.json": {}}, memo)
    assert memo == {}
