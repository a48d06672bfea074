"""The schedule edit page: the same form as create, filled from the schedule; what it changes and what it refuses."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import select

from tests.frozen import frozen_clock
from tests.web.api_actions.support import entry, reload, scheduled_job_ids
from webapp.domain.accounts import workspaces
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Publication, Schedule, User

NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)

_clock = frozen_clock(NOW)


def one_time(make, actor, channels=1, run_at="2031-01-10T09:00:00Z", **channel_extra):
    made = [make.channel(actor, **channel_extra) for _ in range(channels)]
    content = make.content(actor, title="Launch day")
    data = {"content_id": content.id, "channel_ids": [c.id for c in made], "run_at": run_at, "timezone": "Europe/Paris"}
    return schedules.create_schedule(actor, data), made


def recurring(make, actor, cron="30 9 * * *", **extra):
    channel = make.channel(actor)
    content = make.content(actor, title="Daily note")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": cron, "timezone": "Europe/Paris", **extra}
    return schedules.create_schedule(actor, data), channel


def form(schedule: Schedule, **changes) -> dict:
    """The edit form as the page fills it (times as wall clock in the schedule's zone), with changes."""
    data = {
        "channel_ids": [c.id for c in schedule.channels],
        "timezone": schedule.timezone,
        "priority": schedule.priority,
        "missed_policy": schedule.missed_policy,
        "grace_minutes": str(schedule.grace_minutes),
    }
    if schedule.is_recurring:
        data |= {"cron": schedule.cron, "max_runs": "", "starts_at": "", "ends_at": "", "clash_policy": "move"}
    else:
        data["run_at"] = "2031-01-10T10:00:00"  # 09:00Z in Paris
    return {**data, **changes}


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_the_edit_page_shows_the_form_filled_from_a_one_time_schedule(client, ada, make):
    schedule, [channel] = one_time(make, ada)

    html = unescape(client.get(f"/schedules/{schedule.id}/edit").get_data(as_text=True))

    assert 'name="run_at"' in html and 'value="2031-01-10T10:00:00"' in html  # 09:00 UTC, in Paris
    assert re.search(rf'<input checked[^>]*name="channel_ids" type="checkbox" value="{channel.id}"', html)
    assert 'name="cron"' not in html  # a one-time schedule has no rule to edit
    assert 'id="cron-preview"' in html and 'hx-get="/schedules/preview"' in html
    assert f'name="schedule_id" value="{schedule.id}"' in html
    assert "Save anyway, ignoring the channels' rules" in html


def test_the_edit_page_of_a_recurring_schedule_asks_for_its_preview_when_it_loads(client, ada, make):
    schedule, _ = recurring(make, ada, max_runs=5)

    html = unescape(client.get(f"/schedules/{schedule.id}/edit").get_data(as_text=True))

    assert 'value="30 9 * * *"' in html and 'name="run_at"' not in html
    assert 'hx-trigger="input changed delay:400ms, load"' in html
    assert 'name="max_runs" type="number" value="5"' in html
    assert 'name="starts_at"' in html and 'name="ends_at"' in html and 'name="clash_policy"' in html
    assert "move it to the channel's next free slot" in html
    assert f'href="/schedules/{schedule.id}/occurrences">its next occurrences (skip or move one)</a>' in html


def test_saving_a_new_time_moves_the_publication_and_its_job(client, ada, make):
    schedule, _ = one_time(make, ada)
    [publication] = schedules.publications_of(schedule)
    old_job = dispatch.job_id(publication)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, run_at="2031-01-11T18:30"))

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/schedules/{schedule.id}/edit")
    moved = reload(publication)
    assert moved.due_at == datetime(2031, 1, 11, 17, 30, tzinfo=UTC)
    assert entry(moved) == moved.due_at.timestamp() and old_job not in scheduled_job_ids()
    assert audit_actions()[-1] == "schedule.rescheduled"


