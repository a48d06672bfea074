"""The iCal writer (folding, escaping, CRLF) and the private feed (secret token, 404 for a wrong one)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.integrations import feeds, ical
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import CalendarFeed, Membership


def test_text_values_escape_backslash_semicolon_comma_and_newlines():
    assert ical.escape_text("a\\b;c,d\ne\r\nf") == "a\\\\b\\;c\\,d\\ne\\nf"


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    line = "SUMMARY:" + "é" * 100  # two octets each
    folded = ical.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line  # unfolding gives it back


def test_a_short_line_is_left_alone():
    assert ical.fold("VERSION:2.0") == "VERSION:2.0"


def test_a_calendar_uses_crlf_and_utc_instants():
    start = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
    event = ical.Event("x@herald", start, timedelta(minutes=15), "Hi; there")
    text = ical.calendar("Mine", [event], now=start)
    assert text.startswith("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "DTSTART:20261201T083000Z\r\n" in text and "SUMMARY:Hi\\; there\r\n" in text


@pytest.fixture
def planned(make):
    actor = make.actor()
    channel = make.channel(actor, name="Blog, main")
    content = make.content(actor, title="Launch; day")
    run_at = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    schedule = schedules.create_schedule(
        actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at}
    )
    return actor, schedules.publications_of(schedule)[0]


def test_the_feed_lists_upcoming_publications_with_stable_uids(client, planned):
    actor, publication = planned
    token = feeds.regenerate(actor)

    response = client.get(f"/integrations/calendar/{token}.ics")

    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    assert f"UID:{publication.idempotency_key}@herald\r\n" in text
    assert f"DTSTART:{publication.due_at:%Y%m%dT%H%M%SZ}\r\n" in text
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:Launch\\; day → Blog\\, main\r\n" in unfolded
    again = client.get(f"/integrations/calendar/{token}.ics").get_data(as_text=True)
    assert re.findall(r"UID:.*\r\n", again) == re.findall(r"UID:.*\r\n", text)  # stable across fetches


def test_the_token_is_stored_hashed_and_a_wrong_one_is_404(client, planned):
    actor, _ = planned
    token = feeds.regenerate(actor)

    assert token not in {f.token_hash for f in db.session.query(CalendarFeed)}
    assert client.get(f"/integrations/calendar/{token}x.ics").status_code == 404
    assert client.get("/integrations/calendar/hcal_nothing.ics").status_code == 404


def test_regenerating_revokes_the_old_url(client, planned):
    actor, _ = planned
    old = feeds.regenerate(actor)
    new = feeds.regenerate(actor)

    assert client.get(f"/integrations/calendar/{old}.ics").status_code == 404
    assert client.get(f"/integrations/calendar/{new}.ics").status_code == 200


def test_a_member_who_left_the_workspace_loses_the_feed(client, planned):
    actor, _ = planned
    token = feeds.regenerate(actor)
    db.session.query(Membership).filter_by(user_id=actor.user_id).delete()
    db.session.commit()

    assert client.get(f"/integrations/calendar/{token}.ics").status_code == 404


def test_the_feed_shows_only_its_own_workspace(client, make, planned):
    outsider = make.actor()
    token = feeds.regenerate(outsider)

    text = client.get(f"/integrations/calendar/{token}.ics").get_data(as_text=True)

    assert "BEGIN:VEVENT" not in text and "Launch" not in text
