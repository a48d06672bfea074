"""PATCH, DELETE, pause, resume and clone of /schedules/{id}: the database and rq-scheduler agree."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.web.api.helpers import soon, utc_text
from tests.web.api_actions.support import entry, one_time, reload, scheduled_job_ids
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Schedule, utcnow

# Tests that move schedules to fixed dates (and the API takes no `now`) freeze the clock here, before them.
BEFORE_2031 = time_machine.travel(datetime(2031, 3, 1, 12, tzinfo=UTC), tick=False)

ACTIONS = [
    ("PATCH", "/schedules/{}", {"priority": "high"}),
    ("DELETE", "/schedules/{}", None),
    ("POST", "/schedules/{}/pause", None),
    ("POST", "/schedules/{}/resume", None),
    ("POST", "/schedules/{}/clone", None),
]


def test_pause_answers_the_paused_schedule_and_removes_the_entries(api, make, owner):
    schedule, [publication] = one_time(make, owner)

    response = api("POST", f"/schedules/{schedule.id}/pause")

    assert response.status_code == 200
    assert response.json["status"] == "paused"
    assert [p["status"] for p in response.json["publications"]] == ["paused"]
    assert entry(publication) is None


def test_resume_answers_the_active_schedule_with_its_entry_back_at_the_due_second(api, make, owner):
    schedule, [publication] = one_time(make, owner)
    api("POST", f"/schedules/{schedule.id}/pause")

    response = api("POST", f"/schedules/{schedule.id}/resume")

    assert response.status_code == 200
    assert response.json["status"] == "active" and response.json["publications"][0]["status"] == "scheduled"
    assert entry(publication) == reload(publication).due_at.timestamp()


def test_resuming_a_cancelled_schedule_is_409_and_changes_nothing(api, make, owner, unchanged):
    schedule, _ = one_time(make, owner)
    db.session.get(Schedule, schedule.id).status = "cancelled"
    db.session.commit()

    with unchanged():
        response = api("POST", f"/schedules/{schedule.id}/resume")

    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert "cancelled" in response.json["error"]["message"]


def test_patch_moves_a_one_time_schedule_and_its_entry(api, make, owner):
    schedule, [publication] = one_time(make, owner)
    old_job = dispatch.job_id(publication)
    new_time = soon(days=2)

    response = api("PATCH", f"/schedules/{schedule.id}", json={"run_at": new_time.isoformat()})

    assert response.status_code == 200
    assert response.json["run_at"] == response.json["next_run_at"] == utc_text(new_time)
    assert response.json["publications"][0]["due_at"] == utc_text(new_time)
    assert scheduled_job_ids() == {dispatch.job_id(reload(publication))} and old_job not in scheduled_job_ids()
    assert entry(publication) == new_time.timestamp()


@BEFORE_2031
def test_patch_reads_a_naive_run_at_in_the_request_s_timezone(api, make, owner):
    schedule, _ = one_time(make, owner)

    response = api(
        "PATCH", f"/schedules/{schedule.id}", json={"run_at": "2040-07-01T09:00:00", "timezone": "Europe/Paris"}
    )

    assert response.status_code == 200
    assert response.json["run_at"] == "2040-07-01T07:00:00Z"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"run_at": "2001-01-01T00:00:00Z"}, "run_at", "must be in the future"),
        ({"run_at": "2040-07-01T09:00:00"}, "run_at", "has no timezone offset; add one or give a timezone"),
        ({"run_at": "2040-07-01T09:00:00", "timezone": "Mars/Olympus"}, "timezone", "unknown timezone 'Mars/Olympus'"),
        ({"cron": "0 9 * * *"}, "cron", "does not apply to a one-time schedule"),
        ({"priority": "urgent"}, "priority", "must be one of critical, high, normal, low"),
    ],
)
def test_an_invalid_patch_is_422_naming_the_field_and_changes_nothing(
    api, make, owner, unchanged, body, field, message
):
    schedule, _ = one_time(make, owner)

    with unchanged():
        response = api("PATCH", f"/schedules/{schedule.id}", json=body)

    assert response.status_code == 422
    assert response.json["error"]["fields"][field] == message


def test_patch_of_a_recurring_schedule_recomputes_its_next_run(api, make, owner):
    body = {"content_id": make.content(owner).id, "channel_ids": [make.channel(owner).id]}
    created = api("POST", "/schedules", json={**body, "cron": "30 9 * * *", "timezone": "Europe/Paris"}).json

    response = api("PATCH", f"/schedules/{created['id']}", json={"cron": "0 12 * * mon"})

    next_run = datetime.strptime(response.json["next_run_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert response.status_code == 200 and response.json["cron"] == "0 12 * * mon"
    assert next_run.weekday() == 0 and next_run.hour in (10, 11)  # noon in Paris, CET or CEST
    assert response.json["publications"][0]["due_at"] == response.json["next_run_at"]


def test_delete_answers_204_and_removes_rows_and_entries(api, make, owner):
    schedule, [publication] = one_time(make, owner)

    response = api("DELETE", f"/schedules/{schedule.id}")

    assert response.status_code == 204 and response.data == b""
    assert api("GET", f"/schedules/{schedule.id}").status_code == 404
    assert scheduled_job_ids() == set()


def test_clone_answers_201_with_a_new_active_schedule_and_its_entry(api, make, owner):
    schedule, _ = one_time(make, owner)
    api("POST", f"/schedules/{schedule.id}/pause")

    response = api("POST", f"/schedules/{schedule.id}/clone")

    assert response.status_code == 201
    assert response.json["id"] != schedule.id and response.json["status"] == "active"
    assert response.json["channel_ids"] == [c.id for c in schedule.channels]
    assert len(scheduled_job_ids()) == 1


def test_clone_of_a_one_time_schedule_whose_time_passed_needs_run_at(api, make, owner, unchanged):
    schedule, _ = one_time(make, owner)
    db.session.get(Schedule, schedule.id).run_at = utcnow() - timedelta(days=1)
    db.session.commit()

    with unchanged():
        refused = api("POST", f"/schedules/{schedule.id}/clone")
    accepted = api("POST", f"/schedules/{schedule.id}/clone", json={"run_at": soon().isoformat()})

    assert refused.status_code == 422 and "run_at" in refused.json["error"]["fields"]
    assert accepted.status_code == 201


def test_a_clone_body_that_is_not_an_object_is_400(api, make, owner):
    schedule, _ = one_time(make, owner)

    response = api("POST", f"/schedules/{schedule.id}/clone", data="[1]", content_type="application/json")

    assert response.status_code == 400


@pytest.mark.parametrize(("method", "path", "body"), ACTIONS)
def test_a_viewer_gets_403_and_nothing_changes(api, make, owner, viewer_key, unchanged, method, path, body):
    schedule, _ = one_time(make, owner)

    with unchanged():
        response = api(method, path.format(schedule.id), key_override=viewer_key, json=body)

    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize(("method", "path", "body"), ACTIONS)
def test_another_workspace_s_schedule_is_404(api, make, outsider, unchanged, method, path, body):
    schedule, _ = one_time(make, outsider[1])

    with unchanged():
        response = api(method, path.format(schedule.id), json=body)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@BEFORE_2031
def test_rescheduling_against_a_channel_rule_is_refused_with_the_clash_and_moves_nothing(api, make, owner):
    channel = make.channel(owner, rules={"time_slots": ["09:00"]}, timezone="UTC")
    content = make.content(owner, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": "2031-03-04T09:00:00Z"}
    schedule = schedules.create_schedule(owner, data)
    [publication] = schedules.publications_of(schedule)
    before = entry(publication)

    refused = api("PATCH", f"/schedules/{schedule.id}", json={"run_at": "2031-03-04T10:30:00Z"})

    assert refused.status_code == 422
    assert refused.json["error"]["fields"]["run_at"]
    assert [c["rule"] for c in refused.json["error"]["clashes"]] == ["time_slot"]
    assert refused.json["error"]["next_free_slots"][str(channel.id)][0] == "2031-03-05T09:00:00Z"
    assert reload(publication).due_at == datetime(2031, 3, 4, 9, 0, tzinfo=UTC) and entry(publication) == before

    forced = api("PATCH", f"/schedules/{schedule.id}", json={"run_at": "2031-03-04T10:30:00Z", "allow_conflicts": True})

    assert forced.status_code == 200
    assert reload(publication).due_at == datetime(2031, 3, 4, 10, 30, tzinfo=UTC)


@BEFORE_2031
def test_moving_a_schedule_within_its_own_slot_does_not_clash_with_itself(api, make, owner):
    channel = make.channel(owner, rules={"time_slots": ["09:00"], "daily_limit": 1}, timezone="UTC")
    content = make.content(owner, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": "2031-03-04T09:00:00Z"}
    schedule = schedules.create_schedule(owner, data)

    moved = api("PATCH", f"/schedules/{schedule.id}", json={"run_at": "2031-03-05T09:00:00Z"})

    assert moved.status_code == 200
