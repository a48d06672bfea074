"""Schedule lifecycle: every transition leaves the database and rq-scheduler in agreement."""

import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from tests.adapters.receiver import Receiver
from tests.web.api_actions.support import entry, make_due, one_time, recurring, reload, scheduled_job_ids, tick, work
from webapp.core.errors import Conflict, Forbidden, ValidationFailed
from webapp.domain.publishing import lifecycle, rescheduling
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import get_redis
from webapp.models import Alert, AuditEvent, Publication, Schedule, utcnow


@pytest.fixture
def receiver():
    with Receiver() as r:
        r.respond(200, body={"id": "x1"})
        yield r


@pytest.fixture
def actor(make):
    return make.actor()


def _overdue(publication, minutes: int) -> None:
    publication = reload(publication)
    publication.due_at = utcnow() - timedelta(minutes=minutes)
    db.session.commit()


def test_pausing_a_schedule_pauses_its_publications_and_removes_their_entries(make, actor):
    schedule, publications = one_time(make, actor, channels=2)

    lifecycle.pause_schedule(actor, schedule.id)

    assert db.session.get(Schedule, schedule.id).status == "paused"
    assert [reload(p).status for p in publications] == ["paused", "paused"]
    assert [entry(p) for p in publications] == [None, None]
    assert scheduled_job_ids() == set()


def test_pausing_a_queued_publication_takes_its_job_off_the_queue_and_nothing_publishes(make, actor, receiver):
    schedule, [publication] = one_time(make, actor, url=receiver.url)
    schedule_id = schedule.id  # the tick ends the session, detaching the row
    make_due(publication)
    tick()
    assert reload(publication).status == "queued"

    lifecycle.pause_schedule(actor, schedule_id)
    work()

    assert reload(publication).status == "paused"
    assert Queue("default", connection=get_redis()).count == 0
    assert receiver.requests == []


def test_resuming_puts_the_entry_back_at_the_due_second_under_a_fresh_job_id(make, actor):
    schedule, [publication] = one_time(make, actor)
    old_job = dispatch.job_id(publication)
    lifecycle.pause_schedule(actor, schedule.id)

    lifecycle.resume_schedule(actor, schedule.id)

    publication = reload(publication)
    assert publication.status == "scheduled" and db.session.get(Schedule, schedule.id).status == "active"
    assert entry(publication) == publication.due_at.timestamp()
    assert scheduled_job_ids() == {dispatch.job_id(publication)} != {old_job}


def test_resuming_an_overdue_run_late_publication_within_grace_enqueues_it_now(make, actor):
    schedule, [publication] = one_time(make, actor, missed_policy="run_late", grace_minutes=60)
    lifecycle.pause_schedule(actor, schedule.id)
    _overdue(publication, 5)

    lifecycle.resume_schedule(actor, schedule.id)

    assert reload(publication).status == "scheduled"
    assert entry(publication) <= datetime.now(UTC).timestamp()  # due at once: the next tick moves it


def test_resuming_an_overdue_skip_publication_past_grace_marks_it_missed_with_an_alert(make, actor):
    schedule, [publication] = one_time(make, actor, missed_policy="skip", grace_minutes=1)
    lifecycle.pause_schedule(actor, schedule.id)
    _overdue(publication, 5)

    lifecycle.resume_schedule(actor, schedule.id)

    assert reload(publication).status == "missed"
    assert entry(publication) is None
    assert db.session.scalar(select(Alert.kind).where(Alert.publication_id == publication.id)) == "missed"
    assert db.session.get(Schedule, schedule.id).status == "completed"


def test_resuming_a_recurring_schedule_whose_occurrence_passed_materialises_the_next(make, actor):
    schedule, [first] = recurring(make, actor, cron="*/5 * * * *", tz="UTC")
    lifecycle.pause_schedule(actor, schedule.id)
    _overdue(first, 1)

    lifecycle.resume_schedule(actor, schedule.id)

    publications = db.session.scalars(select(Publication).where(Publication.schedule_id == schedule.id)).all()
    assert sorted(p.occurrence for p in publications) == [1, 2]
    second = next(p for p in publications if p.occurrence == 2)
    assert second.due_at > utcnow() and entry(second) == second.due_at.timestamp()


