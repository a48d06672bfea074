"""The occurrences page (skip, move, restore), the preview's per-run notes and the calendar's skipped runs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import AuditEvent, Publication, ScheduleException

HX = {"HX-Request": "true"}
NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def series(ada, make):
    channel = make.channel(ada, name="Blog", rules={"daily_limit": 1}, timezone="UTC")
    content = make.content(ada, title="Weekly notes", status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 9,17 * * *", "timezone": "UTC"}
    return schedules.create_schedule(ada, data, now=NOW), channel


def test_the_page_lists_the_next_occurrences_with_their_buttons(client, series):
    schedule, _ = series

    html = client.get(f"/schedules/{schedule.id}/occurrences").get_data(as_text=True)

    assert "Skip the occurrence of Mon 01 Mar 17:00" in html
    assert 'aria-label="Move the occurrence of Tue 02 Mar 09:00 UTC"' in html
    assert "Blog: moved to" in html and "daily limit" in html  # 2 March 17:00 meets the day's limit


def test_skipping_from_the_page_skips_and_audits_it_as_the_browser(client, series):
    schedule, _ = series

    response = client.post(f"/schedules/{schedule.id}/occurrences/skip", data={"at": "2027-03-01T17:00:00Z"})

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Skipped the occurrence of Mon 01 Mar 17:00" in page
    assert 'data-state="skipped"' in page and "Restore the occurrence of Mon 01 Mar 17:00" in page
    assert db.session.query(Publication).filter_by(status="cancelled", hold_reason="occurrence skipped").count() == 1
    assert db.session.query(AuditEvent).filter_by(action="schedule.occurrence_skipped").one().source == "ui"


def test_a_move_past_the_next_occurrence_shows_the_reason_beside_the_field(client, series):
    schedule, _ = series

    response = client.post(
        f"/schedules/{schedule.id}/occurrences/move", data={"at": "2027-03-02T09:00:00Z", "to": "2027-03-02T18:00"}
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "to must be before the series&#39; next occurrence (2027-03-02T17:00:00Z)" in html
    assert 'aria-invalid="true"' in html
    assert db.session.query(ScheduleException).count() == 0


def test_moving_reads_the_new_time_in_the_users_zone_and_restore_undoes_it(client, series):
    schedule, _ = series
    moving = {"at": "2027-03-02T09:00:00Z", "to": "2027-03-02T11:15"}
    client.post(f"/schedules/{schedule.id}/occurrences/move", data=moving)
    [row] = db.session.query(ScheduleException).all()
    assert (row.change, row.moved_to) == ("move", datetime(2027, 3, 2, 11, 15, tzinfo=UTC))

    response = client.post(f"/schedules/{schedule.id}/occurrences/restore", data={"at": "2027-03-02T09:00:00Z"})

    assert response.status_code == 303 and db.session.query(ScheduleException).count() == 0


def test_another_workspaces_member_gets_404(client, auth, series):
    schedule, _ = series
    auth.sign_out()
    auth.sign_up("eve@example.test")

    assert client.get(f"/schedules/{schedule.id}/occurrences").status_code == 404
    assert client.post(f"/schedules/{schedule.id}/occurrences/skip", data={}).status_code == 404
    assert db.session.query(ScheduleException).count() == 0


def test_the_preview_says_what_each_channels_rules_do_and_shows_skipped_runs(client, series):
    schedule, channel = series
    client.post(f"/schedules/{schedule.id}/occurrences/skip", data={"at": "2027-03-02T09:00:00Z"})

    html = client.get(
        f"/schedules/preview?cron=0+9,17+*+*+*&timezone=UTC&channel_ids={channel.id}&schedule_id={schedule.id}",
        headers=HX,
    ).get_data(as_text=True)

    assert '<td data-state="skipped">2 Mar: skipped' in html
    # Its own waiting run never clashes with itself; with 2 March 09:00 skipped, 17:00 has the day to itself;
    # on 3 March the 09:00 takes the day's one post and the 17:00 moves to the next midnight.
    assert '2027-03-02T17:00:00Z</td>\n            <td data-state="due"></td>' in html
    assert "03 Mar 17:00 UTC: moved to 00:00 UTC on 4 Mar, daily limit (Blog)" in html


def test_the_preview_ignores_another_workspaces_schedule_and_channels(client, auth, series):
    schedule, channel = series
    auth.sign_out()
    auth.sign_up("eve@example.test")

    response = client.get(
        f"/schedules/preview?cron=0+9,17+*+*+*&timezone=UTC&channel_ids={channel.id}&schedule_id={schedule.id}",
        headers=HX,
    )

    assert response.status_code == 200 and "daily limit" not in response.get_data(as_text=True)


def test_the_calendar_shows_a_skipped_occurrence_at_its_time(client, series):
    schedule, _ = series
    client.post(f"/schedules/{schedule.id}/occurrences/skip", data={"at": "2027-03-02T09:00:00Z"})

    month = client.get("/calendar/?view=month&date=2027-03-01").get_data(as_text=True)
    listing = client.get("/calendar/?view=list&date=2027-03-01").get_data(as_text=True)
    timeline = client.get("/calendar/?view=timeline&span=week&date=2027-03-02").get_data(as_text=True)

    assert 'data-occurrence="skip"' in month and "Weekly notes" in month
    assert "occurrence skipped" in listing
    slot = timeline[timeline.index('data-date="2027-03-02" data-hour="9"') :]
    assert 'data-occurrence="skip"' in slot[: slot.index("</td>")]
