"""The calendar: views in the user's timezone (DST days included), the channel filter, isolation, moving."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from webapp.domain.publishing import schedules
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, Publication, User

HX = {"HX-Request": "true"}
ZONE = "Europe/Berlin"  # CET/CEST: 2027 springs forward on 28 March, falls back on 31 October
# The tests schedule and move publications in 2027, which must be in the future whatever today is.
NOW = datetime(2027, 2, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    """Freeze the clock at NOW for every test here (autouse fixtures run first, so before any sign-up or post)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def berliner(client, auth) -> Actor:
    """A signed-in owner whose profile timezone is Berlin."""
    auth.sign_up("bea@example.test", timezone=ZONE)
    user = db.session.query(User).filter_by(email="bea@example.test").one()
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    return Actor(user.id, membership.workspace_id, "owner", "ui")


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def post_at(actor, make, title: str, when: datetime, channel=None, **extra):
    """Schedule `title` once at `when` and return its (first) publication."""
    channel = channel or make.channel(actor)
    content = make.content(actor, title=title)
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": when, **extra}
    schedule = schedules.create_schedule(actor, data)
    return schedules.publications_of(schedule)[0]


def cells(html: str) -> dict[str, str]:
    """Map each day cell's (or hour slot's) key to its HTML: '2027-03-02' or '2027-03-02T09'."""
    found = {}
    for match in re.finditer(
        r'<(td|div) class="cal-(?:day|slot)[^"]*"[^>]*?\sdata-date="([\d-]+)"(?:\s+data-hour="(\d+)")?', html
    ):
        end = html.find(f"</{match.group(1)}>", match.end())
        key = match.group(2) + (f"T{int(match.group(3)):02d}" if match.group(3) else "")
        found[key] = html[match.end() : end]
    return found


