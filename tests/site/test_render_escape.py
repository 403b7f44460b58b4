"""The site's environment escapes `{{ }}` outputs without wrapping each in Markup
(`publisher.site.render.escape_output`); pages must come out exactly as Jinja2's own
`escape(...)` makes them. Every place an output can land is rendered by both environments
from hostile values: the page, macros and `caller()`, `{% set %}` and `{% filter %}` blocks,
includes, `|safe`, Markup and `__html__` values, numbers, `~` joins and `{% autoescape %}`
blocks (which Jinja2 still compiles its own way)."""
from __future__ import annotations

from typing import Any

import jinja2
import markupsafe
import pytest

from publisher.site import render
from publisher.site.render import visible

TEMPLATES = {
    "page.html": (
        "{% import '_m.html' as m %}<p title=\"{{ v }}\">{{ v }}</p>{{ m.box(v) }}"
        "{% call m.wrap() %}<i>{{ v }}</i>{% endcall %}"
        "{% set block %}<u>{{ v }}</u>{% endset %}{{ block }}{{ block|length }}"
        "{% filter upper %}{{ v }}<s>{% endfilter %}{{ v|safe }}{{ v ~ '<&>' }}"
        "{% include '_inc.html' %}{% for x in [v, 1] %}{{ loop.index }}{{ x }}{% endfor %}"
        "{% autoescape false %}{{ v }}{% endautoescape %}{% autoescape true %}{{ v }}{% endautoescape %}"
        "{{ '<const>' }}{{ 3 }}{{ [v] }}"
    ),
    "_m.html": "{% macro box(x) %}<b>{{ x }}</b>{% endmacro %}{% macro wrap() %}[{{ caller() }}]{% endmacro %}",
    "_inc.html": "<em>{{ v }}</em>",
}


class Html:
    def __html__(self) -> str:
        return "<i>already safe</i>"


VALUES: list[Any] = ['<script>alert("x")</script>', "O'Brien & <co>", markupsafe.Markup("<b>ok</b>"), Html(),
                     42, None, 1.5, "\u202e\u200bid", "", "plain"]


def environment(fast: bool) -> jinja2.Environment:
    cls = render._Environment if fast else jinja2.Environment
    return cls(loader=jinja2.DictLoader(TEMPLATES), autoescape=True, finalize=visible,
               undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_pages_are_escaped_as_jinja2_escapes_them(value: Any) -> None:
    fast, reference = environment(True), environment(False)
    assert fast.get_template("page.html").render(v=value) == reference.get_template("page.html").render(v=value)


def test_the_fast_escape_is_in_use() -> None:
    code = environment(True).compile(TEMPLATES["page.html"], raw=True)
    assert "environment.escape_output(" in code
    assert "environment.escape_output(" not in environment(False).compile(TEMPLATES["page.html"], raw=True)


def test_undefined_still_fails_the_render() -> None:
    with pytest.raises(jinja2.UndefinedError):
        environment(True).from_string("{{ missing }}").render()