def test_saving_a_new_rule_moves_the_waiting_run_to_the_rule_s_first_time(client, ada, make):
    schedule, _ = recurring(make, ada)
    [publication] = schedules.publications_of(schedule)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, cron="0 18 * * *"))

    assert response.status_code == 303
    saved = db.session.get(Schedule, schedule.id)
    assert saved.cron == "0 18 * * *"
    assert reload(publication).due_at == datetime(2030, 12, 2, 17, 0, tzinfo=UTC)  # 18:00 in Paris today
    assert saved.next_run_at == reload(publication).due_at


def test_saving_the_window_run_count_and_clash_policy_of_a_series(client, ada, make):
    schedule, _ = recurring(make, ada)
    changes = {"starts_at": "2030-12-05T00:00", "ends_at": "2031-01-31T23:00", "max_runs": "3", "clash_policy": "skip"}

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, **changes))

    assert response.status_code == 303
    saved = db.session.get(Schedule, schedule.id)
    assert (saved.starts_at, saved.ends_at) == (
        datetime(2030, 12, 4, 23, 0, tzinfo=UTC),
        datetime(2031, 1, 31, 22, 0, tzinfo=UTC),
    )
    assert (saved.max_runs, saved.clash_policy) == (3, "skip")
    assert saved.next_run_at == datetime(2030, 12, 5, 8, 30, tzinfo=UTC)  # the first 09:30 Paris inside the window


def test_adding_a_channel_gives_it_the_waiting_run_and_removing_one_cancels_its_own(client, ada, make):
    schedule, [kept, dropped] = one_time(make, ada, channels=2)
    added = make.channel(ada)
    gone = next(p for p in schedules.publications_of(schedule) if p.channel_id == dropped.id)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, channel_ids=[kept.id, added.id]))

    assert response.status_code == 303
    by_channel = {p.channel_id: p for p in db.session.scalars(select(Publication))}
    assert by_channel[added.id].status == "scheduled"
    assert by_channel[added.id].due_at == by_channel[kept.id].due_at
    assert entry(by_channel[added.id]) == by_channel[added.id].due_at.timestamp()
    assert by_channel[dropped.id].status == "cancelled" and dispatch.job_id(gone) not in scheduled_job_ids()
    assert [c.id for c in db.session.get(Schedule, schedule.id).channels] == [kept.id, added.id]


def _state(schedule_id: int) -> tuple:
    db.session.expire_all()
    schedule = db.session.get(Schedule, schedule_id)
    publications = db.session.scalars(select(Publication).order_by(Publication.id)).all()
    now = (schedule.cron, schedule.run_at, schedule.ends_at, [c.id for c in schedule.channels])
    return now, [(p.status, p.due_at) for p in publications], scheduled_job_ids()


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"starts_at": "2031-02-01T09:00", "ends_at": "2031-01-01T09:00"}, "ends_at", "Ends must be after starts_at"),
        (
            {"starts_at": "2030-11-01T00:00", "ends_at": "2030-11-30T00:00"},
            "cron",
            "Cron rule has no occurrence in the schedule's window",
        ),
        ({"cron": "61 * * * *"}, "cron", "Cron rule"),
        ({"ends_at": "tomorrow"}, "ends_at", "Ends is not a valid date and time"),
        ({"channel_ids": []}, "channel_ids", "cannot remove the last channel while runs are pending"),
    ],
)
def test_a_bad_edit_of_a_series_shows_the_error_beside_its_field_and_changes_nothing(
    client, ada, make, changes, field_id, message
):
    schedule, _ = recurring(make, ada)
    before = _state(schedule.id)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, **changes))

    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert f'id="{field_id}-error"' in html and message in html
    assert _state(schedule.id) == before
    assert "schedule.rescheduled" not in audit_actions()


def test_a_time_in_the_past_is_refused_beside_the_time(client, ada, make):
    schedule, _ = one_time(make, ada)
    before = _state(schedule.id)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, run_at="2030-12-01T09:00"))

    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="run_at-error"' in html and "must be in the future" in html
    assert _state(schedule.id) == before


def test_editing_while_a_publication_is_being_published_is_refused_with_the_reason(client, ada, make):
    schedule, _ = one_time(make, ada, channels=2)
    first = schedules.publications_of(schedule)[0]
    reload(first).status = "publishing"
    db.session.commit()
    before = _state(schedule.id)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, run_at="2031-01-12T10:00"))

    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 409
    assert 'role="alert"' in html and "being published right now" in html
    assert _state(schedule.id) == before