def page(client, **args) -> str:
    response = client.get("/calendar/", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_month_view_puts_each_publication_on_its_local_day(client, berliner, make):
    post_at(berliner, make, "Late-night post", utc(2027, 3, 1, 23, 30))  # 00:30 CET on 2 March

    html = cells(page(client, view="month", date="2027-03-10"))

    assert "Late-night post" in html["2027-03-02"]
    assert "Late-night post" not in html["2027-03-01"]
    assert "00:30" in html["2027-03-02"]
    assert min(html) == "2027-03-01" and max(html) == "2027-04-04"  # whole weeks, Monday first


def test_a_spring_forward_day_ends_at_local_midnight(client, berliner, make):
    post_at(berliner, make, "After midnight CEST", utc(2027, 3, 28, 22, 30))  # 00:30 CEST on 29 March

    html = cells(page(client, view="week", date="2027-03-28"))

    assert "After midnight CEST" not in html["2027-03-28"]
    assert "After midnight CEST" in cells(page(client, view="day", date="2027-03-29"))["2027-03-29"]


def test_a_fall_back_day_holds_twenty_five_hours(client, berliner, make):
    post_at(berliner, make, "Early CEST", utc(2027, 10, 30, 22, 30))  # 00:30 CEST, 31 October
    post_at(berliner, make, "First 02:30", utc(2027, 10, 31, 0, 30))  # 02:30 CEST
    post_at(berliner, make, "Second 02:30", utc(2027, 10, 31, 1, 30))  # 02:30 CET, the repeated hour
    post_at(berliner, make, "Late CET", utc(2027, 10, 31, 22, 30))  # 23:30 CET, still 31 October

    day = cells(page(client, view="day", date="2027-10-31"))["2027-10-31"]
    slots = cells(page(client, view="timeline", span="day", date="2027-10-31"))

    assert all(title in day for title in ("Early CEST", "First 02:30", "Second 02:30", "Late CET"))
    assert "First 02:30" in slots["2027-10-31T02"] and "Second 02:30" in slots["2027-10-31T02"]
    assert "Late CET" in slots["2027-10-31T23"]
    assert "Late CET" not in page(client, view="day", date="2027-11-01")


def test_week_timeline_and_list_views_show_the_week_s_and_month_s_publications(client, berliner, make):
    post_at(berliner, make, "Monday launch", utc(2027, 3, 1, 8))  # 09:00 CET, Monday
    post_at(berliner, make, "Next week", utc(2027, 3, 8, 8))

    week = cells(page(client, view="week", date="2027-03-03"))
    timeline = cells(page(client, view="timeline", span="week", date="2027-03-03"))
    listing = page(client, view="list", date="2027-03-20")

    assert "Monday launch" in week["2027-03-01"] and "Next week" not in "".join(week.values())
    assert "Monday launch" in timeline["2027-03-01T09"]
    assert len([k for k in timeline if k.startswith("2027-03-01T")]) == 24
    assert "Monday launch" in listing and "Next week" in listing and "09:00 CET" in listing


def test_each_publication_is_coloured_by_its_status(client, berliner, make):
    publication = post_at(berliner, make, "Went out", utc(2027, 3, 2, 8))
    publication.status = "published"
    db.session.commit()

    html = page(client, view="month", date="2027-03-02")

    assert re.search(f'class="cal-item status-published" data-publication-id="{publication.id}"', html)


def test_the_channel_filter_shows_one_channel(client, berliner, make):
    blog = make.channel(berliner, name="Blog")
    social = make.channel(berliner, name="Social")
    post_at(berliner, make, "On the blog", utc(2027, 3, 2, 8), channel=blog)
    post_at(berliner, make, "On social", utc(2027, 3, 2, 9), channel=social)

    html = page(client, view="month", date="2027-03-02", channel_id=blog.id)

    assert "On the blog" in html and "On social" not in html
    assert f'<option value="{blog.id}" selected>' in html


def test_another_workspace_s_publications_never_show(client, berliner, make):
    stranger = make.actor()
    theirs = make.channel(stranger, name="Their channel")
    post_at(stranger, make, "Their secret", utc(2027, 3, 2, 8), channel=theirs)

    assert "Their secret" not in page(client, view="month", date="2027-03-02")
    assert "Their secret" not in page(client, view="list", date="2027-03-02", channel_id=theirs.id)


def test_an_htmx_refresh_gets_only_the_calendar(client, berliner, make):
    post_at(berliner, make, "Fragment post", utc(2027, 3, 2, 8))

    response = client.get("/calendar/?view=month&date=2027-03-02", headers=HX)

    text = response.get_data(as_text=True)
    assert text.lstrip().startswith('<section id="calendar"')
    assert "Fragment post" in text and "<html" not in text
    assert "HX-Request" in response.headers["Vary"]


def test_a_channel_id_beyond_any_record_is_ignored(client, berliner, make):
    post_at(berliner, make, "Visible", utc(2027, 3, 2, 8))

    assert "Visible" in page(client, view="month", date="2027-03-02", channel_id=str(2**70))


@pytest.mark.parametrize("view", ["month", "list", "week"])
@pytest.mark.parametrize("day", ["2027-02-30", "9999-12-31", "0001-01-01"])
def test_a_bad_date_says_so_and_shows_today(client, berliner, view, day):
    html = page(client, view=view, date=day)

    assert f"&#39;{day}&#39; is not a date (YYYY-MM-DD); showing today." in html


# Moving a publication.


def move(client, publication_id: int, htmx: bool = True, **form):
    return client.post(f"/calendar/publications/{publication_id}/move", data=form, headers=HX if htmx else {})


def test_dropping_on_another_day_keeps_the_local_time_across_dst(client, berliner, make):
    publication = post_at(berliner, make, "Moves", utc(2027, 3, 26, 8))  # Friday 09:00 CET

    response = move(client, publication.id, date="2027-03-29")  # Monday, CEST

    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "calendar-changed"
    assert f"Moved publication #{publication.id} to Mon 29 Mar 2027 09:00 CEST." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 29, 7)
    audit = db.session.query(AuditEvent).filter_by(action="schedule.rescheduled").one()
    assert audit.target_id == publication.schedule_id


def test_a_drop_on_an_hour_slot_sets_the_time(client, berliner, make):
    publication = post_at(berliner, make, "Moves", utc(2027, 3, 2, 8))

    assert move(client, publication.id, date="2027-03-03", time="14:15").status_code == 200

    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 3, 13, 15)


def test_a_move_moves_the_schedule_s_other_channels_too(client, berliner, make):
    blog, social = make.channel(berliner, name="Blog"), make.channel(berliner, name="Social")
    content = make.content(berliner, title="Everywhere")
    schedule = schedules.create_schedule(
        berliner, {"content_id": content.id, "channel_ids": [blog.id, social.id], "run_at": utc(2027, 3, 2, 8)}
    )
    first, second = schedules.publications_of(schedule)

    response = move(client, first.id, date="2027-03-04")

    assert "with 1 more on the schedule&#39;s other channels" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Publication, second.id).due_at == utc(2027, 3, 4, 8)


def test_without_htmx_a_move_redirects_back_to_the_calendar_view(client, berliner, make):
    publication = post_at(berliner, make, "Moves", utc(2027, 3, 2, 8))

    response = move(
        client, publication.id, htmx=False, date="2027-03-05", return_to="/calendar/?view=week&date=2027-03-02"
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/calendar/?view=week&date=2027-03-02"


def test_a_move_that_breaks_a_channel_rule_is_422_with_the_clash_and_free_slots(client, berliner, make):
    channel = make.channel(berliner, name="Once a day", rules={"daily_limit": 1})
    busy = post_at(berliner, make, "Already there", utc(2027, 3, 3, 8), channel=channel)
    publication = post_at(berliner, make, "Wants that day", utc(2027, 3, 2, 8), channel=channel)

    response = move(client, publication.id, date="2027-03-03")

    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Publication #{publication.id} was not moved: The time breaks channel rules" in text
    assert "Once a day: the day&#39;s limit of 1 is reached" in text
    assert f'href="/publications/{busy.id}"' in text
    assert 'name="at" value="2027-03-04T' in text  # a free slot offered on the next day
    assert "move anyway, ignoring the channels' rules" in text
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 2, 8)


