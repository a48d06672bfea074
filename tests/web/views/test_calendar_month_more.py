"""The month view shows each day's first few publications and "+N more" linking to the day; other views show all."""

from __future__ import annotations

from .test_calendar import _clock, berliner, cells, page, post_at, utc  # noqa: F401 (fixtures)


def six_on_the_2nd(actor, make, channel=None):
    channel = channel or make.channel(actor, name="Blog")
    for hour in range(6):  # 08:00 to 13:00 Berlin time on 2 March 2027
        post_at(actor, make, f"Post {hour}", utc(2027, 3, 2, 7 + hour), channel=channel)
    return channel


def test_a_full_day_shows_its_first_four_and_links_the_rest_to_the_day(client, berliner, make):  # noqa: F811
    six_on_the_2nd(berliner, make)

    cell = cells(page(client, view="month", date="2027-03-10"))["2027-03-02"]

    assert [f"Post {n}" in cell for n in range(6)] == [True] * 4 + [False] * 2
    assert '<a class="cal-more" href="/calendar/?view=day&amp;date=2027-03-02"' in cell
    assert "+2 more" in cell


def test_the_day_view_the_link_opens_shows_all_of_them(client, berliner, make):  # noqa: F811
    six_on_the_2nd(berliner, make)

    html = page(client, view="day", date="2027-03-02")

    assert all(f"Post {n}" in html for n in range(6)) and "cal-more" not in html


def test_a_day_that_fits_has_no_more_link(client, berliner, make):  # noqa: F811
    post_at(berliner, make, "Alone", utc(2027, 3, 3, 9))

    assert "cal-more" not in page(client, view="month", date="2027-03-10")


def test_more_counts_only_the_filtered_channel_of_this_workspace(client, berliner, make):  # noqa: F811
    blog = six_on_the_2nd(berliner, make)
    post_at(berliner, make, "Elsewhere", utc(2027, 3, 2, 6), channel=make.channel(berliner, name="Social"))
    stranger = make.actor()
    post_at(stranger, make, "Theirs", utc(2027, 3, 2, 6), channel=make.channel(stranger))

    everything = cells(page(client, view="month", date="2027-03-10"))["2027-03-02"]
    one_channel = cells(page(client, view="month", date="2027-03-10", channel_id=blog.id))["2027-03-02"]

    assert "+3 more" in everything and "Elsewhere" in everything and "Theirs" not in everything
    assert "+2 more" in one_channel and "Elsewhere" not in one_channel


def test_the_week_view_s_cells_also_stop_at_their_share(client, berliner, make, monkeypatch):  # noqa: F811
    from webapp.web.views import calendar as view

    monkeypatch.setitem(view.DAY_CELLS, "week", 5)
    six_on_the_2nd(berliner, make)

    cell = cells(page(client, view="week", date="2027-03-02"))["2027-03-02"]

    assert "Post 4" in cell and "Post 5" not in cell and "+1 more" in cell


def test_a_day_fuller_than_the_views_can_draw_says_so(client, berliner, make, monkeypatch):  # noqa: F811
    from webapp.domain.publishing import calendar

    monkeypatch.setattr(calendar, "MAX_ITEMS", 5)
    six_on_the_2nd(berliner, make)

    html = page(client, view="day", date="2027-03-02")

    assert "Post 4" in html and "Post 5" not in html
    assert "Showing the first 5 publications of this period" in html
