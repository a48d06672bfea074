"""reschedule edits a whole schedule: channels, window, run count, clash policy; refusals change nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.frozen import frozen_clock
from tests.web.api_actions.support import entry, reload, scheduled_job_ids
from webapp.core.errors import Conflict, ValidationFailed
from webapp.domain.publishing import lifecycle, occurrences, rescheduling, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Publication, PublicationChange, Schedule

NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)
RUN_AT = datetime(2031, 1, 10, 9, tzinfo=UTC)

_clock = frozen_clock(NOW)


@pytest.fixture
def actor(make):
    return make.actor(role="owner")


def one_time(make, actor, channels=1, chain=None):
    made = [make.channel(actor) for _ in range(channels)]
    data = {"content_id": make.content(actor).id, "channel_ids": [c.id for c in made], "run_at": RUN_AT}
    if chain:
        data["chain"] = [{"channel_id": made[1].id, "after_channel_id": made[0].id}]
    return schedules.create_schedule(actor, data), made


def series(make, actor, **extra):
    channel = make.channel(actor)
    data = {"content_id": make.content(actor).id, "channel_ids": [channel.id], "cron": "30 9 * * *"}
    return schedules.create_schedule(actor, {**data, "timezone": "Europe/Paris", **extra}), channel


def rows() -> list[tuple]:
    db.session.expire_all()
    found = db.session.scalars(select(Publication).order_by(Publication.id))
    return [(p.channel_id, p.occurrence, p.status, p.due_at, p.dispatch_seq) for p in found]


def test_an_added_channel_gets_the_waiting_run_at_its_time_with_a_job(make, actor):
    schedule, [first] = one_time(make, actor)
    second = make.channel(actor)

    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, second.id]})

    added = db.session.scalars(select(Publication).where(Publication.channel_id == second.id)).one()
    assert (added.occurrence, added.status, added.due_at) == (1, "scheduled", RUN_AT)
    assert added.idempotency_key == schedules.idempotency_key(schedule, second.id, 1)
    assert entry(added) == RUN_AT.timestamp()


def test_a_removed_channel_s_pending_run_is_cancelled_and_its_job_removed(make, actor):
    schedule, [first, second] = one_time(make, actor, channels=2)
    gone = next(p for p in schedules.publications_of(schedule) if p.channel_id == second.id)
    job = dispatch.job_id(gone)

    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id]})

    assert reload(gone).status == "cancelled" and job not in scheduled_job_ids()
    assert [c.id for c in db.session.get(Schedule, schedule.id).channels] == [first.id]
    changes = db.session.scalars(select(PublicationChange).where(PublicationChange.publication_id == gone.id)).all()
    assert [(c.status, c.detail) for c in changes] == [
        ("cancelled", "cancelled: its channel was removed from the schedule")
    ]


def test_a_channel_removed_then_added_back_gets_its_own_run_again(make, actor):
    schedule, [first, second] = one_time(make, actor, channels=2)
    back = next(p for p in schedules.publications_of(schedule) if p.channel_id == second.id)
    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id]})

    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, second.id]})

    revived = reload(back)
    assert (revived.status, revived.due_at, revived.finished_at) == ("scheduled", RUN_AT, None)
    assert entry(revived) == RUN_AT.timestamp()
    assert db.session.scalar(select(db.func.count()).select_from(Publication)) == 2  # no second row, same key


def test_a_channel_added_to_a_paused_schedule_waits_paused_without_a_job(make, actor):
    schedule, [first] = one_time(make, actor)
    lifecycle.pause_schedule(actor, schedule.id)
    second = make.channel(actor)

    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, second.id]})

    added = db.session.scalars(select(Publication).where(Publication.channel_id == second.id)).one()
    assert added.status == "paused" and entry(added) is None


def test_a_new_time_and_an_added_channel_go_together(make, actor):
    schedule, [first] = one_time(make, actor)
    second = make.channel(actor)
    later = datetime(2031, 1, 12, 15, tzinfo=UTC)

    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, second.id], "run_at": later})

    assert {(p[0], p[3]) for p in rows()} == {(first.id, later), (second.id, later)}
    assert len(scheduled_job_ids()) == 2


def test_window_run_count_and_clash_policy_of_a_series_change(make, actor):
    schedule, _ = series(make, actor)
    [publication] = schedules.publications_of(schedule)
    body = {
        "starts_at": "2030-12-10T00:00:00+01:00",
        "ends_at": "2031-02-01T00:00:00+01:00",
        "max_runs": 4,
        "clash_policy": "publish",
    }

    rescheduling.reschedule(actor, schedule.id, body)

    saved = db.session.get(Schedule, schedule.id)
    assert (saved.max_runs, saved.clash_policy) == (4, "publish")
    assert saved.starts_at == datetime(2030, 12, 9, 23, tzinfo=UTC)
    assert reload(publication).due_at == saved.next_run_at == datetime(2030, 12, 10, 8, 30, tzinfo=UTC)


def test_what_is_sent_unchanged_changes_nothing_and_records_nothing(make, actor):
    schedule, [channel] = one_time(make, actor)
    before, audits = rows(), db.session.scalar(select(db.func.count()).select_from(AuditEvent))

    rescheduling.reschedule(actor, schedule.id, {"run_at": RUN_AT.isoformat(), "channel_ids": [channel.id]})

    assert rows() == before
    assert db.session.scalar(select(db.func.count()).select_from(AuditEvent)) == audits


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"starts_at": "2031-02-01T00:00:00Z", "ends_at": "2031-01-01T00:00:00Z"}, "ends_at"),
        ({"ends_at": "2030-11-01T00:00:00Z"}, "cron"),  # no occurrence left in the window
        ({"max_runs": 0}, "max_runs"),
        ({"clash_policy": "sometimes"}, "clash_policy"),
        ({"channel_ids": []}, "channel_ids"),
        ({"channel_ids": [999999]}, "channel_ids"),
        ({"run_at": "2031-01-01T00:00:00Z"}, "run_at"),  # not for a series
    ],
)
def test_a_bad_edit_of_a_series_changes_nothing(make, actor, body, field):
    schedule, _ = series(make, actor)
    before, jobs = rows(), scheduled_job_ids()

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.reschedule(actor, schedule.id, body)

    db.session.rollback()
    assert field in raised.value.fields
    assert rows() == before and scheduled_job_ids() == jobs


def test_max_runs_cannot_fall_below_the_runs_already_made(make, actor):
    schedule, _ = series(make, actor)
    schedules.materialise(db.session.get(Schedule, schedule.id), occurrence=2, due_at=datetime(2030, 12, 3, tzinfo=UTC))
    db.session.commit()

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.reschedule(actor, schedule.id, {"max_runs": 1})

    assert raised.value.fields["max_runs"] == "must be at least 2 (runs already made)"


def test_clash_policy_does_not_apply_to_a_one_time_schedule(make, actor):
    schedule, _ = one_time(make, actor)

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.reschedule(actor, schedule.id, {"clash_policy": "skip"})

    assert raised.value.fields == {"clash_policy": "does not apply to a one-time schedule"}


def test_removing_a_channel_its_chain_needs_is_refused(make, actor):
    schedule, [first, second] = one_time(make, actor, channels=2, chain=True)

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.reschedule(actor, schedule.id, {"channel_ids": [second.id]})

    assert raised.value.fields["channel_ids"].startswith("would break the schedule's chain")


def test_an_edit_while_a_publication_is_publishing_is_refused_whole(make, actor):
    schedule, [first, second] = one_time(make, actor, channels=2)
    busy = schedules.publications_of(schedule)[0]
    reload(busy).status = "publishing"
    db.session.commit()
    before, jobs = rows(), scheduled_job_ids()

    with pytest.raises(Conflict, match="being published right now"):
        rescheduling.reschedule(actor, schedule.id, {"run_at": "2031-02-01T00:00:00Z", "channel_ids": [first.id]})

    db.session.rollback()
    assert rows() == before and scheduled_job_ids() == jobs


def test_a_channel_cannot_join_a_one_time_schedule_that_already_ran(make, actor):
    schedule, [first] = one_time(make, actor)
    reload(schedules.publications_of(schedule)[0]).status = "published"
    db.session.commit()

    with pytest.raises(Conflict, match="clone it"):
        rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, make.channel(actor).id]})


def test_an_added_channel_whose_rules_refuse_the_time_is_a_clash_on_channel_ids(make, actor):
    schedule, [first] = one_time(make, actor)
    strict = make.channel(actor, rules={"time_slots": ["17:00"]}, timezone="UTC")

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, strict.id]})

    assert "conflicts with channel rules" in raised.value.fields["channel_ids"]
    assert raised.value.extra["next_free_slots"][str(strict.id)][0] == "2031-01-10T17:00:00Z"
    rescheduling.reschedule(actor, schedule.id, {"channel_ids": [first.id, strict.id], "allow_conflicts": True})
    assert len(rows()) == 2


def test_publish_now_keeps_channel_rules_unless_told_to_publish_anyway(make, actor):
    content = make.content(actor)
    strict = make.channel(actor, rules={"time_slots": ["17:00"]}, timezone="UTC")

    with pytest.raises(ValidationFailed) as raised:
        rescheduling.publish_now(actor, content.id, [strict.id])
    db.session.rollback()
    [made] = rescheduling.publish_now(actor, content.id, [strict.id], allow_conflicts=True)

    assert "run_at" in raised.value.fields
    assert made.status == "scheduled" and (made.due_at - NOW).total_seconds() == 1


def test_a_new_window_never_brings_back_an_occurrence_a_person_skipped(make, actor):
    schedule, _ = series(make, actor)
    [publication] = schedules.publications_of(schedule)
    occurrences.skip(actor, schedule.id, {"at": "2030-12-05T08:30:00Z"}, now=NOW)

    rescheduling.reschedule(actor, schedule.id, {"starts_at": "2030-12-05T00:00:00Z"})

    assert reload(publication).due_at == datetime(2030, 12, 6, 8, 30, tzinfo=UTC)  # 5 Dec stays skipped
