"""The change channel on the site: changes.html, changes.atom and each sovereign's history.

Entries are built as plain values (the git side is tested in tests/history); one test runs the
real CLI on a git repository and checks `verify-site` reproduces the change pages.
"""
from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser

from publisher.history.changes import ChangeEntry
from publisher.site.build import build_site
from publisher.source import WorktreeSource
from tests.site.site_golden import DEMO_AT, REPO_ROOT, provenance
from publisher.verify import verify_path

ATOM = "{http://www.w3.org/2005/Atom}"
PAYLOAD = '<script>window.pwned=1</script><img src=x onerror="window.pwned=2">'


def entries() -> list[ChangeEntry]:
    t1 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
    return [
        ChangeEntry("b" * 40, t1, "aurora-commons", "critical", "change.root_key_changed",
                    "sovereigns/aurora-commons/genesis.signed.json", "aurora-commons changed its root key " + PAYLOAD),
        ChangeEntry("b" * 40, t1, "", "medium", "change.member_added", "coalition.json", "A member joined."),
        ChangeEntry("a" * 40, t0, "borealis-health", "info", "change.treaty_issued",
                    "sovereigns/borealis-health/treaties/x.json", "Borealis issued a treaty."),
    ]


def build(changes):
    verification = verify_path(REPO_ROOT, at=DEMO_AT)
    return build_site(verification, WorktreeSource(REPO_ROOT), provenance(), changes=changes)


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.bad: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script" and not dict(attrs).get("src"):
            self.bad.append("inline script")
        self.bad += [name for name, _ in attrs if name.startswith("on")]


def test_changes_page_groups_by_commit_and_escapes_text():
    site = build(entries())
    html = site.files["changes.html"].decode()
    assert html.index("bbbbbbbbbbbb") < html.index("aaaaaaaaaaaa")     # newest commit first
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    parser = _Scripts()
    parser.feed(html)
    assert parser.bad == []
    assert 'href="sovereigns/aurora-commons/index.html"' in html
    assert site.manifest["history"] is True


def test_atom_feed_is_well_formed_with_unique_ids():
    feed = ET.fromstring(build(entries()).files["changes.atom"])
    items = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}updated").text for e in items] == ["2026-11-20T09:00:00Z"] * 2 + ["2026-11-01T09:00:00Z"]
    assert len({e.find(f"{ATOM}id").text for e in items}) == 3
    assert feed.find(f"{ATOM}updated").text == "2026-11-20T09:00:00Z"
    assert PAYLOAD in items[0].find(f"{ATOM}summary").text          # text, parsed back unescaped


def test_sovereign_page_lists_only_its_own_history():
    site = build(entries())
    aurora = site.files["sovereigns/aurora-commons/index.html"].decode()
    cascade = site.files["sovereigns/cascade-research/index.html"].decode()
    assert 'id="history"' in aurora and "changed its root key" in aurora
    assert "changed its root key" not in cascade and "No trust change recorded" in cascade


def test_without_history_the_pages_say_so():
    site = build(None)
    assert "No git history was available" in site.files["changes.html"].decode()
    assert ET.fromstring(site.files["changes.atom"]).findall(f"{ATOM}entry") == []
    assert site.manifest["history"] is False


def test_cli_build_reads_history_and_verify_site_reproduces_it(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "clone", "-q", str(REPO_ROOT), str(repo)], check=True)
    out = tmp_path / "site"
    run = [sys.executable, "-m", "publisher"]
    built = subprocess.run([*run, "build", str(repo), "--out", str(out), "--at", "2026-11-23T12:00:00Z"],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    html = (out / "changes.html").read_text()
    assert "becomes a coalition member" in html and "No git history" not in html
    check = subprocess.run([*run, "verify-site", str(out), "--repo", str(repo)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_atom_feed_stays_well_formed_with_characters_xml_forbids():
    """A signed treaty id may hold U+FFFE/U+FFFF (only a filename warning): XML 1.0 has no such
    characters, escaped or not, so the sentence quoting it must write them visibly."""
    hostile = "treaty bad\uffff\ufffeid, control \x01\x1b, tab\tkept"
    changes = [ChangeEntry("c" * 40, datetime(2026, 11, 21, 9, 0, tzinfo=UTC), "aurora-commons", "medium",
                           "change.treaty_issued", "sovereigns/aurora-commons/treaties/x.json", hostile)]
    site = build(changes)
    feed = ET.fromstring(site.files["changes.atom"])
    [entry] = feed.findall(f"{ATOM}entry")
    assert "bad\\uffff\\ufffeid" in entry.find(f"{ATOM}summary").text
    assert "\uffff" not in site.files["changes.html"].decode()
