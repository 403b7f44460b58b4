"""A new reader can answer from the demo pages alone: who recognizes whom, which treaties
expire soon, who operates each sovereign and who holds its keys. Every internal link resolves."""
from __future__ import annotations

import json

import pytest

from publisher.site.build import Site
from tests.site.site_html import internal_target, scan

MEMBERS = ("aurora-commons", "borealis-health", "cascade-research", "delta-logistics", "ember-civic")


def text(site: Site, path: str) -> str:
    return " ".join(" ".join(scan(site.files[path]).text).split())


def test_every_internal_link_and_anchor_resolves(demo_site: Site) -> None:
    ids = {path: set(scan(data).ids) for path, data in demo_site.files.items() if path.endswith(".html")}
    checked = 0
    for path, html in demo_site.files.items():
        if not path.endswith(".html"):
            continue
        for _tag, _attribute, value in scan(html).urls:
            target = internal_target(path, value)
            if target is None:
                continue
            checked += 1
            assert target in demo_site.files, (path, value)
            if "#" in value and target.endswith(".html"):
                assert value.split("#", 1)[1] in ids[target], (path, value)
    assert checked > 500


def test_coalition_page(demo_site: Site) -> None:
    page = text(demo_site, "index.html")
    coalition = json.loads(demo_site.files["coalition.json"])
    assert "Genesis Mesh Demo Coalition" in page and "Demo Coalition Secretariat" in page
    for member in MEMBERS:
        assert f'href="sovereigns/{member}/index.html"' in demo_site.files["index.html"].decode()
    assert "sha256:" in page and "5eed5eed" in page and "2026-11-23 12:00 UTC" in page
    assert "membership attestations" in page and "a static site cannot attest liveness" in page
    assert "https://coalition.example/changes.atom" in page
    manifest = json.loads(demo_site.files["manifest.json"])
    assert manifest["content_digest"] in page
    assert len(coalition["members"]) == 5


def test_coalition_page_answers_which_treaties_expire_soon(demo_site: Site) -> None:
    html = demo_site.files["index.html"].decode()
    section = html.split('id="expiring-h"')[1].split("</section>")[0]
    assert "c2fcc344-af34-5858-a938-859d961aae32" in section and "expires in 2 days" in section
    assert section.count("<tr>") == 2           # header + the one treaty expiring within 30 days


def test_checklist_is_computed(demo_site: Site) -> None:
    html = demo_site.files["index.html"].decode()
    assert 'class="check check-fail"' in html and 'class="check check-pass"' in html
    expiring = html.split("No treaty in force expires within 7 days")[1].split("</li>")[0]
    assert "aurora-commons → delta-logistics" in expiring
    feeds = html.split("Every member publishes a verified revocation feed")[1].split("</li>")[0]
    assert "borealis-health" in feeds and "aurora-commons" not in feeds
    assert html.count('class="check check-unknown"') == 2


def test_roll_call_answers_who_operates_and_holds_keys(demo_site: Site) -> None:
    page = text(demo_site, "roll-call.html")
    assert "Northwind Managed Services assisting" in page
    assert "holds no root or operator key (RFC-008)" in page
    assert "Borealis Health Authority" in page and "managed-na-key" in page
    html = demo_site.files["roll-call.html"].decode()
    marker = 'borealis-health</a> <span class="muted">(Borealis Health Network)</span></th>'
    row = html.split(marker)[1].split("</tr>")[0]
    assert "Borealis Health Authority" in row and "Northwind Managed Services" in row   # NA key held by the partner
    roll = json.loads(demo_site.files["roll-call.json"])
    partner = [p for s in roll["sovereigns"] for p in s["roll_call"]["parties"] if p["managing_partner"]]
    assert [p["name"] for p in partner] == ["Northwind Managed Services"]
    assert partner[0]["holds_trust_bearing_keys"] == []


def test_connectome_answers_who_recognizes_whom(demo_site: Site) -> None:
    html = demo_site.files["connectome.html"].decode()
    found = scan(demo_site.files["connectome.html"])
    assert html.count('<g class="edge edge-') == 19 + 7          # 19 treaties + the 7 legend swatches
    assert "edge-replaced" in html and "edge-revoked" in html and "edge-expiring_soon" in html
    assert 'aria-labelledby="connectome-graph-title"' in html and "<desc id=\"connectome-graph-desc\">" in html
    table = html.split('id="edges-h"')[1].split("</table>")[0]
    assert table.count("<tr>") == 19 + 1
    assert any(i.startswith("why-") for i in found.ids)
    why = html.split('borealis-health</a> → <span class="external" title="not published here">FAR-EAST-NA')[1][:400]
    assert "3 hops" in why
    blast = html.split('id="blast-h"')[1]
    assert "attestation-7f3e-member-departed" in blast and "member_departed" in blast


def test_sovereign_page(demo_site: Site) -> None:
    page = text(demo_site, "sovereigns/cascade-research/index.html")
    assert "Cascade Research Grid" in page and "Genesis verified under the pinned root key" in page
    assert "NA key timeline" in page and "cascade-research-na-2" in page and "current" in page
    assert "reachability hint, not a trust anchor" in page
    assert "Replaced" in page and "Not yet valid" in page
    assert "git checkout 5eed5eed" in page and "handshake verify . --at 2026-11-23T12:00:00Z" in page
    html = demo_site.files["sovereigns/cascade-research/index.html"].decode()
    assert 'href="../../trust-bundles/cascade-research.json"' in html
    assert 'href="../../sovereigns/cascade-research/genesis.signed.json"' in html


@pytest.mark.parametrize("sovereign", MEMBERS)
def test_a_page_per_treaty(demo_site: Site, sovereign: str) -> None:
    files = [p for p in demo_site.files if p.startswith(f"sovereigns/{sovereign}/treaties/")]
    pages = sorted(p for p in files if p.endswith(".html"))
    raws = sorted(p for p in files if p.endswith(".json"))
    assert [p[:-5] for p in pages] == [p[:-5] for p in raws] and pages


def test_treaty_page_explains_replacement(demo_site: Site) -> None:
    page = text(demo_site, "sovereigns/borealis-health/treaties/85fec392-7427-5c0b-9da0-7ae779442d4b.html")
    assert "Replaced" in page and "replaced by" in page.lower() and "7459896c-3b03-5ab7-9c6c-4a86d5a2dbac" in page
    assert "1 hop: borealis-health → recognizes delta-logistics (treaty 7459896c" in page   # via the replacement


def test_raw_documents_are_published_unchanged(demo_site: Site) -> None:
    from tests.site.site_golden import REPO_ROOT
    for path in ("coalition.json", "trust.lock", "sovereigns/aurora-commons/revocation-feed.json"):
        assert demo_site.files[path] == (REPO_ROOT / path).read_bytes()


def test_pages_have_landmarks_and_a_skip_link(demo_site: Site) -> None:
    for path, html in demo_site.files.items():
        if path.endswith(".html"):
            page = html.decode()
            assert '<main id="main"' in page and "<header" in page and "<footer" in page and 'href="#main"' in page
            assert page.count("<h1") == 1, path
