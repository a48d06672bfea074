"""Clone opens the create form filled from a schedule; publish now from a schedule or a content item; the new
fields of the create form; another workspace's member gets 404 on every one of these URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
import time_machine
from sqlalchemy import func, select

from tests.frozen import frozen_clock
from tests.web.api_actions.support import entry
from webapp.domain.accounts import accounts
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import AuditEvent, Publication, Schedule

NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)

_clock = frozen_clock(NOW)


def past_one_time(make, actor, channels=1):
    """A one-time schedule whose time has come and gone (it published)."""
    made = [make.channel(actor) for _ in range(channels)]
    content = make.content(actor, title="Launch day")
    with time_machine.travel(datetime(2030, 11, 1, tzinfo=UTC), tick=False):
        data = {"content_id": content.id, "channel_ids": [c.id for c in made], "run_at": "2030-11-02T09:00:00Z"}
        schedule = schedules.create_schedule(actor, {**data, "timezone": "Europe/Paris"})
    for publication in schedules.publications_of(schedule):
        publication.status = "published"
    db.session.commit()
    return schedule, made, content


def schedule_form(content, channel, **fields) -> dict:
    """What the create (or clone) form posts, in Paris time, with the fields a test cares about."""
    base = {"content_id": content.id, "channel_ids": [channel.id], "timezone": "Europe/Paris", "priority": "normal"}
    return {**base, **fields}


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def checked(html: str, name: str, value: int) -> bool:
    return bool(re.search(rf'<input checked[^>]*name="{name}" type="checkbox" value="{value}"', html)) or bool(
        re.search(rf'id="publish-now-{value}" name="{name}" value="{value}" checked', html)
    )


def test_clone_of_a_past_one_time_schedule_opens_the_form_filled_but_for_the_time(client, ada, make):
    schedule, [channel], content = past_one_time(make, ada)

    html = unescape(client.get(f"/schedules/{schedule.id}/clone").get_data(as_text=True))

    assert f'<option selected value="{content.id}">Launch day</option>' in html
    assert checked(html, "channel_ids", channel.id)
    assert re.search(r'<input id="run_at" name="run_at" step="1" type="datetime-local" value="">', html)
    assert "The original's time has passed: set a new time." in html
    assert f'action="/schedules/{schedule.id}/clone"' in html and "Create the copy" in html


def test_submitting_the_clone_form_creates_a_new_schedule_and_leaves_the_original(client, ada, make):
    schedule, [channel], content = past_one_time(make, ada)
    data = schedule_form(content, channel, kind="once", run_at="2031-01-05T09:00", priority="high", grace_minutes="60")

    response = client.post(f"/schedules/{schedule.id}/clone", data=data)

    copy = db.session.scalars(select(Schedule).where(Schedule.id != schedule.id)).one()
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/schedules/{copy.id}/edit")
    assert (copy.run_at, copy.priority, copy.status) == (datetime(2031, 1, 5, 8, tzinfo=UTC), "high", "active")
    [publication] = schedules.publications_of(copy)
    assert entry(publication) == publication.due_at.timestamp()
    assert db.session.get(Schedule, schedule.id).run_at == datetime(2030, 11, 2, 9, tzinfo=UTC)
    assert db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first() == "schedule.cloned"


def test_a_clone_form_without_a_time_says_so_beside_it_and_creates_nothing(client, ada, make):
    schedule, [channel], content = past_one_time(make, ada)
    response = client.post(
        f"/schedules/{schedule.id}/clone", data=schedule_form(content, channel, kind="once", run_at="")
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="run_at-error"' in html and "Publish at is required" in html
    assert count(Schedule) == 1


def test_clone_of_a_series_is_filled_with_its_rule_window_and_policies(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 8 * * mon", "timezone": "Asia/Tokyo"}
    schedule = schedules.create_schedule(ada, {**data, "max_runs": 6, "clash_policy": "skip"})

    html = unescape(client.get(f"/schedules/{schedule.id}/clone").get_data(as_text=True))

    assert 'value="0 8 * * mon"' in html and 'value="Asia/Tokyo"' in html
    assert 'checked id="kind-1" name="kind" type="radio" value="recurring"' in html
    assert 'name="max_runs" type="number" value="6"' in html
    assert '<option selected value="skip">' in html


def test_the_create_form_takes_a_series_window_and_clash_policy(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)
    window = {"starts_at": "2030-12-10T00:00", "ends_at": "2031-03-01T00:00", "clash_policy": "publish"}
    data = schedule_form(content, channel, kind="recurring", cron="30 9 * * *", **window)

    response = client.post("/schedules/", data=data)

    schedule = db.session.scalars(select(Schedule)).one()
    assert response.status_code == 303
    assert (schedule.starts_at, schedule.ends_at) == (
        datetime(2030, 12, 9, 23, tzinfo=UTC),
        datetime(2031, 2, 28, 23, tzinfo=UTC),
    )
    assert schedule.clash_policy == "publish" and schedule.next_run_at == datetime(2030, 12, 10, 8, 30, tzinfo=UTC)


def test_the_create_form_refuses_an_end_before_the_start_beside_the_end(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)
    window = {"starts_at": "2031-01-10T00:00", "ends_at": "2031-01-01T00:00"}

    response = client.post(
        "/schedules/", data=schedule_form(content, channel, kind="recurring", cron="30 9 * * *", **window)
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="ends_at-error"' in html and "Ends must be after starts_at" in html
    assert count(Schedule) == 0


def test_publish_now_from_a_schedule_sends_its_content_on_the_chosen_channels(client, ada, make):
    schedule, [first, second], _ = past_one_time(make, ada, channels=2)

    page = client.get(f"/schedules/{schedule.id}/edit").get_data(as_text=True)
    response = client.post(f"/schedules/{schedule.id}/publish-now", data={"channel_ids": [str(second.id)]})

    assert checked(page, "channel_ids", first.id) and f'action="/schedules/{schedule.id}/publish-now"' in page
    now = db.session.scalars(select(Schedule).where(Schedule.id != schedule.id)).one()
    [publication] = schedules.publications_of(now)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/publications/?q=schedule:{now.id}")
    monitor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 publication " in monitor and f'href="/publications/{publication.id}"' in monitor  # only the new run
    assert (publication.channel_id, publication.priority) == (second.id, "high")
    assert (publication.due_at - NOW).total_seconds() == 1 and entry(publication) == publication.due_at.timestamp()


def test_publish_now_with_no_channel_ticked_says_so_beside_the_channels(client, ada, make):
    schedule, _, _ = past_one_time(make, ada)

    response = client.post(f"/schedules/{schedule.id}/publish-now", data={})

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="publish-now-error"' in html and "must be a non-empty list of channel ids" in html
    assert count(Schedule) == 1


def test_publish_now_from_the_content_editor(client, ada, make):
    channel, content = make.channel(ada), make.content(ada)

    editor = client.get(f"/contents/{content.id}/edit").get_data(as_text=True)
    response = client.post(f"/contents/{content.id}/publish-now", data={"channel_ids": [str(channel.id)]})

    assert f'action="/contents/{content.id}/publish-now"' in editor and "Publish now on" in editor
    assert response.status_code == 303
    publication = db.session.scalars(select(Publication)).one()
    assert (publication.content_id, publication.channel_id, publication.status) == (content.id, channel.id, "scheduled")


def test_a_refused_publish_now_of_content_shows_its_form_with_the_reason(client, ada, make):
    content = make.content(ada)
    strict = make.channel(ada, rules={"time_slots": ["17:00"]}, timezone="UTC")

    refused = client.post(f"/contents/{content.id}/publish-now", data={"channel_ids": [str(strict.id)]})
    anyway = client.post(
        f"/contents/{content.id}/publish-now", data={"channel_ids": [str(strict.id)], "allow_conflicts": "y"}
    )

    html = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422 and "Now conflicts with channel rules" in html
    assert checked(html, "channel_ids", strict.id)  # the choice is kept
    assert anyway.status_code == 303 and count(Publication) == 1


@pytest.fixture
def stranger(client, make):
    """Another workspace's schedule and content; the signed-in client is a member elsewhere."""
    owner = make.actor(role="owner")
    channel, content = make.channel(owner), make.content(owner)
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": "2031-01-10T09:00:00Z"}
    return schedules.create_schedule(owner, data), content, channel


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/schedules/{s}/edit"),
        ("POST", "/schedules/{s}/edit"),
        ("GET", "/schedules/{s}/clone"),
        ("POST", "/schedules/{s}/clone"),
        ("POST", "/schedules/{s}/publish-now"),
        ("GET", "/contents/{c}/publish-now"),
        ("POST", "/contents/{c}/publish-now"),
    ],
)
def test_another_workspace_s_member_gets_404_and_nothing_changes(client, ada, make, stranger, method, path):
    schedule, content, channel = stranger
    own = make.channel(ada)
    body = {"channel_ids": [str(channel.id), str(own.id)], "run_at": "2031-01-11T09:00", "kind": "once"}
    before = (count(Schedule), count(Publication), count(AuditEvent))

    response = client.open(path.format(s=schedule.id, c=content.id), method=method, data=body)

    assert response.status_code == 404
    assert (count(Schedule), count(Publication), count(AuditEvent)) == before
    assert accounts.membership_for(ada.user_id).workspace_id != schedule.workspace_id
