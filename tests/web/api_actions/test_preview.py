"""POST /schedules/preview: the next occurrences of a rule (or the one of a run_at), nothing saved."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.web.api.helpers import soon, utc_text


def test_a_cron_preview_lists_ten_occurrences_in_utc_and_local_time(api, unchanged):
    body = {"cron": "30 9 * * mon-fri", "timezone": "Europe/Paris", "starts_at": "2026-12-01T00:00:00+01:00"}

    # The endpoint lists runs after now: freeze now before starts_at, so the first run is starts_at's, every year.
    with unchanged(), time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        response = api("POST", "/schedules/preview", json=body)

    assert response.status_code == 200
    assert response.json["description"] == "At 09:30, Monday through Friday"
    assert response.json["timezone"] == "Europe/Paris"
    assert len(response.json["occurrences"]) == 10
    assert response.json["occurrences"][0] == {"utc": "2026-12-01T08:30:00Z", "local": "2026-12-01T09:30:00+01:00"}
    assert response.json["occurrences"][-1] == {"utc": "2026-12-14T08:30:00Z", "local": "2026-12-14T09:30:00+01:00"}


def test_a_cron_preview_never_lists_more_runs_than_max_runs_leaves(api, unchanged):
    body = {"cron": "30 9 * * *", "timezone": "Europe/Paris", "starts_at": "2027-03-01T00:00:00+01:00", "max_runs": 3}

    with unchanged(), time_machine.travel(datetime(2027, 2, 20, 12, tzinfo=UTC), tick=False):
        response = api("POST", "/schedules/preview", json=body)

    assert response.status_code == 200
    assert [o["utc"] for o in response.json["occurrences"]] == [
        "2027-03-01T08:30:00Z",
        "2027-03-02T08:30:00Z",
        "2027-03-03T08:30:00Z",
    ]


@pytest.mark.parametrize("max_runs", [0, -1, "2", 1.5, True])
def test_a_preview_with_a_bad_max_runs_is_422_on_that_field(api, max_runs):
    body = {"cron": "30 9 * * *", "timezone": "UTC", "max_runs": max_runs}

    response = api("POST", "/schedules/preview", json=body)

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"max_runs"}


def test_a_run_at_preview_shows_its_one_occurrence_rounded_up_to_the_second(api):
    run_at = soon()

    response = api("POST", "/schedules/preview", json={"run_at": run_at.isoformat(), "timezone": "Asia/Tokyo"})

    assert response.status_code == 200
    assert response.json["timezone"] == "Asia/Tokyo"
    assert response.json["occurrences"] == [
        {"utc": utc_text(run_at), "local": run_at.astimezone(ZoneInfo("Asia/Tokyo")).isoformat()}
    ]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"cron": "61 * * * *", "timezone": "UTC"}, {"cron"}),
        ({"cron": "0 9 * * *", "timezone": "Mars/Olympus"}, {"timezone"}),
        ({"cron": "0 9 * * *"}, {"timezone"}),
        ({"cron": "bogus", "timezone": "Nowhere"}, {"cron", "timezone"}),
        ({"run_at": "2001-01-01T00:00:00Z"}, {"run_at"}),
        ({}, {"run_at"}),
    ],
)
def test_an_invalid_rule_or_timezone_is_422_naming_the_fields(api, unchanged, body, fields):
    with unchanged():
        response = api("POST", "/schedules/preview", json=body)

    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == fields


def test_a_viewer_may_preview(api, viewer_key):
    response = api("POST", "/schedules/preview", key_override=viewer_key, json={"cron": "@daily", "timezone": "UTC"})

    assert response.status_code == 200