@pytest.mark.parametrize("closed", ["cancelled", "completed"])
def test_resuming_or_pausing_a_closed_schedule_is_a_conflict(make, actor, closed):
    schedule, _ = one_time(make, actor)
    db.session.get(Schedule, schedule.id).status = closed
    db.session.commit()

    with pytest.raises(Conflict, match=f"is {closed}"):
        lifecycle.resume_schedule(actor, schedule.id)
    with pytest.raises(Conflict, match=f"is {closed}"):
        lifecycle.pause_schedule(actor, schedule.id)


def test_pausing_a_paused_schedule_and_resuming_an_active_one_are_conflicts(make, actor):
    schedule, _ = one_time(make, actor)
    with pytest.raises(Conflict, match="not paused"):
        lifecycle.resume_schedule(actor, schedule.id)
    lifecycle.pause_schedule(actor, schedule.id)
    with pytest.raises(Conflict, match="already paused"):
        lifecycle.pause_schedule(actor, schedule.id)


def test_a_viewer_may_not_pause(make, actor):
    schedule, _ = one_time(make, actor)

    with pytest.raises(Forbidden):
        lifecycle.pause_schedule(replace(actor, role="viewer"), schedule.id)


def test_cancelling_a_schedule_cancels_its_publications_and_removes_their_entries(make, actor):
    schedule, publications = one_time(make, actor, channels=2)

    lifecycle.cancel_schedule(actor, schedule.id)

    assert db.session.get(Schedule, schedule.id).status == "cancelled"
    assert {reload(p).status for p in publications} == {"cancelled"}
    assert scheduled_job_ids() == set()


def test_deleting_a_schedule_removes_its_entries_and_rows(make, actor):
    schedule, publications = one_time(make, actor, channels=2)
    other, [kept] = one_time(make, actor)

    lifecycle.delete_schedule(actor, schedule.id)

    assert db.session.get(Schedule, schedule.id) is None
    assert db.session.scalars(select(Publication.id)).all() == [kept.id]
    assert scheduled_job_ids() == {dispatch.job_id(kept)}
    assert db.session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc())) == "schedule.deleted"


def test_rescheduling_a_one_time_schedule_moves_its_entry_and_drops_the_old_one(make, actor):
    schedule, [publication] = one_time(make, actor)
    old_job = dispatch.job_id(publication)
    new_time = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3, microseconds=250_000)

    rescheduling.reschedule(actor, schedule.id, {"run_at": new_time.isoformat()})

    publication = reload(publication)
    assert publication.due_at == new_time.replace(microsecond=0) + timedelta(seconds=1)
    assert db.session.get(Schedule, schedule.id).next_run_at == publication.due_at
    assert scheduled_job_ids() == {dispatch.job_id(publication)} and old_job not in scheduled_job_ids()
    assert entry(publication) == publication.due_at.timestamp()


@time_machine.travel(datetime(2039, 6, 1, tzinfo=UTC), tick=False)  # before the new time, whatever today is
def test_rescheduling_a_paused_schedule_moves_the_due_time_but_adds_no_entry(make, actor):
    schedule, [publication] = one_time(make, actor)
    lifecycle.pause_schedule(actor, schedule.id)

    rescheduling.reschedule(actor, schedule.id, {"run_at": "2040-01-01T10:00:00+01:00"})

    assert reload(publication).due_at == datetime(2040, 1, 1, 9, 0, tzinfo=UTC)
    assert reload(publication).status == "paused" and scheduled_job_ids() == set()


def test_rescheduling_a_recurring_rule_recomputes_the_waiting_occurrence(make, actor):
    schedule, [publication] = recurring(make, actor, cron="30 9 * * *", tz="Europe/Paris")

    rescheduling.reschedule(actor, schedule.id, {"cron": "0 7 * * *", "timezone": "Asia/Tokyo"})

    publication = reload(publication)
    assert publication.due_at.astimezone(UTC).hour == 22  # 07:00 in Tokyo
    assert entry(publication) == publication.due_at.timestamp()
    assert len(scheduled_job_ids()) == 1


