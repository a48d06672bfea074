"""A cron rule reads in the user's language: the schedule form's preview and the API's."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.frozen import frozen_clock
from webapp.core.recurrence import describe

_clock = frozen_clock(datetime(2031, 3, 3, 9, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("locale", "weekdays", "march_mondays"),
    [
        ("en", "At 09:30, Monday through Friday", "At 08:00, only on Monday, only in March"),
        ("de", "Um 09:30, Montag bis Freitag", "Um 08:00, nur am Montag, nur im März"),
        ("fr", "À 09:30, de lundi à vendredi", "À 08:00, uniquement le lundi, uniquement en mars"),
        ("es", "A las 09:30, de lunes a viernes", "A las 08:00, sólo el lunes, sólo en marzo"),
    ],
)
def test_a_rule_is_described_with_its_days_and_months_in_the_language(locale, weekdays, march_mondays):
    assert describe("30 9 * * 1-5", locale) == weekdays
    assert describe("0 8 * 3 1", locale) == march_mondays


def test_an_unknown_language_reads_english():
    assert describe("30 9 * * 1-5", "pt") == "At 09:30, Monday through Friday"


def test_the_api_preview_describes_the_rule_in_the_requests_language(api):
    body = {"cron": "30 9 * * mon-fri", "timezone": "Europe/Paris"}

    german = api("POST", "/schedules/preview", json=body, headers={"Accept-Language": "de"})
    plain = api("POST", "/schedules/preview", json=body)

    assert german.json["description"] == "Um 09:30, Montag bis Freitag"
    assert plain.json["description"] == "At 09:30, Monday through Friday"


def test_the_schedule_forms_preview_speaks_the_users_language(client, auth):
    auth.sign_up(timezone="Europe/Paris")
    client.post("/settings/language", data={"locale": "es"})

    response = client.get(
        "/schedules/preview", query_string={"cron": "30 9 * * mon-fri"}, headers={"HX-Request": "true"}
    )
    html = response.get_data(as_text=True)

    assert "A las 09:30, de lunes a viernes" in html
