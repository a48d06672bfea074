"""The job monitor's query: search by key, filters by subquery, pages read by id, all within a workspace."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import selectinload

from webapp.domain.publishing import schedules
from webapp.domain.publishing.publications import MonitorPage, monitor_page, paginate_publications, publication_query
from webapp.extensions import db
from webapp.models import Publication


@pytest.fixture
def ada(make):
    return make.actor()


@pytest.fixture
def five(ada, make) -> list[Publication]:
    """Five publications of Ada's, due an hour apart, on two channels and two contents."""
    blog, social = make.channel(ada, name="Company blog"), make.channel(ada, name="Social hook")
    launch = make.content(ada, title="Launch day", content_type="article")
    tip = make.content(ada, title="Weekly tip", content_type="social")
    base = datetime.now(UTC) + timedelta(days=1)
    for n, (content, channel) in enumerate([(launch, blog), (tip, social), (tip, blog), (launch, social), (tip, blog)]):
        schedules.create_schedule(
            ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": base + timedelta(hours=n)}
        )
    return list(db.session.scalars(db.select(Publication).order_by(Publication.due_at)))


def _ids(actor, **filters) -> list[int]:
    return [p.id for p in db.session.scalars(publication_query(actor, **filters))]


def test_searching_for_an_idempotency_key_finds_that_publication(ada, five):
    assert _ids(ada, q=five[2].idempotency_key) == [five[2].id]


def test_another_workspace_s_key_finds_nothing(ada, five, make):
    outsider = make.actor()

    assert _ids(outsider, q=five[2].idempotency_key) == []


def test_a_title_search_and_a_content_type_filter_combine(ada, five):
    assert _ids(ada, q="tip", content_type="social") == [five[4].id, five[2].id, five[1].id]
    assert _ids(ada, q="launch", content_type="social") == []


def test_platform_and_channel_name_filters_pick_the_channels_publications(ada, five):
    assert _ids(ada, platform="webhook", channel_name="social") == [five[3].id, five[1].id]


def test_a_page_is_read_by_id_in_the_sort_order_with_its_relations(ada, five):
    query = publication_query(ada, sort="due", descending=False)

    rows, total = paginate_publications(query, 2, 2, selectinload(Publication.channel))

    assert total == 5
    assert [p.id for p in rows] == [five[2].id, five[3].id]
    assert "channel" in rows[0].__dict__  # loaded with the page, not one query per row


def test_a_page_past_the_end_is_empty_but_keeps_the_total(ada, five):
    assert paginate_publications(publication_query(ada), 4, 2) == ([], 5)


@pytest.mark.parametrize("sort", ["lateness", "priority", "status", "id"])
def test_every_sort_breaks_ties_by_id(ada, five, sort):
    assert _ids(ada, sort=sort, descending=False) == sorted(p.id for p in five)


def test_the_monitor_page_counts_up_to_its_cap_and_reads_no_page_past_it(ada, five):

    query = publication_query(ada, sort="due", descending=False)

    assert monitor_page(query, 1, 2, 10) == MonitorPage(five[:2], 5, False)
    assert monitor_page(query, 2, 2, 4) == MonitorPage(five[2:4], 4, True)
    assert monitor_page(query, 3, 2, 4) == MonitorPage([], 4, True)


def test_the_monitor_page_counts_only_the_actor_s_workspace(ada, five, make):

    assert monitor_page(publication_query(make.actor()), 1, 2, 3) == MonitorPage([], 0, False)


def test_the_status_sort_orders_each_status_by_due_time(ada, five):
    db.session.query(Publication).filter(Publication.id.in_([five[1].id, five[3].id])).update({"status": "paused"})
    five[0].due_at = five[4].due_at + timedelta(days=1)  # the oldest id is now due last
    db.session.commit()

    order = [five[0].id, five[4].id, five[2].id, five[3].id, five[1].id]  # scheduled, then paused; latest due first
    assert _ids(ada, sort="status") == order