def test_changing_the_priority_moves_the_job_to_that_queue(make, actor):
    schedule, [publication] = one_time(make, actor)

    rescheduling.reschedule(actor, schedule.id, {"priority": "critical"})

    publication = reload(publication)
    assert publication.priority == "critical"
    assert Job.fetch(dispatch.job_id(publication), connection=get_redis()).origin == "critical"
    assert len(scheduled_job_ids()) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"run_at": "2001-01-01T00:00:00Z"}, "run_at"),
        ({"run_at": "2040-01-01T10:00:00"}, "run_at"),
        ({"cron": "0 9 * * *"}, "cron"),
        ({"priority": "urgent"}, "priority"),
        ({"channel_ids": []}, "channel_ids"),  # the last channel of a schedule with pending runs
        ({"grace_minutes": -1}, "grace_minutes"),
    ],
)
def test_an_invalid_reschedule_changes_nothing(make, actor, body, field):
    schedule, [publication] = one_time(make, actor)
    before = (reload(publication).due_at, dispatch.job_id(publication))

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.reschedule(actor, schedule.id, body)

    db.session.rollback()
    assert field in raised.value.fields
    assert (reload(publication).due_at, dispatch.job_id(reload(publication))) == before
    assert scheduled_job_ids() == {before[1]}


@time_machine.travel(datetime(2039, 6, 1, tzinfo=UTC), tick=False)  # before the clone's time, whatever today is
def test_cloning_a_one_time_schedule_whose_time_passed_needs_a_new_run_at(make, actor):
    schedule, _ = one_time(make, actor)
    db.session.get(Schedule, schedule.id).run_at = utcnow() - timedelta(hours=1)
    db.session.commit()

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.clone_schedule(actor, schedule.id)
    clone = rescheduling.clone_schedule(actor, schedule.id, {"run_at": "2040-01-01T09:00:00Z"})

    assert "run_at" in raised.value.fields
    assert clone.id != schedule.id and clone.status == "active" and clone.content_id == schedule.content_id
    assert len(scheduled_job_ids()) == 2


def test_retrying_a_failed_publication_queues_it_under_a_fresh_job_and_publishes(make, actor, receiver):
    schedule, [publication] = one_time(make, actor, url=receiver.url)
    schedule_id = schedule.id  # the tick ends the session, detaching the row
    publication = reload(publication)
    publication.status, publication.finished_at, publication.attempts_count = "failed", utcnow(), 1
    db.session.get(Schedule, schedule_id).status = "completed"
    failure_id = alerts.publication_alert(publication, "failure", "it failed").id
    db.session.commit()
    unit = lifecycle.Work()

    lifecycle.retry_publication(reload(publication), unit)
    unit.commit()
    assert reload(publication).status == "queued" and entry(publication) <= utcnow().timestamp() + 1
    make_due(reload(publication))
    tick()
    work()

    publication = reload(publication)
    assert publication.status == "published"
    assert publication.dispatch_seq == 2 and len(receiver.requests) == 1
    assert db.session.get(Schedule, schedule_id).status == "completed"
    failure = db.session.get(Alert, failure_id)
    assert failure.resolved_at is not None and failure.resolved_by_id is None  # its cause is gone: it resolved itself


def test_publish_now_publishes_on_the_next_tick_and_never_before_its_due_second(make, actor, receiver):
    content = make.content(actor, status="approved")
    channel = make.channel(actor, url=receiver.url)

    time.sleep(1 - datetime.now(UTC).microsecond / 1e6)  # start at a second's edge: a whole second to spare

    [publication] = rescheduling.publish_now(actor, content.id, [channel.id])
    due = publication.due_at
    tick()
    early = reload(publication).status
    time.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()))
    tick()
    work()

    publication = reload(publication)
    assert early == "scheduled" and due.microsecond == 0 and due > publication.created_at
    assert publication.status == "published" and publication.started_at >= due
    assert publication.priority == "high"


def test_critical_publications_finish_before_any_low_one_starts(make, actor, receiver):
    run_at = utcnow() + timedelta(minutes=5)
    _, low = one_time(make, actor, channels=50, url=receiver.url, priority="low", run_at=run_at)
    _, critical = one_time(make, actor, channels=5, url=receiver.url, priority="critical", run_at=run_at)
    make_due(*low, *critical)

    tick()
    work()

    low, critical = [reload(p) for p in low], [reload(p) for p in critical]
    assert {p.status for p in low + critical} == {"published"}
    assert max(p.finished_at for p in critical) <= min(p.started_at for p in low)
