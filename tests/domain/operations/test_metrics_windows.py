"""Dashboard figures count each finished publication in the windows it belongs to (today, the last 7 days)."""

from datetime import UTC, datetime, timedelta

from webapp.domain.operations.metrics import workspace_metrics
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Publication

NOW = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)


def _finished(actor, make, status: str, ago: timedelta, lateness_ms: int) -> None:
    content = make.content(actor)
    schedule = schedules.create_schedule(
        actor,
        {"content_id": content.id, "channel_ids": [make.channel(actor).id], "run_at": NOW + timedelta(days=1)},
        now=NOW,
    )
    publication = db.session.scalars(db.select(Publication).filter_by(schedule_id=schedule.id)).one()
    publication.status, publication.finished_at, publication.lateness_ms = status, NOW - ago, lateness_ms
    db.session.commit()


def test_today_the_week_and_older_finishes_are_told_apart(make):
    ada = make.actor()
    _finished(ada, make, "published", timedelta(hours=2), 100)  # today
    _finished(ada, make, "failed", timedelta(hours=3), 0)  # today
    _finished(ada, make, "published", timedelta(days=3), 300)  # this week
    _finished(ada, make, "failed", timedelta(days=3), 0)  # this week
    _finished(ada, make, "published", timedelta(days=9), 5000)  # older: in no figure

    figures = workspace_metrics(ada.workspace_id, "UTC", now=NOW)

    assert (figures["published_today"], figures["failed_today"]) == (1, 1)
    assert figures["success_rate_7d"] == 0.5
    assert (figures["lateness_ms_p50_7d"], figures["lateness_ms_p95_7d"]) == (100, 300)


def test_today_starts_at_midnight_in_the_member_s_zone(make):
    ada = make.actor()
    _finished(ada, make, "published", timedelta(hours=14), 100)  # 01:00 UTC: 02:00 in Paris, 20:00 in Chicago

    assert workspace_metrics(ada.workspace_id, "Europe/Paris", now=NOW)["published_today"] == 1
    assert workspace_metrics(ada.workspace_id, "America/Chicago", now=NOW)["published_today"] == 0
