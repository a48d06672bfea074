"""The job monitor counts at most COUNT_CAP matches: "10,000+ publications", and no page past the cap."""

import pytest

from webapp.web.views import publications as monitor

from .test_monitor import _titles, workspace  # noqa: F401 (the three publications)


@pytest.fixture
def capped(monkeypatch, request):
    """Three publications against a cap of two, one a page."""
    request.getfixturevalue("workspace")
    monkeypatch.setattr(monitor, "COUNT_CAP", 2)
    monkeypatch.setattr(monitor, "PER_PAGE", 1)


def test_a_list_longer_than_the_cap_says_cap_plus(client, capped):
    html = client.get("/publications/").get_data(as_text=True)

    assert "2+ publications · page 1 of 2" in html
    assert 'rel="next"' in html and "data-capped" not in html


def test_the_last_page_under_the_cap_says_how_to_see_the_rest(client, capped):
    html = client.get("/publications/?page=2").get_data(as_text=True)

    assert len(_titles(client.get("/publications/?page=2"))) == 1
    assert "The monitor lists the first 2 matches: narrow the filter" in html
    assert 'rel="next"' not in html


def test_a_page_past_the_cap_reads_no_rows_and_links_back_to_the_last_listed(client, capped):
    html = client.get("/publications/?page=3&status=").get_data(as_text=True)

    assert _titles(client.get("/publications/?page=3")) == []
    assert "No publication matches" not in html
    assert "narrow the filter" in html and "Last page listed" in html
    assert "page=2" in html


def test_a_narrower_filter_under_the_cap_counts_exactly(client, capped):
    html = client.get("/publications/?status=failed").get_data(as_text=True)

    assert "1 publication ·" in html and "data-capped" not in html