def test_a_free_slot_or_move_anyway_goes_through(client, berliner, make):
    channel = make.channel(berliner, name="Once a day", rules={"daily_limit": 1})
    post_at(berliner, make, "Already there", utc(2027, 3, 3, 8), channel=channel)
    publication = post_at(berliner, make, "Wants that day", utc(2027, 3, 2, 8), channel=channel)

    assert move(client, publication.id, at="2027-03-04T10:00:00Z").status_code == 200
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 4, 10)
    assert move(client, publication.id, date="2027-03-03", allow_conflicts="y").status_code == 200

    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 3, 10)  # 11:00 CET kept


def test_without_htmx_a_refused_move_shows_the_calendar_with_the_reason(client, berliner, make):
    publication = post_at(berliner, make, "Moves", utc(2027, 3, 2, 8))

    response = move(
        client, publication.id, htmx=False, date="2020-01-01", return_to="/calendar/?view=list&date=2027-03-02"
    )

    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "run_at must be in the future" in text and f'id="cal-row-{publication.id}"' in text


@pytest.mark.parametrize(
    ("form", "problem"),
    [
        ({"date": "03/04/2027"}, "date is not a date (YYYY-MM-DD)"),
        ({"date": "2027-02-30"}, "date is not a date (YYYY-MM-DD)"),
        ({"date": "2027-03-04", "time": "25:00"}, "time is not a time of day (HH:MM)"),
        ({"at": "tomorrow"}, "at is not an ISO 8601 date and time"),
        ({"date": "2026-01-01"}, "run_at must be in the future"),
        ({}, "date is not a date (YYYY-MM-DD)"),
    ],
)
def test_a_bad_target_is_422_and_changes_nothing(client, berliner, make, form, problem):
    publication = post_at(berliner, make, "Stays", utc(2027, 3, 2, 8))

    response = move(client, publication.id, **form)

    assert response.status_code == 422
    assert problem in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 2, 8)


def test_a_published_or_recurring_publication_cannot_move(client, berliner, make):
    done = post_at(berliner, make, "Done", utc(2027, 3, 2, 8))
    done.status = "published"
    db.session.commit()
    recurring = post_at(berliner, make, "Weekly", None, cron="0 9 * * mon", timezone=ZONE)

    refused_done = move(client, done.id, date="2027-03-05")
    refused_recurring = move(client, recurring.id, date="2027-03-05")

    assert refused_done.status_code == 409
    assert "is published; only paused, queued, scheduled publications can move" in refused_done.get_data(as_text=True)
    assert refused_recurring.status_code == 409
    assert "change the schedule&#39;s rule instead" in refused_recurring.get_data(as_text=True)


def test_another_workspace_s_publication_is_404(client, berliner, make):
    stranger = make.actor()
    theirs = post_at(stranger, make, "Theirs", utc(2027, 3, 2, 8))

    assert move(client, theirs.id, date="2027-03-05").status_code == 404
    db.session.expire_all()
    assert db.session.get(Publication, theirs.id).due_at == utc(2027, 3, 2, 8)


def test_a_viewer_may_look_but_not_move(client, berliner, make):
    publication = post_at(berliner, make, "Read only", utc(2027, 3, 2, 8))
    db.session.query(Membership).filter_by(user_id=berliner.user_id).update({"role": "viewer"})
    db.session.commit()

    html = page(client, view="day", date="2027-03-02")
    response = move(client, publication.id, date="2027-03-05")

    assert "Read only" in html and "data-move-url" not in html and 'id="calendar-move"' not in html
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Publication, publication.id).due_at == utc(2027, 3, 2, 8)


def test_moving_is_never_done_by_a_get(client, berliner, make):
    publication = post_at(berliner, make, "Stays", utc(2027, 3, 2, 8))

    assert client.get(f"/calendar/publications/{publication.id}/move?date=2027-03-05").status_code == 405


def test_the_day_view_offers_a_labelled_move_to_form(client, berliner, make):
    publication = post_at(berliner, make, "Movable", utc(2027, 3, 2, 8))

    html = page(client, view="day", date="2027-03-02")

    assert f'<label for="move-date-{publication.id}">Date for #{publication.id}</label>' in html
    assert f'id="move-date-{publication.id}" type="date" name="date" value="2027-03-02"' in html
    assert f'id="move-time-{publication.id}" type="time" name="time" value="09:00"' in html
    assert f'<button type="submit" class="small">Move #{publication.id}</button>' in html
