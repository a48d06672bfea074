"""The analytics page: figures for a custom range, field errors for bad dates, and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Attempt, Membership

RANGE = {"from": "2027-03-01", "to": "2027-03-07"}
# The history is scheduled inside RANGE, which must be in the future whatever today is.
NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    """Freeze the clock at NOW, before RANGE, for every test here (autouse fixtures run first)."""
    with time_machine.travel(NOW, tick=False):
        yield


def publish(actor, make, channel, when, status, lateness=None, error_class=None):
    """Schedule a post (in the future, inside RANGE) and give it the outcome the test needs."""
    content = make.content(actor)
    schedule = schedules.create_schedule(actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": when})
    publication = schedules.publications_of(schedule)[0]
    publication.status, publication.lateness_ms = status, lateness
    if error_class:
        db.session.add(
            Attempt(
                publication_id=publication.id,
                number=1,
                started_at=when,
                finished_at=when,
                outcome=error_class,
                error_class=error_class,
            )
        )
    db.session.commit()
    return publication


def week(actor, make, name="Blog"):
    channel = make.channel(actor, name=name)
    publish(actor, make, channel, datetime(2027, 3, 2, 9, tzinfo=UTC), "published", 1500)
    publish(actor, make, channel, datetime(2027, 3, 3, 9, tzinfo=UTC), "failed", 2500, "permanent")
    return channel


def test_the_page_shows_the_range_s_figures_and_charts(client, ada, make):
    week(ada, make)

    response = client.get("/analytics/", query_string=RANGE)

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<span class="value" data-figure="due">2</span>' in html
    assert '<span class="value" data-figure="success_rate">50.0%</span>' in html
    assert "<tr><td>Blog</td><td>webhook</td><td>2</td><td>1500 ms</td><td>2500 ms</td><td>100.0%</td></tr>" in html
    assert '<tr><th scope="row">permanent</th><td>1</td></tr>' in html
    assert '<title id="chart-success-title">Success rate per day</title>' in html
    assert 'role="img" aria-labelledby="chart-heatmap-title chart-heatmap-desc"' in html
    assert 'value="2027-03-01"' in html and 'value="2027-03-07"' in html
    assert "How this is worked out" in html
    assert "Too little history to suggest times: 2 finished publications in this range." in html


def test_another_workspace_s_history_is_not_counted(client, ada, make):
    week(make.actor(), make, name="Their blog")

    html = client.get("/analytics/", query_string=RANGE).get_data(as_text=True)

    assert '<span class="value" data-figure="due">0</span>' in html
    assert "Their blog" not in html


def test_without_a_range_the_page_shows_the_last_30_days(client, ada):
    response = client.get("/analytics/")

    assert response.status_code == 200
    assert "last 30 days" in response.get_data(as_text=True)


def test_a_viewer_may_read_analytics(client, ada):
    db.session.query(Membership).filter_by(user_id=ada.user_id).update({"role": "viewer"})
    db.session.commit()

    assert client.get("/analytics/").status_code == 200


def test_a_bad_date_is_shown_next_to_its_field(client, ada):
    response = client.get("/analytics/", query_string={"from": "2027-02-30", "to": "2027-03-07"})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'aria-invalid="true" aria-describedby="range-from-error"' in html
    assert '<p class="error" id="range-from-error">From is not a date (YYYY-MM-DD)</p>' in html
    assert 'data-figure="due"' not in html


def test_an_end_before_the_start_is_an_error_on_to(client, ada):
    response = client.get("/analytics/", query_string={"from": "2027-03-07", "to": "2027-03-01"})

    assert response.status_code == 422
    assert '<p class="error" id="range-to-error">To must not be before From</p>' in response.get_data(as_text=True)


def test_the_csv_export_has_every_figure_and_defuses_formulas(client, ada, make):
    week(ada, make, name='=HYPERLINK("http://evil.test")')

    response = client.get("/analytics/export.csv", query_string=RANGE)

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="herald-analytics-2027-03-01-2027-03-07.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["figure", "group", "measure", "value"]
    assert ["totals", "", "success_rate", "0.5"] in rows
    assert ["success_by_day", "2027-03-02", "published", "1"] in rows
    assert ["errors", "permanent", "count", "1"] in rows
    assert ["lateness", '\'=HYPERLINK("http://evil.test")', "p95_ms", "2500"] in rows


def test_the_csv_export_refuses_a_bad_range(client, ada):
    response = client.get("/analytics/export.csv", query_string={"from": "nope"})

    assert response.status_code == 422
    assert "From is not a date (YYYY-MM-DD)" in response.get_data(as_text=True)
