"""The job monitor: filters in the URL, qualifiers in the search box, sorting and paging."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from webapp.domain.publishing import schedules
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Membership, Publication, User

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


def _signed_up(auth, email: str) -> Actor:
    """Sign up through the form (now, as the clock says) and return the new owner."""
    auth.sign_up(email)
    user = db.session.query(User).filter_by(email=email).one()
    return Actor(user.id, db.session.query(Membership).filter_by(user_id=user.id).one().workspace_id, "owner", "ui")


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


def test_a_date_range_is_read_in_the_users_zone(client, auth, make):
    # 20:30 UTC on the 11th is 05:30 on the 12th in Tokyo: the user's days, not UTC's, bound the range.
    with time_machine.travel(datetime(2027, 1, 10, 20, 0, tzinfo=UTC), tick=False):
        ada = _signed_up(auth, "ada@example.test")
        db.session.get(User, ada.user_id).timezone = "Asia/Tokyo"
        db.session.commit()
        content, channel = make.content(ada, title="Launch day"), make.channel(ada, name="Company blog")
        run_at = datetime(2027, 1, 11, 20, 30, tzinfo=UTC)
        schedules.create_schedule(ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at})

        tokyo_12th = client.get("/publications/?from=2027-01-12&to=2027-01-12").get_data(as_text=True)
        tokyo_11th = client.get("/publications/?from=2027-01-11&to=2027-01-11").get_data(as_text=True)

    assert "1 publication ·" in tokyo_12th and "<td>Launch day</td>" in tokyo_12th
    assert "0 publications" in tokyo_11th


def test_another_workspace_sees_none_of_these(client, auth, workspace):
    auth.sign_out()
    auth.sign_up("bob@example.test")

    assert "0 publications" in client.get("/publications/").get_data(as_text=True)


def test_the_live_listener_wraps_the_results_and_asks_with_the_current_filters(client, workspace):
    html = client.get("/publications/?status=failed").get_data(as_text=True)

    assert 'hx-include="#monitor-filters" hx-trigger="sse:publication"' in html
    assert 'hx-target="#results" hx-swap="outerHTML"' in html
