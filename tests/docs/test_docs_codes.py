"""Every reason code of the registry is documented (title and explanation) and appears, with
its own anchor, on the generated reason-code page."""
from __future__ import annotations

import html
import subprocess
import sys

import pytest

from tests.docs.support import REPO_ROOT, Build
from docgen.codes import defining_modules, render_reason_codes, undocumented
from publisher.codes import REGISTRY, Code, Severity


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_code_is_documented(name: str):
    code = REGISTRY[name]
    assert code.title.strip(), f"{name} has no title"
    assert code.explanation.strip(), f"{name} has no explanation"


def test_every_code_appears_on_the_generated_page(built: Build):
    page = built.html("reference/reason-codes")
    missing = [name for name in REGISTRY if f'id="{name}"' not in page]
    assert missing == []
    for name, code in REGISTRY.items():
        assert html.escape(code.title, quote=False) in page, name


def test_every_code_names_its_defining_module():
    modules = defining_modules()
    assert set(modules) == set(REGISTRY)
    assert all(path.startswith("publisher/codes/") for path in modules.values())


def test_undocumented_finds_empty_titles_and_explanations():
    registry = {
        "a.ok": Code("a.ok", Severity.ERROR, "Title", "Explanation."),
        "b.no_text": Code("b.no_text", Severity.WARNING, "Title", "  "),
        "c.no_title": Code("c.no_title", Severity.INFO, "", "Explanation."),
    }
    assert undocumented(registry) == ["b.no_text", "c.no_title"]
    page = render_reason_codes(registry, {})
    assert "{#b.no_text}" in page and "(no explanation)" in page


def test_markup_in_a_code_text_is_shown_not_parsed():
    registry = {"x.y": Code("x.y", Severity.ERROR, "A <b>bold</b> title", "sovereigns/<id>/ and *stars*")}
    page = render_reason_codes(registry, {})
    assert "<b>" not in page and "&lt;id&gt;" in page and "\\*stars\\*" in page


def test_strict_build_fails_on_an_undocumented_code(tmp_path):
    """Runs the build in a child process whose registry gains one code without explanation."""
    script = (
        "import sys, publisher.codes as c\n"
        "from types import MappingProxyType\n"
        "extra = c.Code('docs.test_undocumented', c.Severity.WARNING, 'Undocumented', '')\n"
        "c.REGISTRY = MappingProxyType({**c.REGISTRY, extra.name: extra})\n"
        "from mkdocs.__main__ import cli\n"
        f"sys.argv = ['mkdocs', 'build', '--strict', '-d', {str(tmp_path / 'site')!r}]\n"
        "cli()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode != 0
    assert "docs.test_undocumented has an empty title or explanation" in proc.stdout + proc.stderr
