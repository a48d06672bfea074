"""The schedules and content lists page and sort on the server, with filters, sort and page in the URL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.operations import bulk
from webapp.domain.publishing import schedules
from webapp.web.views import listing

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _two_per_page(monkeypatch):
    monkeypatch.setattr(listing, "PER_PAGE", 2)


@pytest.fixture
def five_schedules(ada, make) -> list[int]:
    """Five of Ada's schedules, made in order, due 5, 4, 3, 2, 1 days ahead; the first one is paused."""
    channel = make.channel(ada)
    content = make.content(ada)
    made = []
    for days in (5, 4, 3, 2, 1):
        run_at = datetime.now(UTC) + timedelta(days=days)
        body = {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at}
        made.append(schedules.create_schedule(ada, body).id)
    bulk.run_bulk(ada, "pause", ids=[made[0]], kind="schedules")
    return made


def row_ids(html: str, kind: str) -> list[int]:
    return [int(i) for i in re.findall(rf'<tr id="{kind}-(\d+)"', html)]


def test_the_first_page_shows_the_newest_schedules_and_says_how_many_pages(client, five_schedules):
    html = client.get("/schedules/").get_data(as_text=True)

    assert row_ids(html, "schedule") == five_schedules[::-1][:2]
    assert "5 schedules · page 1 of 3" in html
    assert 'rel="next" href="/schedules/?page=2"' in html
    assert 'rel="prev"' not in html


def test_the_next_pages_show_the_rest_once_each(client, five_schedules):
    seen = []
    for page in (1, 2, 3):
        seen += row_ids(client.get(f"/schedules/?page={page}").get_data(as_text=True), "schedule")
    assert seen == five_schedules[::-1]


@pytest.mark.parametrize(("page", "shown"), [("9", "page 3 of 3"), ("x", "page 1 of 3"), ("-2", "page 1 of 3")])
def test_a_page_out_of_range_shows_the_nearest_one(client, five_schedules, page, shown):
    html = client.get(f"/schedules/?page={page}").get_data(as_text=True)
    assert shown in html
    assert row_ids(html, "schedule")


def test_sorting_by_next_run_ascending_puts_the_soonest_first(client, five_schedules):
    html = client.get("/schedules/?sort=next&dir=asc").get_data(as_text=True)

    assert row_ids(html, "schedule") == [five_schedules[4], five_schedules[3]]
    assert 'aria-sort="ascending"' in html
    # The header link flips the direction; the pager keeps the sort.
    assert 'href="/schedules/?sort=next&amp;dir=desc&amp;page=1"' in html
    assert 'rel="next" href="/schedules/?sort=next&amp;dir=asc&amp;page=2"' in html


def test_an_unknown_sort_falls_back_to_newest_first(client, five_schedules):
    html = client.get("/schedules/?sort=drop+table&dir=sideways").get_data(as_text=True)
    assert row_ids(html, "schedule") == five_schedules[::-1][:2]


def test_the_filter_is_kept_by_the_pager_the_sort_links_and_the_filter_form(client, five_schedules):
    html = client.get("/schedules/?status=active&sort=status").get_data(as_text=True)

    assert "4 schedules · page 1 of 2" in html
    assert 'rel="next" href="/schedules/?status=active&amp;sort=status&amp;page=2"' in html
    assert 'href="/schedules/?status=active&amp;sort=id&amp;dir=desc&amp;page=1"' in html
    assert '<input type="hidden" name="sort" value="status">' in html


def test_all_matching_reaches_every_page_not_only_the_one_shown(client, five_schedules):
    response = client.post(
        "/schedules/bulk/confirm",
        data={"action": "pause", "scope": "all", "filter": "status=active&page=2&sort=next&dir=asc"},
        headers=HX,
    )
    assert "Pause 4 schedules?" in response.get_data(as_text=True)


@pytest.fixture
def five_items(ada, make) -> list[int]:
    return [make.content(ada, title=title).id for title in ("delta", "alpha", "echo", "charlie", "bravo")]


def test_the_content_list_pages_latest_changed_first(client, five_items):
    first = client.get("/contents/").get_data(as_text=True)
    last = client.get("/contents/?page=3").get_data(as_text=True)

    assert row_ids(first, "content") == five_items[::-1][:2]
    assert "5 content items · page 1 of 3" in first
    assert row_ids(last, "content") == [five_items[0]]
    assert 'rel="prev" href="/contents/?page=2"' in last


def test_the_content_list_sorts_by_title_within_a_search(client, ada, make, five_items):
    make.content(ada, title="zulu", body="nothing")  # no "a" in it, as in "echo"
    html = client.get("/contents/?q=a&sort=title&dir=asc").get_data(as_text=True)

    alpha, bravo = five_items[1], five_items[4]
    assert row_ids(html, "content") == [alpha, bravo]
    assert "4 content items · page 1 of 2" in html
    assert 'rel="next" href="/contents/?q=a&amp;sort=title&amp;dir=asc&amp;page=2"' in html
