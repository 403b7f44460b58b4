"""The seed override of the differential tests reads what a maintainer types, and refuses the rest."""
from __future__ import annotations

import pytest

from tests.interop.seeds import VARIABLE, parse_seeds, seeds


def test_seeds_and_ranges_in_the_order_given_without_repeats():
    assert parse_seeds("3, 7,20-23,7") == (3, 7, 20, 21, 22, 23)


@pytest.mark.parametrize("text", ["", "a", "3-", "-3", "5,x-9", "1.5"])
def test_anything_else_is_refused_with_the_variable_named(text):
    with pytest.raises(ValueError, match=VARIABLE):
        parse_seeds(text)


def test_the_default_stands_unless_the_variable_names_seeds(monkeypatch):
    monkeypatch.delenv(VARIABLE, raising=False)
    assert seeds((1, 2)) == (1, 2)
    monkeypatch.setenv(VARIABLE, "  ")
    assert seeds((1, 2)) == (1, 2)
    monkeypatch.setenv(VARIABLE, "9-10")
    assert seeds((1, 2)) == (9, 10)
