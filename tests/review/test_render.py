"""Rendering: hostile text cannot break the comment; JSON is stable and sorted."""
from __future__ import annotations

import json
from datetime import datetime, UTC

import pytest

from publisher.history.model import Change
from publisher.review.analysis import Review
from publisher.review.render import MARKER, md, render_json, render_markdown

AT = datetime(2026, 6, 1, tzinfo=UTC)


def review_of(*changes: Change) -> Review:
    return Review("a" * 40, "b" * 40, AT, tuple(sorted(changes, key=Change.sort_key)), 3, ("alpha",))


@pytest.mark.parametrize("hostile, forbidden", [
    ("x | y", " | y"),
    ("<img src=x onerror=alert(1)>", "<img"),
    ("[click](https://evil.example)", "[click]("),
    ("ping @maintainers", "@maintainers"),
    ("line\n## heading", "\n## heading"),
    ("</details><script>", "</details><script>"),
], ids=["pipe", "html", "link", "mention", "newline", "close-details"])
def test_hostile_sentence_is_escaped(hostile, forbidden):
    text = render_markdown(review_of(Change("change.treaty_issued", "alpha", "sovereigns/alpha/x.json", hostile)))
    assert forbidden not in text
    assert md(hostile) in text


def test_markdown_puts_the_marker_the_counts_and_the_ranked_table_first():
    text = render_markdown(review_of(
        Change("change.treaty_issued", "alpha", "p1", "alpha now recognizes beta."),
        Change("change.root_key_changed", "alpha", "p2", "alpha's root changed."),
    ))
    lines = text.splitlines()
    assert lines[0] == MARKER
    assert "**2 change(s): 1 critical, 1 medium.**" in text
    rows = lines[lines.index("| --- | --- | --- |") + 1:]
    assert rows[0].startswith("| \U0001F534 critical | alpha's root changed.")
    assert rows[1].startswith("| \U0001F7E1 medium | alpha now recognizes beta.")
    assert text.count("<details>") == 2 and text.count("</details>") == 2


def test_empty_review_says_so():
    assert "No trust change" in render_markdown(review_of())


def test_json_is_sorted_and_complete():
    payload = json.loads(render_json(review_of(Change("change.feed_entry_removed", "alpha", "p", "s.", "att-1"))))
    assert payload["summary"]["critical"] == 1
    assert payload["changes"] == [{"code": "change.feed_entry_removed", "level": "critical", "path": "p",
                                   "sentence": "s.", "sovereign": "alpha", "subject": "att-1"}]
    assert render_json(review_of()) == render_json(review_of())


def test_a_flood_of_changes_fits_one_comment_and_hides_nothing_severe():
    """300,000 members added in one pull request must not bury the one critical change or make
    the comment too long to post: what does not fit is counted by code."""
    from publisher.review.render import MARKDOWN_BUDGET
    flood = [Change("change.member_added", "", "coalition.json", f"m{i:05d} becomes a coalition member.", f"m{i:05d}")
             for i in range(20_000)]
    lower = [Change("change.treaty_issued", "alpha", f"sovereigns/alpha/t{i}.json", "alpha now recognizes beta.")
             for i in range(3)]
    critical = Change("change.root_key_changed", "zulu", "sovereigns/zulu/genesis.signed.json", "zulu's root changed.")
    text = render_markdown(review_of(*flood, *lower, critical))
    assert len(text) <= MARKDOWN_BUDGET
    assert "zulu's root changed." in text.split("<details>")[1]          # listed, in the first fold
    left_out = [line for line in text.splitlines() if line.startswith("- … and ")]
    assert len(left_out) == 1
    counted = sum(int(part.split(" × ")[1].split(",")[0].split(" ")[0]) for part in left_out[0].split("`")[2::2]
                  if " × " in part)
    listed_medium = sum(1 for line in text.splitlines() if line.startswith("- ") and "(`change." in line
                        and ("member_added" in line or "treaty_issued" in line))
    assert listed_medium + counted == 20_003
    assert "`change.member_added` × " in left_out[0]


def test_a_small_review_lists_every_change():
    changes = [Change("change.member_added", "", "coalition.json", f"m{i} joins.", f"m{i}") for i in range(40)]
    text = render_markdown(review_of(*changes))
    assert all(f"m{i} joins." in text for i in range(40))
    assert "more not listed here" not in text


def test_a_huge_sentence_is_clipped_to_one_line():
    from publisher.review.render import LINE_CHARACTERS
    text = render_markdown(review_of(Change("change.treaty_issued", "alpha", "p", "x" * 100_000)))
    assert "x" * LINE_CHARACTERS not in text and "x" * (LINE_CHARACTERS - 1) in text


@pytest.mark.parametrize("hostile, forbidden", [
    ("colour \x1b[31mred\x1b[0m", "\x1b"),
    ("clear \x1b]8;;https://evil.example\x07link", "\x07"),
    ("ab\u202edcb.json", "\u202e"),
    ("is\u2066olate\u2069", "\u2066"),
    ("zero\u200bwidth", "\u200b"),
    ("c1\x9bcontrol", "\x9b"),
], ids=["terminal-colour", "terminal-hyperlink", "bidi-override", "bidi-isolate", "zero-width", "c1-control"])
def test_hidden_characters_are_written_visibly(hostile, forbidden):
    """The comment is also printed to CI logs: a git path or a document string must not carry
    a terminal escape, nor a bidi control that shows the line in another order."""
    text = render_markdown(review_of(Change("change.treaty_issued", hostile, f"sovereigns/alpha/{hostile}",
                                            hostile)))
    assert forbidden not in text
    assert f"\\u{ord(forbidden):04x}" in text


def test_text_that_escapes_grow_is_clipped_as_written_and_never_inside_an_escape():
    """The line limit was applied before escaping, and `#` is written as `&#35;`: sixteen changes
    whose sentences and paths were all `#` and `|` rendered to 63,373 characters, past the CI
    template's 60,000 cut and the budget (found by fuzzing review). The limit now holds for the
    text as written, and a cut falls between two escapes."""
    from publisher.review.render import LINE_CHARACTERS, MARKDOWN_BUDGET
    changes = [Change("change.treaty_issued", "#" * 700, "sovereigns/" + "|#" * 700, "#|" * 3000 + f" {i}")
               for i in range(40)]
    text = render_markdown(review_of(*changes))
    assert len(text) <= MARKDOWN_BUDGET
    rows = [line for line in text.splitlines() if line.startswith("| 🔵") or line.startswith("| 🟡")]
    assert len(rows) == 15
    for row in rows:
        cells = row.removesuffix(" |").split(" | ")
        assert len(cells[1]) <= LINE_CHARACTERS and cells[1].endswith(("&#35;…", "\\|…"))
        assert len(cells[2]) <= LINE_CHARACTERS + 2 and cells[2].endswith("…`")     # with its backquotes
    for line in text.splitlines():
        assert "&#3…" not in line and "&#…" not in line and "&…" not in line
