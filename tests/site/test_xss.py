"""Hostile strings everywhere still produce no executable markup (parsed with html.parser)."""
from __future__ import annotations

import json

import pytest

from publisher.site.build import Site
from tests.site.site_hostile import EXTERNAL, ID_CASE, ID_IMG, ID_NORMAL, ID_SVG, SCRIPT
from tests.site.site_html import is_dangerous, scan

CSP = "default-src 'self'; script-src 'self'"


def pages(site: Site) -> dict[str, bytes]:
    return {p: d for p, d in site.files.items() if p.endswith(".html")}


def test_hostile_repository_has_every_page_kind(hostile_site: Site) -> None:
    kinds = {p.split("/")[0] if "/" in p else p for p in pages(hostile_site)}
    assert {"index.html", "roll-call.html", "connectome.html", "sovereigns"} <= kinds
    treaty_pages = [p for p in pages(hostile_site) if "/treaties/" in p]
    assert len(treaty_pages) == 7


def test_no_script_other_than_the_vendored_one(hostile_site: Site) -> None:
    for path, html in pages(hostile_site).items():
        found = scan(html)
        srcs = [s.get("src") for s in found.scripts]
        root = "../" * path.count("/")
        assert srcs == [f"{root}static/search.js"], path


def test_no_event_handlers_inline_styles_or_embedding(hostile_site: Site) -> None:
    for path, html in pages(hostile_site).items():
        found = scan(html)
        assert found.handlers == [], path
        assert found.styles == [], path
        assert found.embedding == [], path


def test_no_dangerous_url_in_any_link(hostile_site: Site) -> None:
    checked = 0
    for path, html in pages(hostile_site).items():
        for tag, attribute, value in scan(html).urls:
            checked += 1
            assert not is_dangerous(value), (path, tag, attribute, value)
    assert checked > 100


def test_every_page_carries_the_csp(hostile_site: Site) -> None:
    for path, html in pages(hostile_site).items():
        metas = [m for m in scan(html).metas if (m.get("http-equiv") or "").lower() == "content-security-policy"]
        assert len(metas) == 1 and (metas[0].get("content") or "").startswith(CSP), path


def test_payloads_are_shown_as_text(hostile_site: Site) -> None:
    text = "".join(scan(hostile_site.files["sovereigns/Evil-Normal/index.html"]).text)
    assert SCRIPT in text                          # escaped markup decodes back to the literal string
    assert EXTERNAL in "".join(scan(hostile_site.files["connectome.html"]).text)
    assert "<script>window" not in hostile_site.files["sovereigns/Evil-Normal/index.html"].decode()


@pytest.mark.parametrize("sovereign_id", [ID_IMG, ID_SVG, ID_CASE])
def test_unsafe_or_colliding_ids_get_hashed_page_names(hostile_site: Site, sovereign_id: str) -> None:
    index = json.loads(hostile_site.files["search-index.json"])
    urls = [e["url"] for e in index["entries"] if e["k"] == "sovereign" and e["id"] == sovereign_id]
    assert len(urls) == 1
    assert urls[0].startswith("sovereigns/_") and urls[0].endswith("/index.html")
    assert urls[0] in hostile_site.files


def test_safe_id_keeps_its_name(hostile_site: Site) -> None:
    assert f"sovereigns/{ID_NORMAL}/index.html" in hostile_site.files


def test_search_index_urls_are_plain_site_paths(hostile_site: Site) -> None:
    for entry in json.loads(hostile_site.files["search-index.json"])["entries"]:
        assert all(ch.isalnum() or ch in "._-/" for ch in entry["url"]), entry
        assert entry["url"] in hostile_site.files


def test_errors_are_shown_on_affected_pages(hostile_site: Site) -> None:
    page = hostile_site.files["sovereigns/Evil-Normal/index.html"].decode()
    assert "rollcall.partner_holds_keys" in page and "Built with --allow-errors" in page
    assert "coalition.unsafe_url" in hostile_site.files["index.html"].decode()
