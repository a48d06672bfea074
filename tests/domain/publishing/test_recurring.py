"""Recurring schedules keep their next occurrence materialised; one-time ones complete."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import update

from webapp.domain.publishing import publisher, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Publication, Schedule


def _recurring(make, cron="30 9 * * *", tz="Europe/Paris", **extra):
    actor = make.actor()
    channel = make.channel(actor)
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": cron, "timezone": tz, **extra}
    return schedules.create_schedule(actor, data, now=datetime(2027, 3, 1, 12, 0, tzinfo=UTC))


def test_a_recurring_schedule_materialises_its_first_occurrence_in_its_zone(make):
    schedule = _recurring(make)

    [publication] = schedules.publications_of(schedule)
    assert publication.due_at == datetime(2027, 3, 2, 8, 30, tzinfo=UTC)  # 09:30 CET
    assert publication.occurrence == 1 and schedule.next_run_at == publication.due_at
    assert dispatch.scheduled_time(publication) == publication.due_at.timestamp()


def test_the_next_occurrence_appears_when_the_current_one_falls_due(make):
    schedule = _recurring(make)
    first = schedules.publications_of(schedule)[0]

    created = schedules.advance_due([schedule.id], now=first.due_at + timedelta(seconds=1))

    [second] = created
    assert second.occurrence == 2
    assert second.due_at == datetime(2027, 3, 3, 8, 30, tzinfo=UTC)
    assert second.idempotency_key != first.idempotency_key
    assert dispatch.scheduled_time(second) is not None


def test_advancing_twice_materialises_one_occurrence(make):
    schedule = _recurring(make)
    due = schedules.publications_of(schedule)[0].due_at + timedelta(seconds=1)

    schedules.advance_due([schedule.id], now=due)
    schedules.advance_due([schedule.id], now=due)

    assert db.session.query(Publication).filter_by(schedule_id=schedule.id).count() == 2


def test_a_backlog_after_downtime_coalesces_into_the_next_future_occurrence(make):
    schedule = _recurring(make)
    three_days_later = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)

    [next_one] = schedules.advance_due([schedule.id], now=three_days_later)

    assert next_one.due_at == datetime(2027, 3, 6, 8, 30, tzinfo=UTC)
    assert next_one.occurrence == 2


def test_max_runs_stops_materialising(make):
    schedule = _recurring(make, max_runs=1)
    due = schedules.publications_of(schedule)[0].due_at

    assert schedules.advance_due([schedule.id], now=due + timedelta(seconds=1)) == []
    assert db.session.get(Schedule, schedule.id).next_run_at is None


def _run_the_series(schedule_id: int, monkeypatch, limit: int = 5) -> list[str]:
    """Play the scheduler tick and the worker for each occurrence in turn; return the outcomes."""
    monkeypatch.setattr("webapp.domain.publishing.publisher._call_platform", lambda publication: _ok())
    outcomes = []
    for _ in range(limit):
        waiting = db.session.query(Publication).filter_by(schedule_id=schedule_id, status="scheduled").all()
        if not waiting:
            break
        [publication] = waiting
        publication_id, tick_at = publication.id, publication.due_at + timedelta(seconds=1)
        with time_machine.travel(tick_at, tick=False):  # the tick and the worker run when the run is due
            publisher.mark_queued([publication_id], at=tick_at)
            # The scheduler's tick ends its session, and the worker is another process: what the tick did
            # not commit is lost (the bug hid behind a same-session read).
            db.session.remove()
            outcomes.append(publisher.execute(publication_id))
            db.session.remove()
    return outcomes


def test_a_series_with_max_runs_sends_exactly_that_many_then_completes(make, monkeypatch):
    schedule_id = _recurring(make, max_runs=2).id

    outcomes = _run_the_series(schedule_id, monkeypatch)

    schedule = db.session.get(Schedule, schedule_id)
    assert outcomes == ["published", "published"]
    assert schedule.status == "completed" and schedule.next_run_at is None
    assert db.session.query(Publication).filter_by(schedule_id=schedule_id).count() == 2


def test_a_series_past_its_ends_at_completes_after_its_last_run(make, monkeypatch):
    # Daily at 09:30 Paris from 2 March; ending at noon on 3 March leaves two runs.
    schedule_id = _recurring(make, ends_at="2027-03-03T12:00:00+01:00").id

    outcomes = _run_the_series(schedule_id, monkeypatch)

    assert outcomes == ["published", "published"]
    assert db.session.get(Schedule, schedule_id).status == "completed"


def test_the_end_of_a_series_is_committed_when_its_last_run_is_already_settled(make):
    schedule = _recurring(make, max_runs=1)
    [publication] = schedules.publications_of(schedule)
    db.session.execute(update(Publication).where(Publication.id == publication.id).values(status="failed"))
    db.session.commit()

    schedules.advance_due([schedule.id], now=publication.due_at + timedelta(seconds=1))
    schedule_id = schedule.id
    db.session.remove()

    schedule = db.session.get(Schedule, schedule_id)
    assert schedule.status == "completed" and schedule.next_run_at is None


def test_a_one_time_schedule_completes_when_its_publication_is_published(make, monkeypatch):
    actor = make.actor()
    channel = make.channel(actor)
    content = make.content(actor)
    schedule = schedules.create_schedule(
        actor,
        {"content_id": content.id, "channel_ids": [channel.id], "run_at": datetime.now(UTC) + timedelta(hours=1)},
    )
    [publication] = schedules.publications_of(schedule)
    monkeypatch.setattr("webapp.domain.publishing.publisher._call_platform", lambda publication: _ok())
    publisher.mark_queued([publication.id])

    publisher.execute(publication.id)

    assert db.session.get(Schedule, schedule.id).status == "completed"


def _ok():
    from webapp.adapters.base import PublishResult

    return PublishResult(external_id="1", external_url=None, http_status=200, response_excerpt=None)


def test_a_recurring_rule_with_no_occurrence_in_its_window_is_refused(make):
    import pytest

    from webapp.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        _recurring(make, cron="0 0 31 2 *")

    assert caught.value.fields == {"cron": "has no occurrence in the schedule's window"}


def test_scheduling_against_a_channel_rule_is_refused_with_the_clash_and_free_slots(make):
    import pytest

    from webapp.core.errors import ValidationFailed

    actor = make.actor()
    channel = make.channel(actor, rules={"time_slots": ["09:00"], "daily_limit": 1}, timezone="Europe/Paris")
    content = make.content(actor)
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": "2031-03-04T08:00:00Z"}  # 09:00 CET
    now = datetime(2031, 3, 1, tzinfo=UTC)  # before those times, whatever today is
    first = schedules.publications_of(schedules.create_schedule(actor, data, now=now))[0]
    before = db.session.query(Publication).count()

    with pytest.raises(ValidationFailed) as caught:
        schedules.create_schedule(actor, {**data, "run_at": "2031-03-04T10:00:00Z"}, now=now)

    error = caught.value
    assert error.extra["conflicts"] == [first.id]
    assert {c["rule"] for c in error.extra["clashes"]} == {"time_slot", "daily_limit"}
    assert error.extra["next_free_slots"][str(channel.id)][0] == "2031-03-05T08:00:00Z"
    assert db.session.query(Publication).count() == before


def test_allow_conflicts_overrides_channel_rules(make):
    actor = make.actor()
    channel = make.channel(actor, rules={"weekdays": ["mon"]})
    content = make.content(actor)

    schedule = schedules.create_schedule(
        actor,
        {
            "content_id": content.id,
            "channel_ids": [channel.id],
            "run_at": "2031-03-05T08:00:00Z",
            "allow_conflicts": True,
        },
        now=datetime(2031, 3, 1, tzinfo=UTC),
    )

    assert schedules.publications_of(schedule)[0].status == "scheduled"


def test_add_to_queue_takes_the_channels_next_free_slot(make):
    actor = make.actor()
    channel = make.channel(actor, rules={"time_slots": ["09:00", "17:00"]}, timezone="UTC")
    content = make.content(actor, status="approved")

    first = schedules.add_to_queue(actor, channel.id, content.id)
    second = schedules.add_to_queue(actor, channel.id, content.id, "high")

    first_due = schedules.publications_of(first)[0].due_at
    second_due = schedules.publications_of(second)[0].due_at
    assert first_due.strftime("%H:%M") in ("09:00", "17:00") and second_due > first_due
    assert second_due.strftime("%H:%M") in ("09:00", "17:00")


def test_add_to_queue_refuses_unapproved_content_and_channels_without_slots(make):
    import pytest

    from webapp.core.errors import ValidationFailed

    actor = make.actor()
    plain = make.channel(actor)
    draft = make.content(actor, status="draft")
    approved = make.content(actor, status="approved")

    with pytest.raises(ValidationFailed) as unapproved:
        schedules.add_to_queue(actor, plain.id, draft.id)
    with pytest.raises(ValidationFailed) as no_slots:
        schedules.add_to_queue(actor, plain.id, approved.id)

    assert "approved" in unapproved.value.fields["content_id"]
    assert "no time slots" in no_slots.value.fields["channel_id"]


def test_a_schedule_cancelled_while_its_last_publication_was_out_stays_cancelled(make, monkeypatch):
    # The worker loaded the schedule as active when it claimed the publication; a person cancels it
    # while the platform call is in flight. Settling after the call must not write "completed" over it.
    actor = make.actor()
    channel, content = make.channel(actor), make.content(actor)
    schedule = schedules.create_schedule(
        actor,
        {"content_id": content.id, "channel_ids": [channel.id], "run_at": datetime.now(UTC) + timedelta(hours=1)},
    )
    [publication] = schedules.publications_of(schedule)
    schedule_id, publication_id = schedule.id, publication.id
    publisher.mark_queued([publication_id])
    db.session.expunge_all()

    def cancel_meanwhile(publication):
        with db.engine.begin() as other:  # another process's transaction
            other.execute(update(Schedule).where(Schedule.id == publication.schedule_id).values(status="cancelled"))
        return _ok()

    monkeypatch.setattr("webapp.domain.publishing.publisher._call_platform", cancel_meanwhile)
    assert publisher.execute(publication_id) == "published"

    db.session.expire_all()
    assert db.session.get(Schedule, schedule_id).status == "cancelled"
