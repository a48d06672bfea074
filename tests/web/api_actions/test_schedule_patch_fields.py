"""PATCH /schedules/{id} takes every field of the edit form: channels, window, run count, clash policy."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.frozen import frozen_clock
from tests.web.api_actions.support import entry, reload, scheduled_job_ids
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Publication

NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)

_clock = frozen_clock(NOW)


def one_time(make, owner, channels=1):
    made = [make.channel(owner) for _ in range(channels)]
    data = {"content_id": make.content(owner).id, "channel_ids": [c.id for c in made], "run_at": "2031-01-10T09:00Z"}
    return schedules.create_schedule(owner, data), made


def series(make, owner):
    data = {"content_id": make.content(owner).id, "channel_ids": [make.channel(owner).id], "cron": "30 9 * * *"}
    return schedules.create_schedule(owner, {**data, "timezone": "Europe/Paris"})


def test_patch_adds_and_removes_channels(api, make, owner, assert_schema):
    schedule, [kept, dropped] = one_time(make, owner, channels=2)
    added = make.channel(owner)
    gone = next(p for p in schedules.publications_of(schedule) if p.channel_id == dropped.id)

    response = api("PATCH", f"/schedules/{schedule.id}", json={"channel_ids": [kept.id, added.id]})

    assert response.status_code == 200
    assert_schema(response.json, "Schedule")
    assert response.json["channel_ids"] == [kept.id, added.id]
    statuses = {p["channel_id"]: p["status"] for p in response.json["publications"]}
    assert statuses == {kept.id: "scheduled", dropped.id: "cancelled", added.id: "scheduled"}
    assert dispatch.job_id(gone) not in scheduled_job_ids() and len(scheduled_job_ids()) == 2


def test_patch_changes_a_series_window_run_count_and_clash_policy(api, make, owner, assert_schema):
    schedule = series(make, owner)
    body = {"starts_at": "2030-12-10T00:00:00+01:00", "ends_at": "2031-02-01T00:00:00Z", "max_runs": 5}

    response = api("PATCH", f"/schedules/{schedule.id}", json={**body, "clash_policy": "skip"})

    assert response.status_code == 200
    assert_schema(response.json, "Schedule")
    got = {k: response.json[k] for k in ("starts_at", "ends_at", "max_runs", "clash_policy", "next_run_at")}
    assert got == {
        "starts_at": "2030-12-09T23:00:00Z",
        "ends_at": "2031-02-01T00:00:00Z",
        "max_runs": 5,
        "clash_policy": "skip",
        "next_run_at": "2030-12-10T08:30:00Z",
    }
    assert response.json["publications"][0]["due_at"] == "2030-12-10T08:30:00Z"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        (
            {"starts_at": "2031-02-01T00:00:00Z", "ends_at": "2031-01-01T00:00:00Z"},
            "ends_at",
            "must be after starts_at",
        ),
        ({"ends_at": "2030-11-30T00:00:00Z"}, "cron", "has no occurrence in the schedule's window"),
        (
            {"channel_ids": []},
            "channel_ids",
            "cannot remove the last channel while runs are pending; cancel the schedule instead",
        ),
        ({"clash_policy": "later"}, "clash_policy", "must be one of move, skip, publish"),
        ({"max_runs": 0}, "max_runs", "must be a positive whole number"),
    ],
)
def test_an_invalid_edit_of_a_series_is_422_naming_the_field_and_changes_nothing(
    api, make, owner, unchanged, body, field, message
):
    schedule = series(make, owner)

    with unchanged():
        response = api("PATCH", f"/schedules/{schedule.id}", json=body)

    assert response.status_code == 422
    assert response.json["error"]["fields"][field] == message


def test_patch_while_a_publication_is_publishing_is_409_and_changes_nothing(api, make, owner, unchanged):
    schedule, [first, second] = one_time(make, owner, channels=2)
    reload(schedules.publications_of(schedule)[0]).status = "publishing"
    db.session.commit()

    with unchanged():
        response = api("PATCH", f"/schedules/{schedule.id}", json={"run_at": "2031-02-01T09:00:00Z"})

    assert response.status_code == 409
    assert response.json["error"]["message"].startswith("A publication of this schedule is being published right now")


def test_an_added_channel_that_breaks_its_rules_is_422_with_free_slots_unless_allowed(api, make, owner, unchanged):
    schedule, [first] = one_time(make, owner)
    strict = make.channel(owner, rules={"time_slots": ["17:00"]}, timezone="UTC")
    body = {"channel_ids": [first.id, strict.id]}

    with unchanged():
        refused = api("PATCH", f"/schedules/{schedule.id}", json=body)
    allowed = api("PATCH", f"/schedules/{schedule.id}", json={**body, "allow_conflicts": True})

    assert refused.status_code == 422
    assert [c["rule"] for c in refused.json["error"]["clashes"]] == ["time_slot"]
    assert set(refused.json["error"]["next_free_slots"]) == {str(strict.id)}
    assert refused.json["error"]["next_free_slots"][str(strict.id)][0] == "2031-01-10T17:00:00Z"
    assert allowed.status_code == 200 and len(allowed.json["publications"]) == 2


def test_another_workspace_s_schedule_is_404_for_the_new_fields_too(api, make, outsider, unchanged):
    stranger = outsider[1]
    schedule, [channel] = one_time(make, stranger)

    with unchanged():
        response = api("PATCH", f"/schedules/{schedule.id}", json={"channel_ids": [channel.id], "max_runs": 3})

    assert response.status_code == 404


def test_publish_now_with_allow_conflicts_publishes_against_a_channel_rule(api, make, owner):
    strict = make.channel(owner, rules={"time_slots": ["17:00"]}, timezone="UTC")
    body = {"content_id": make.content(owner).id, "channel_ids": [strict.id]}

    refused = api("POST", "/publish-now", json=body)
    allowed = api("POST", "/publish-now", json={**body, "allow_conflicts": True})

    assert refused.status_code == 422 and "run_at" in refused.json["error"]["fields"]
    assert allowed.status_code == 201
    assert allowed.json["items"][0]["due_at"] == "2030-12-02T10:00:01Z"
    publication = db.session.get(Publication, allowed.json["items"][0]["id"])
    assert entry(publication) == publication.due_at.timestamp()
