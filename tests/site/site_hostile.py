"""A coalition whose every string is an attack: script and markup payloads in ids, labels,
metadata, endpoints, party names, treaty ids, claims, feed entries and the coalition itself.

Every payload that could run sets `window.__xss` and the document title, so the browser test
can tell that nothing executed; the static test parses every page for executable markup.
"""
from __future__ import annotations

from tests.site.site_synth import SovereignSpec, TreatySpec

SCRIPT = "<script>window.__xss='script';document.title='pwned'</script>"
IMG = "\"><img src=x onerror=\"window.__xss='img';document.title='pwned'\">"
SVG = "<svg onload=\"window.__xss='svg'\"><script>window.__xss='svg2'</script></svg>"
TEXT_BREAK = "</text></svg><script>window.__xss='break'</script>"
JS_URL = "javascript:window.__xss='href';document.title='pwned'"
ATTR = "' onmouseover='window.__xss=1' x='"

ID_IMG = "\"><img src=x onerror=window.__xss=1>"          # folder names: anything but '/'
ID_SVG = "<svg onload=window.__xss=2>"
ID_NORMAL = "Evil-Normal"
ID_CASE = "evil-normal"                                      # differs from Evil-Normal only in case
EXTERNAL = "<script>window.__xss=5</script>"

HOSTILE_COALITION = {
    "name": SCRIPT + " Coalition", "description": SVG,
    "operator": {"name": IMG, "contact": JS_URL, "url": "javascript:alert(1)"},
    "change_channel": JS_URL, "docs_url": "javascript:alert(1)", "site_url": JS_URL,
    "notice_commitments": [{"change": SCRIPT, "notice_days": 1, "description": IMG}],
    "surfaces": {"published": [SCRIPT, TEXT_BREAK], "not_published": [{"surface": IMG, "reason": SVG}]},
}
MEMBER_FIELDS = {ID_NORMAL: {"handshake_url": JS_URL, "note": SCRIPT}, ID_IMG: {"note": IMG}}


def hostile_specs() -> list[SovereignSpec]:
    parties = [
        {"name": SCRIPT, "roles": ["operator"], "holds_keys": ["root", "network-authority", "operator"],
         "contact": JS_URL, "url": "javascript:alert(1)", "assistance_notes": [SVG]},
        {"name": IMG, "roles": ["managing-partner", ATTR], "holds_keys": ["root"],
         "contact": "mailto:a@b.example?subject=%22%3E%3Cscript%3E", "url": "data:text/html,<script>alert(1)</script>"},
    ]
    normal = SovereignSpec(
        id=ID_NORMAL, display_name=SCRIPT,
        metadata={"operator_label": IMG, TEXT_BREAK: JS_URL, "website": JS_URL, "nested": {"x": SVG}},
        endpoints=(JS_URL, "https://ok.example/\"><script>window.__xss=6</script>", "data:text/html,<b>x</b>"),
        parties=parties, feed={SCRIPT: SVG, IMG: TEXT_BREAK},
        treaties=[
            TreatySpec(subject=ID_IMG, name="img", treaty_id="\"><img src=x onerror=window.__xss=3>",
                       roles=(SCRIPT,), claims={IMG: SCRIPT, "purpose": TEXT_BREAK}),
            TreatySpec(subject=ID_SVG, name="rows-only", treaty_id="</a><script>window.__xss=4</script>",
                       in_rows_only=True, metadata={"renew_of": JS_URL, IMG: SCRIPT}),
            TreatySpec(subject=EXTERNAL, name="external"),
            TreatySpec(subject=ID_CASE, name="revoked", revoked=SCRIPT),
        ])
    return [
        normal,
        SovereignSpec(id=ID_IMG, display_name=IMG, endpoints=(JS_URL,),
                      treaties=[TreatySpec(subject=ID_NORMAL, name="back", metadata={"replace_of": SCRIPT})]),
        SovereignSpec(id=ID_SVG, display_name=TEXT_BREAK, treaties=[TreatySpec(subject=ID_IMG, name="svg")]),
        SovereignSpec(id=ID_CASE, display_name=ATTR, treaties=[TreatySpec(subject=ID_NORMAL, name="case")]),
    ]
