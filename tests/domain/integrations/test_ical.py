"""The private iCal feed: built with icalendar (parsed back here), a secret token, and 404 for a wrong one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar

from webapp.domain.integrations import feeds
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import CalendarFeed, Membership, Workspace

LONG_TITLE = "Launch; day " + "é" * 60  # two octets each: the SUMMARY line must fold
LONG_TITLE_ESCAPED = "Launch\\; day " + "é" * 60


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


def fetch(client, token: str) -> tuple[str, Calendar]:
    response = client.get(f"/integrations/calendar/{token}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    text = response.get_data(as_text=True)
    return text, Calendar.from_ical(text)


def test_the_feed_lists_upcoming_publications_with_stable_uids(client, planned):
    actor, publication = planned
    token = feeds.regenerate(actor)

    text, calendar = fetch(client, token)

    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"{publication.idempotency_key}@herald"
    assert event.decoded("DTSTART") == publication.due_at and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DURATION") == timedelta(minutes=15)
    assert event.end == publication.due_at + timedelta(minutes=15)
    assert str(event["SUMMARY"]) == "Launch; day → Blog, main"
    assert str(event["DESCRIPTION"]) == f"Publication #{publication.id} on Blog, main: scheduled"
    assert str(event["URL"]) == f"http://herald.test/publications/{publication.id}"
    assert abs(event.decoded("DTSTAMP") - datetime.now(UTC)) < timedelta(minutes=1)
    assert event.decoded("LAST-MODIFIED") == publication.updated_at.replace(microsecond=0)
    # Instants are UTC (form #2, with the Z), TEXT is escaped, as the RFC has them on the wire.
    assert f"DTSTART:{publication.due_at:%Y%m%dT%H%M%SZ}\r\n" in text
    assert "SUMMARY:Launch\\; day → Blog\\, main\r\n" in text.replace("\r\n ", "")
    _, again = fetch(client, token)
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(event["UID"])]  # stable across fetches


def test_the_calendar_names_herald_and_the_workspace(client, planned):
    actor, _ = planned
    db.session.get(Workspace, actor.workspace_id).name = "Acme, Inc; EU"
    db.session.commit()

    text, calendar = fetch(client, feeds.regenerate(actor))

    assert calendar.name == "VCALENDAR"
    assert (str(calendar["VERSION"]), str(calendar["PRODID"])) == ("2.0", "-//Herald//Publications//EN")
    assert (str(calendar["CALSCALE"]), str(calendar["METHOD"])) == ("GREGORIAN", "PUBLISH")
    # An X- property is TEXT (RFC 5545 3.8.8.2), escaped on the wire; icalendar hands it back as written.
    assert "X-WR-CALNAME:Herald · Acme\\, Inc\\; EU\r\n" in text
    assert calendar["X-WR-CALNAME"].to_ical().decode() == "Herald · Acme\\, Inc\\; EU"


def test_the_feed_is_crlf_lines_folded_at_75_octets(client, make, planned):
    actor, _ = planned
    make.publication(actor, make.content(actor, title=LONG_TITLE), make.channel(actor, name="Shop"))

    text, calendar = fetch(client, feeds.regenerate(actor))

    assert text.endswith("END:VCALENDAR\r\n") and "\n" not in text.replace("\r\n", "")
    lines = text.split("\r\n")[:-1]
    assert all(len(line.encode("utf-8")) <= 75 for line in lines)
    assert any(line.startswith(" ") for line in lines)  # the long SUMMARY was folded...
    assert f"SUMMARY:{LONG_TITLE_ESCAPED} → Shop\r\n" in text.replace("\r\n ", "")
    summaries = {str(e["SUMMARY"]) for e in calendar.walk("VEVENT")}
    assert summaries == {"Launch; day → Blog, main", f"{LONG_TITLE} → Shop"}  # ...and unfolds whole


def test_a_held_publication_says_why_on_a_second_line(client, planned):
    actor, publication = planned
    publication.status, publication.hold_reason = "paused", "Waiting for approval, then\nfor Anna"
    db.session.commit()

    text, calendar = fetch(client, feeds.regenerate(actor))

    (event,) = calendar.walk("VEVENT")
    expected = f"Publication #{publication.id} on Blog, main: paused\nWaiting for approval, then\nfor Anna"
    assert str(event["DESCRIPTION"]) == expected
    assert "\\nWaiting for approval\\, then\\nfor Anna" in text.replace("\r\n ", "")


def test_a_rescheduled_attempt_is_shown_when_it_will_run(client, planned):
    actor, publication = planned
    publication.next_attempt_at = publication.due_at + timedelta(hours=1)
    db.session.commit()

    _, calendar = fetch(client, feeds.regenerate(actor))

    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == publication.due_at + timedelta(hours=1)


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

    text, calendar = fetch(client, token)

    assert calendar.walk("VEVENT") == [] and "Launch" not in text
