"""The documentation builds with `mkdocs build --strict`, loads nothing from the network, and
its generated pages exist only at build time."""
from __future__ import annotations

import re

import pytest

from tests.docs.support import DOCS, REPO_ROOT, Build, run_mkdocs


def test_mkdocs_build_strict_passes(built: Build):
    assert built.returncode == 0, built.output
    assert "WARNING" not in built.output, built.output
    urls = {str(p.parent.relative_to(built.site)) for p in built.pages}
    for expected in (".", "operators/quickstart", "operators/managed-operators", "reviewers/verify",
                     "reviewers/pull-requests", "reference/layout", "reference/interop",
                     "reference/reason-codes", "reference/cli", "reference/schemas", "maintainers"):
        assert expected in urls, sorted(urls)
    print(f"mkdocs build --strict: {len(built.pages)} pages in {built.seconds:.2f} s")


def test_site_loads_no_third_party_resources(built: Build):
    external = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.I)
    offenders = [str(p.relative_to(built.site)) for p in built.site.rglob("*.html")
                 if external.search(p.read_text("utf-8"))]
    assert offenders == []


def test_generated_pages_are_never_checked_in(generated: dict[str, str]):
    assert generated, "the hooks generated no page"
    checked_in = [uri for uri in generated if (DOCS / "pages" / uri).exists()]
    assert checked_in == []


def test_generated_pages_are_deterministic(hooks):
    assert hooks.generated_pages() == hooks.generated_pages()


def test_demo_link_follows_the_configured_url(built: Build, tmp_path):
    page = built.html("reviewers/verify")
    assert 'href="../../demo/">the live demo</a>' in page   # default demo/ from the docs root, two levels down
    custom = run_mkdocs(tmp_path / "site", {"HANDSHAKE_DEMO_URL": "https://demo.example/handshake/"})
    assert custom.returncode == 0, custom.output
    assert 'href="https://demo.example/handshake/">the live demo</a>' in custom.html("reviewers/verify")


def test_a_checked_in_copy_of_a_generated_page_is_refused(hooks, tmp_path):
    from mkdocs.config import load_config
    from mkdocs.exceptions import PluginError
    from mkdocs.structure.files import File, Files

    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "cli.md").write_text("# Command line\n\nstale\n", encoding="utf-8")
    config = load_config(str(REPO_ROOT / "mkdocs.yml"))
    stale = Files([File("reference/cli.md", str(tmp_path), str(tmp_path / "site"), True)])
    with pytest.raises(PluginError, match="generated at build time"):
        hooks.on_files(stale, config)


def test_mkdocs_config_is_at_the_repository_root():
    text = (REPO_ROOT / "mkdocs.yml").read_text("utf-8")
    assert "hooks:" in text and "docs/hooks.py" in text
    assert "strict: true" in text


def test_unknown_marker_stops_the_build(hooks):
    class Page:
        url = "reviewers/verify/"

        class file:  # noqa: N801 - mimics mkdocs' Page.file
            src_uri = "reviewers/verify.md"

    from mkdocs.exceptions import PluginError

    with pytest.raises(PluginError, match="unknown marker handshake:no-such-marker"):
        hooks.on_page_markdown("text <!-- handshake:no-such-marker --> text", Page(), None, None)


def test_demo_link_is_relative_to_the_page(hooks):
    class Config:
        extra = {"demo_url": "../"}

    class Page:
        url = "operators/quickstart/"

    class Top:
        url = ""

    assert 'href="../../../"' in hooks._demo_link(Page(), Config())
    assert 'href="../"' in hooks._demo_link(Top(), Config())
    Config.extra = {"demo_url": "https://demo.example/"}
    assert 'href="https://demo.example/"' in hooks._demo_link(Page(), Config())