def test_an_edit_that_breaks_a_channel_rule_offers_free_slots_and_saves_anyway(client, ada, make):
    schedule, [channel] = one_time(make, ada, rules={"time_slots": ["09:00"]}, timezone="UTC")
    [publication] = schedules.publications_of(schedule)
    before = _state(schedule.id)

    refused = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, run_at="2031-01-12T11:30"))

    html = unescape(refused.get_data(as_text=True))
    assert refused.status_code == 422
    assert 'id="run_at-error"' in html and "conflicts with channel rules" in html
    assert 'name="use_slot" value="2031-01-13T09:00:00Z"' in html
    assert _state(schedule.id) == before

    slot = client.post(
        f"/schedules/{schedule.id}/edit",
        data=form(schedule, run_at="2031-01-12T11:30", use_slot="2031-01-13T09:00:00Z"),
    )
    assert slot.status_code == 303 and reload(publication).due_at == datetime(2031, 1, 13, 9, 0, tzinfo=UTC)

    anyway = client.post(
        f"/schedules/{schedule.id}/edit", data=form(schedule, run_at="2031-01-14T11:30", allow_conflicts="y")
    )
    assert anyway.status_code == 303 and reload(publication).due_at == datetime(2031, 1, 14, 10, 30, tzinfo=UTC)


def test_an_added_channel_whose_rules_refuse_the_time_is_named_beside_the_channels(client, ada, make):
    schedule, [channel] = one_time(make, ada)
    strict = make.channel(ada, rules={"time_slots": ["17:00"]}, timezone="UTC")
    before = _state(schedule.id)

    response = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, channel_ids=[channel.id, strict.id]))

    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 422
    assert 'id="channel_ids-error"' in html and "conflicts with channel rules" in html
    assert _state(schedule.id) == before


def test_a_cancelled_schedule_s_page_says_it_cannot_change_and_offers_a_clone(client, ada, make):
    schedule, _ = one_time(make, ada)
    client.post(f"/schedules/{schedule.id}/cancel")

    page = client.get(f"/schedules/{schedule.id}/edit").get_data(as_text=True)
    refused = client.post(f"/schedules/{schedule.id}/edit", data=form(schedule, run_at="2031-01-12T10:00"))

    assert "cannot be changed" in page and f'href="/schedules/{schedule.id}/clone"' in page
    assert f'action="/schedules/{schedule.id}/edit"' not in page
    assert refused.status_code == 409 and "cancelled and cannot be changed" in unescape(refused.get_data(as_text=True))


def test_every_row_of_the_list_links_to_its_edit_page_and_clone_opens_the_form(client, ada, make):
    schedule, _ = one_time(make, ada)

    html = client.get("/schedules/").get_data(as_text=True)

    assert f'href="/schedules/{schedule.id}/edit" aria-label="Edit schedule {schedule.id}"' in html
    assert f'href="/schedules/{schedule.id}/clone" aria-label="Clone schedule {schedule.id}"' in html
    assert f'action="/schedules/{schedule.id}/clone"' not in html  # no longer a one-click copy
    assert f'action="/schedules/{schedule.id}/pause"' in html  # the lifecycle actions stay


def test_a_viewer_reads_the_page_without_a_form(client, auth, make):
    owner = make.actor(role="owner")
    schedule, _ = one_time(make, owner)
    viewer = make.member(owner, "viewer")
    user = db.session.get(User, viewer.user_id)
    workspaces.switch_workspace(user, owner.workspace_id)
    auth.sign_in(user.email)

    html = client.get(f"/schedules/{schedule.id}/edit").get_data(as_text=True)

    assert "Viewers can read this schedule" in html and 'name="run_at"' not in html and "Publish now" not in html
    assert client.post(f"/schedules/{schedule.id}/edit", data=form(schedule)).status_code == 403
    clone = client.get(f"/schedules/{schedule.id}/clone").get_data(as_text=True)
    assert "Viewers can read schedules but not create them." in clone and "Create the copy" not in clone
