"""The job monitor: filters in the URL, qualifiers in the search box, sorting and paging."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Publication

HX = {"HX-Request": "true"}


@pytest.fixture
def workspace(ada, make):
    blog = make.channel(ada, name="Company blog")
    social = make.channel(ada, name="Social hook")
    launch = make.content(ada, title="Launch day", content_type="article")
    tip = make.content(ada, title="Weekly tip", content_type="social")
    base = datetime.now(UTC) + timedelta(days=1)
    for n, (content, channel, priority) in enumerate(
        [(launch, blog, "high"), (tip, social, "low"), (tip, blog, "normal")]
    ):
        data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": base + timedelta(hours=n)}
        schedules.create_schedule(ada, {**data, "priority": priority})
    db.session.query(Publication).filter_by(priority="low").update({"status": "failed"})
    db.session.commit()
    return {"blog": blog, "social": social}


def _titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    return [t for t in ("Launch day", "Weekly tip") for _ in range(html.count(f"<td>{t}</td>"))]


def test_the_monitor_lists_every_publication_latest_due_first(client, workspace):
    response = client.get("/publications/")

    assert response.status_code == 200
    assert "3 publications" in response.get_data(as_text=True)
    assert _titles(response).count("Weekly tip") == 2


@pytest.mark.parametrize(
    ("query", "count"),
    [
        ("status=failed", 1),
        ("priority=high", 1),
        ("content_type=social", 2),
        ("platform=webhook", 3),
        ("q=launch", 1),
        ("q=status:failed", 1),
        ("q=channel:blog", 2),
        ("q=type:social+priority:normal", 1),
        ("q=channel:nowhere", 0),
    ],
)
def test_filters_and_qualifiers_narrow_the_list(client, workspace, query, count):
    html = client.get(f"/publications/?{query}").get_data(as_text=True)

    assert f"{count} publication" in html


def test_a_channel_filter_by_id(client, workspace):
    html = client.get(f"/publications/?channel_id={workspace['social'].id}").get_data(as_text=True)

    assert "1 publication " in html and "Social hook" in html


def test_filtering_by_htmx_returns_only_the_results_fragment(client, workspace):
    response = client.get("/publications/?status=failed", headers=HX)

    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="results"') and "<html" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_sorting_links_keep_the_filters(client, workspace):
    html = client.get("/publications/?status=failed&sort=due&dir=desc").get_data(as_text=True)

    assert "/publications/?status=failed&amp;sort=due&amp;dir=asc&amp;page=1" in html


def test_a_date_range_is_read_in_the_users_zone(client, workspace):
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    far = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()

    assert "0 publications" in client.get(f"/publications/?from={far}").get_data(as_text=True)
    assert "publication" in client.get(f"/publications/?from={tomorrow}&to={far}").get_data(as_text=True)


def test_another_workspace_sees_none_of_these(client, auth, workspace):
    auth.sign_out()
    auth.sign_up("bob@example.test")

    assert "0 publications" in client.get("/publications/").get_data(as_text=True)


def test_the_live_listener_wraps_the_results_and_asks_with_the_current_filters(client, workspace):
    html = client.get("/publications/?status=failed").get_data(as_text=True)

    assert 'hx-include="#monitor-filters" hx-trigger="sse:publication"' in html
    assert 'hx-target="#results" hx-swap="outerHTML"' in html
