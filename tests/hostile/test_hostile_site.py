"""The static site built from hostile repositories (with --allow-errors, so errors are shown):
no markup or script from a document runs, no dangerous link is made, every page keeps the CSP,
ids that would display as another (bidi overrides, invisible characters, controls) are written
visibly and reported as findings on the site, and no site path leaves the site.

Uses the site tests' harness (tests/site: page scanner, build helpers, the Chromium driver).
"""
from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from hostile_attacks import ATTACKS, FOLDER_ATTACKS
from hostile_repo import materialize
from hostile_world import NOW, baseline
from publisher.site.build import Site, build_site
from publisher.site.render import _INVISIBLE
from publisher.source import WorktreeSource
from publisher.verify import verify_path
from test_hostile_corpus import CASES
from tests.site.site_golden import provenance
from tests.site.site_html import is_dangerous, scan
from tests.site.test_browser import Watched, browser, served  # noqa: F401  (browser is a fixture)

CSP = "default-src 'self'; script-src 'self'"
DISPLAY_ATTACKS = sorted(FOLDER_ATTACKS) + [
    "treaty-subject-confusable-id", "treaty-id-terminal-escape", "treaty-id-path-traversal",
    "identity-javascript-endpoint", "identity-data-url-endpoint", "identity-bidi-endpoint",
    "rollcall-javascript-contact", "rollcall-javascript-url", "coalition-javascript-url", "json-lone-surrogate",
    "unexpected-executable-file",
]
EXPECTED = {case.name: case.codes for case in CASES}


def build(repo: Path) -> Site:
    verification = verify_path(repo, at=NOW, workers=1)
    return build_site(verification, WorktreeSource(repo), provenance(evaluated_at=NOW, allow_errors=True))


def pages(site: Site) -> dict[str, bytes]:
    return {p: d for p, d in site.files.items() if p.endswith((".html", ".atom"))}


@pytest.mark.parametrize("attack", DISPLAY_ATTACKS)
def test_hostile_site_is_inert_and_shows_the_finding(attack: str, tmp_path: Path) -> None:
    site = build(materialize(tmp_path / "repo", attack))
    html = pages(site)
    for path, data in html.items():
        text = data.decode("utf-8")
        assert not _INVISIBLE.search(text), (path, _INVISIBLE.search(text))
        if path.endswith(".html"):
            found = scan(data)
            assert [s.get("src") for s in found.scripts] == [f"{'../' * path.count('/')}static/search.js"], path
            assert found.handlers == [] and found.embedding == [], path
            assert [u for u in found.urls if is_dangerous(u[2])] == [], path
            csp = [m.get("content") or "" for m in found.metas
                   if (m.get("http-equiv") or "").lower() == "content-security-policy"]
            assert len(csp) == 1 and csp[0].startswith(CSP), path
    shown = b"".join(html.values()).decode("utf-8")
    assert EXPECTED[attack][0] in shown          # the attack's own finding is on the site


@pytest.mark.parametrize("attack", DISPLAY_ATTACKS)
def test_hostile_ids_never_make_site_paths(attack: str, tmp_path: Path) -> None:
    site = build(materialize(tmp_path / "repo", attack))
    for path in site.files:
        segments = path.split("/")
        assert all(s and s not in (".", "..") and s.isprintable() and "\\" not in s for s in segments), path


def test_deceptive_folder_is_shown_with_its_hidden_character_visible(tmp_path: Path) -> None:
    site = build(materialize(tmp_path / "repo", "folder-bidi-override"))
    index = "".join(scan(site.files["index.html"]).text)
    assert "alpha\\u202e" in index and "\u202e" not in index


def combined_repository(root: Path) -> Path:
    """Every display attack that can coexist, in one repository."""
    files = copy.deepcopy(baseline())
    for name in sorted(FOLDER_ATTACKS) + ["identity-javascript-endpoint", "rollcall-javascript-contact",
                                          "coalition-javascript-url", "treaty-id-terminal-escape"]:
        ATTACKS[name](files)
    for path, data in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(data)
    return root


def test_nothing_executes_in_the_browser(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    site = build(combined_repository(tmp_path / "repo"))
    dialogs: list[str] = []
    watched = Watched(browser)
    watched.page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page_paths = sorted(p for p in site.files if p.endswith(".html"))
    assert len(page_paths) > 30
    for url in served(site, tmp_path / "site"):
        for path in page_paths:
            watched.page.goto(url + path, wait_until="load")
            watched.page.wait_for_load_state("networkidle")
            assert watched.page.evaluate("window.__csp") == [], path
            for link in watched.page.locator("a").all()[:40]:
                link.dispatch_event("mouseover")
        watched.page.goto(url + "index.html")
        watched.page.locator("#search-input").fill("a")
        watched.page.wait_for_selector("#search-results li")
        results = watched.page.inner_text("#search-results")
        assert not re.search("[\u202a-\u202e\u2066-\u2069\u200b]", watched.page.inner_text("main"))
        # The CSP itself forbids inline script: one injected at run time is blocked and reported.
        watched.page.evaluate("""() => { const s = document.createElement('script');
                                         s.textContent = 'window.__inline = 1'; document.body.appendChild(s); }""")
        assert watched.page.evaluate("typeof window.__inline") == "undefined"
        assert any(v.startswith("script-src") for v in watched.page.evaluate("window.__csp"))
    assert dialogs == []
    assert [e for e in watched.errors if not e.startswith("404") and "Content Security Policy" not in e] == []
    assert results
    watched.close()
