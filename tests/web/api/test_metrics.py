"""GET /api/v1/metrics: the contract's overview figures for the caller's workspace only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.frozen import frozen_clock
from webapp.extensions import db
from webapp.models import PublicationStatus, utcnow

# Midday: a publication finished a second ago finished today (at 00:00:00.5 it would be yesterday's).
_clock = frozen_clock(datetime(2031, 3, 4, 12, 0, tzinfo=UTC))

CONTRACT_KEYS = {
    "active_schedules",
    "pending",
    "published_today",
    "failed_today",
    "success_rate_7d",
    "lateness_ms_p50_7d",
    "lateness_ms_p95_7d",
}


def finish(publication, status: PublicationStatus, lateness_ms: int) -> None:
    publication.status = status.value
    publication.finished_at = utcnow() - timedelta(seconds=1)
    publication.lateness_ms = lateness_ms


@pytest.fixture
def scheduled(make, owner, schedule_for):
    """An active schedule with four publications, all pending."""
    channels = [make.channel(owner) for _ in range(4)]
    return schedule_for(owner, make.content(owner), channels)


def test_the_keys_are_exactly_the_contract_s(api):
    response = api("GET", "/metrics")
    assert response.status_code == 200
    assert set(response.json) == CONTRACT_KEYS


def test_an_empty_workspace_has_zero_counts_and_no_rates(api):
    assert api("GET", "/metrics").json == {
        "active_schedules": 0,
        "pending": 0,
        "published_today": 0,
        "failed_today": 0,
        "success_rate_7d": None,
        "lateness_ms_p50_7d": None,
        "lateness_ms_p95_7d": None,
    }


def test_active_schedules_and_pending_publications_are_counted(api, scheduled):
    body = api("GET", "/metrics").json
    assert (body["active_schedules"], body["pending"]) == (1, 4)


def test_finished_publications_give_today_s_counts_rate_and_lateness(api, scheduled):
    _, publications = scheduled
    for publication, status, lateness in zip(
        publications,
        [
            PublicationStatus.PUBLISHED,
            PublicationStatus.PUBLISHED,
            PublicationStatus.PUBLISHED,
            PublicationStatus.FAILED,
        ],
        [100, 200, 900, 50],
        strict=True,
    ):
        finish(publication, status, lateness)
    db.session.commit()
    body = api("GET", "/metrics").json
    assert (body["pending"], body["published_today"], body["failed_today"]) == (0, 3, 1)
    assert body["success_rate_7d"] == 0.75
    assert (body["lateness_ms_p50_7d"], body["lateness_ms_p95_7d"]) == (200, 900)


def test_another_workspace_s_activity_is_not_counted(api, make, outsider, schedule_for):
    actor = outsider[1]
    schedule_for(actor, make.content(actor), [make.channel(actor)])
    body = api("GET", "/metrics").json
    assert (body["active_schedules"], body["pending"]) == (0, 0)
