"""The built sites in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
every page type renders its key content, every internal link answers, no console error or CSP
violation, the search works under the CSP, and nothing in the hostile site executes.
Screenshots (light and dark) go to a temporary directory printed with -s."""
from __future__ import annotations

import os
import threading
from collections import deque
from pathlib import Path
from typing import Any
from collections.abc import Iterator
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from publisher.site.build import Site
from publisher.site.publish import publish
from publisher.site.serve import make_server

CHROMIUM = Path(os.environ.get("HANDSHAKE_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
INSTALL = ("the browser test needs Debian's Chromium and Playwright for Python: "
           "apt-get update && apt-get install -y chromium chromium-driver; "
           "pip install -e '.[browser]' (never `playwright install`)")
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: {INSTALL}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"playwright is not installed: {INSTALL}", pytrace=False)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield instance
        instance.close()


def served(site: Site, root: Path) -> Iterator[str]:
    publish(site.files, root)
    server = make_server(root, 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def demo_url(demo_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from served(demo_site, tmp_path_factory.mktemp("demo") / "site")


@pytest.fixture(scope="module")
def hostile_url(hostile_site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from served(hostile_site, tmp_path_factory.mktemp("hostile") / "site")


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("screenshots")
    print(f"\nscreenshots: {path}")
    return path


class Watched:
    """A page that records console errors, failed responses and CSP violations."""

    def __init__(self, browser: Any, scheme: str = "light") -> None:
        self.context = browser.new_context(color_scheme=scheme, viewport={"width": 1280, "height": 900})
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("response", lambda r: self.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    def open(self, url: str) -> None:
        response = self.page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        self.page.wait_for_load_state("networkidle")
        violations = self.page.evaluate("window.__csp")
        assert violations == [], (url, violations)
        assert self.errors == [], (url, self.errors)

    def close(self) -> None:
        self.context.close()


PAGES = {
    "index.html": ["Genesis Mesh Demo Coalition", "Healthy-coalition checklist", "Build provenance",
                   "Treaties in force expiring within 30 days"],
    "roll-call.html": ["Who holds each sovereign's keys", "Northwind Managed Services", "assisting"],
    "connectome.html": ["Recognition graph", "Every treaty", "Why does one sovereign trust another?",
                        "Revocation blast radius"],
    "sovereigns/borealis-health/index.html": ["Borealis Health Network", "NA key timeline", "Treaties issued"],
    "sovereigns/borealis-health/treaties/85fec392-7427-5c0b-9da0-7ae779442d4b.html": ["Replaced", "Keys and signature"],
    "guide.html": ["Treaty states", "Custody models"],
    "docs/index.html": ["handshake verify-site"],
}


def test_every_page_type_renders_its_content(browser: Any, demo_url: str, shots: Path) -> None:
    for scheme in ("light", "dark"):
        watched = Watched(browser, scheme)
        for path, expected in PAGES.items():
            watched.open(demo_url + path)
            body = watched.page.inner_text("main")
            for text in expected:
                assert text in body, (path, text)
            name = path.replace("/", "_").removesuffix(".html")
            watched.page.screenshot(path=str(shots / f"{name}-{scheme}.png"), full_page=True)
        watched.close()
    assert len(list(shots.glob("*.png"))) == 2 * len(PAGES)


def test_the_graph_is_visible_without_javascript(browser: Any, demo_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo_url + "connectome.html")
    assert page.locator("svg.graph-svg path").count() == 19
    box = page.locator("svg.graph-svg").bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300
    assert page.locator(".search").is_hidden()                   # search appears only with JavaScript
    context.close()


def test_crawl_every_internal_link(browser: Any, demo_url: str) -> None:
    watched = Watched(browser)
    seen: set[str] = set()
    queue = deque([demo_url + "index.html"])
    checked = set()
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        watched.open(url)
        for href in watched.page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urldefrag(urljoin(url, href))[0]
            if not target.startswith(demo_url):
                continue
            if target.endswith(".html"):
                queue.append(target)
            elif target not in checked:
                checked.add(target)
                response = watched.context.request.get(target)
                assert response.status == 200, (url, href)
    pages = {urlsplit(u).path.lstrip("/") for u in seen}
    assert len(pages) >= 29 and "sovereigns/ember-civic/index.html" in pages
    assert len(checked) > 60                                     # raw documents, exports, schemas
    watched.close()


def test_search_finds_sovereigns_and_treaties(browser: Any, demo_url: str) -> None:
    watched = Watched(browser)
    watched.open(demo_url + "sovereigns/aurora-commons/index.html")
    search = watched.page.locator("#search-input")
    assert search.is_visible()
    search.fill("borealis")
    watched.page.wait_for_selector("#search-results li")
    results = watched.page.locator("#search-results li a")
    assert "borealis-health" in results.first.inner_text()
    results.first.click()
    watched.page.wait_for_url("**/sovereigns/borealis-health/index.html")
    search = watched.page.locator("#search-input")
    search.fill("85fec392")
    watched.page.wait_for_selector("#search-results li")
    assert "treaty" in watched.page.locator("#search-results li").first.inner_text()
    assert watched.errors == []
    watched.close()


def test_keyboard_reaches_the_content_first(browser: Any, demo_url: str) -> None:
    watched = Watched(browser)
    watched.open(demo_url + "index.html")
    watched.page.keyboard.press("Tab")
    assert watched.page.evaluate("document.activeElement.textContent") == "Skip to content"
    watched.page.keyboard.press("Enter")
    assert watched.page.evaluate("document.activeElement.id") == "main"
    watched.close()


def test_nothing_executes_in_the_hostile_site(browser: Any, hostile_url: str, hostile_site: Site, shots: Path) -> None:
    watched = Watched(browser)
    pages = sorted(p for p in hostile_site.files if p.endswith(".html"))
    for path in pages:
        watched.page.goto(hostile_url + path, wait_until="load")
        watched.page.wait_for_load_state("networkidle")
        assert watched.page.evaluate("typeof window.__xss") == "undefined", path
        assert watched.page.title() != "pwned", path        # a payload would set exactly this
        assert watched.page.evaluate("window.__csp") == [], path
    watched.page.goto(hostile_url + "index.html")
    watched.page.locator("#search-input").fill("<")                 # renders the hostile names as results
    watched.page.wait_for_selector("#search-results li")
    for link in watched.page.locator("a").all():
        for event in ("mouseover", "focus", "mouseenter"):
            link.dispatch_event(event)
    assert watched.page.evaluate("typeof window.__xss") == "undefined"
    watched.page.screenshot(path=str(shots / "hostile-index.png"), full_page=True)
    assert [e for e in watched.errors if not e.startswith("404")] == []
    watched.close()
