"""Tags: short texts, at most MAX_TAGS of them, trimmed and without repeats."""

from __future__ import annotations

import pytest

from webapp.core.validation import MAX_TAGS, clean_tags, tags_problem


@pytest.mark.parametrize(
    ("tags", "problem"),
    [
        (["news", "launch"], None),
        (["t"] * MAX_TAGS, None),
        (["t"] * (MAX_TAGS + 1), f"must be at most {MAX_TAGS} tags"),
        ([f"tag{n}" for n in range(20_000)], f"must be at most {MAX_TAGS} tags"),
        (["x" * 61], "must be a list of short texts"),
        ("news", "must be a list of short texts"),
        ([""], "must be a list of short texts"),
    ],
)
def test_tags_are_a_short_list_of_short_texts(tags, problem):
    assert tags_problem(tags) == problem


def test_clean_tags_trims_and_drops_repeats_in_order():
    assert clean_tags([" news ", "launch", "news", "  "]) == ["news", "launch"]


def test_twenty_thousand_tags_on_the_api_are_a_422(api):
    response = api("POST", "/contents", json={"title": "Launch", "tags": [f"t{n}" for n in range(20_000)]})

    assert response.status_code == 422 and response.json["error"]["fields"]["tags"] == "must be at most 50 tags"
