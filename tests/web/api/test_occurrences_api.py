"""A recurring schedule's occurrences through /api/v1/schedules/{id}/occurrences: list, skip, move, restore."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import AuditEvent, Publication

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def series(make, owner):
    channel = make.channel(owner, rules={"daily_limit": 1}, timezone="UTC")
    content = make.content(owner, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 9,17 * * *", "timezone": "UTC"}
    return schedules.create_schedule(owner, data, now=NOW), channel


def test_the_list_shows_each_occurrence_with_its_channels_outcome(api, series, assert_schema):
    schedule, channel = series

    response = api("GET", f"/schedules/{schedule.id}/occurrences?count=3")

    assert response.status_code == 200
    assert_schema(response.json, "OccurrenceList")
    items = response.json["items"]
    assert [(i["original_at"], i["state"]) for i in items] == [
        ("2027-03-01T17:00:00Z", "due"),
        ("2027-03-02T09:00:00Z", "due"),
        ("2027-03-02T17:00:00Z", "due"),
    ]
    assert items[0]["publication_ids"] == [p.id for p in schedules.publications_of(schedule)]
    # The 2 March 09:00 run finds the day free, 17:00 finds it taken: moved to the next midnight.
    assert items[2]["channels"] == [
        {"channel_id": channel.id, "outcome": "move", "at": "2027-03-03T00:00:00Z", "reason": "daily limit"}
    ]
    # In the reader's language and timezone (the key owner's: English, UTC), the instants with their zone.
    assert items[2]["notes"] == [f"02 Mar 17:00 UTC: moved to 00:00 UTC on 3 Mar, daily limit ({channel.name})"]


def test_skipping_the_next_occurrence_answers_it_skipped_and_audits(api, series, assert_schema):
    schedule, _ = series

    response = api("POST", f"/schedules/{schedule.id}/occurrences/skip")

    assert response.status_code == 200
    assert_schema(response.json, "Occurrence")
    assert (response.json["original_at"], response.json["state"], response.json["at"]) == (
        "2027-03-01T17:00:00Z",
        "skipped",
        None,
    )
    listed = api("GET", f"/schedules/{schedule.id}/occurrences?count=2").json["items"]
    assert [i["state"] for i in listed] == ["skipped", "due"]
    event = db.session.query(AuditEvent).filter_by(action="schedule.occurrence_skipped").one()
    assert event.source == "api" and event.target_id == schedule.id


def test_moving_and_restoring_an_occurrence(api, series):
    schedule, _ = series
    body = {"at": "2027-03-02T09:00:00Z", "to": "2027-03-02T12:00:00+01:00"}

    moved = api("POST", f"/schedules/{schedule.id}/occurrences/move", json=body)
    restored = api("POST", f"/schedules/{schedule.id}/occurrences/restore", json={"at": "2027-03-02T09:00:00Z"})

    assert (moved.status_code, moved.json["state"], moved.json["at"]) == (200, "moved", "2027-03-02T11:00:00Z")
    assert (restored.status_code, restored.json["state"]) == (200, "due")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at": "2027-03-02T09:05:00Z", "to": "2027-03-02T11:00:00Z"}, "at"),
        ({"at": "2027-03-02T09:00:00Z", "to": "2027-03-01T10:00:00Z"}, "to"),
        ({"at": "2027-03-02T09:00:00Z", "to": "2027-03-02T18:00:00Z"}, "to"),
        ({"at": "2027-03-02T09:00:00Z"}, "to"),
    ],
)
def test_a_bad_move_is_422_with_the_field_and_changes_nothing(api, series, unchanged, body, field):
    schedule, _ = series
    with unchanged():
        response = api("POST", f"/schedules/{schedule.id}/occurrences/move", json=body)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed" and field in response.json["error"]["fields"]


def test_an_occurrence_already_publishing_is_a_conflict(api, series, unchanged):
    schedule, _ = series
    db.session.query(Publication).filter_by(schedule_id=schedule.id).update({"status": "publishing"})
    db.session.commit()

    with unchanged():
        response = api("POST", f"/schedules/{schedule.id}/occurrences/skip", json={})

    assert response.status_code == 409 and "already publishing" in response.json["error"]["message"]


def test_restoring_an_unchanged_occurrence_is_a_conflict(api, series):
    schedule, _ = series
    response = api("POST", f"/schedules/{schedule.id}/occurrences/restore", json={"at": "2027-03-02T09:00:00Z"})
    assert response.status_code == 409


def test_a_bad_count_is_422(api, series):
    schedule, _ = series
    response = api("GET", f"/schedules/{schedule.id}/occurrences?count=0")
    assert response.status_code == 422 and "count" in response.json["error"]["fields"]


def test_a_one_time_schedule_has_no_occurrences_to_list_or_skip(api, make, owner, schedule_for):
    run_at = datetime(2027, 3, 5, tzinfo=UTC)
    schedule, _ = schedule_for(owner, make.content(owner), [make.channel(owner)], run_at=run_at)
    assert api("GET", f"/schedules/{schedule.id}/occurrences").json["items"] == []
    assert api("POST", f"/schedules/{schedule.id}/occurrences/skip", json={}).status_code == 409


def test_another_workspaces_member_gets_404_and_changes_nothing(api, series, outsider, unchanged):
    schedule, _ = series
    key, _ = outsider
    with unchanged():
        for method, path, body in (
            ("GET", "occurrences", None),
            ("POST", "occurrences/skip", {}),
            ("POST", "occurrences/move", {"at": "2027-03-02T09:00:00Z", "to": "2027-03-02T10:00:00Z"}),
            ("POST", "occurrences/restore", {"at": "2027-03-02T09:00:00Z"}),
        ):
            response = api(method, f"/schedules/{schedule.id}/{path}", key_override=key, json=body)
            assert response.status_code == 404, (method, path)


def test_a_viewer_cannot_skip(api, series, viewer_key, unchanged):
    schedule, _ = series
    with unchanged():
        response = api("POST", f"/schedules/{schedule.id}/occurrences/skip", key_override=viewer_key, json={})
    assert response.status_code == 403
