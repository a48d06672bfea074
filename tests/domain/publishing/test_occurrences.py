"""Skip, move and restore one occurrence of a recurring series without changing its rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from webapp.core.errors import Conflict, NotFound, ValidationFailed
from webapp.domain.publishing import occurrence_list, occurrences, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import AuditEvent, Publication, Schedule, ScheduleException

from .series_play import play

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
# Daily at 09:30 Paris (08:30 UTC): 2, 3, 4 March...
MAR = {day: datetime(2027, 3, day, 8, 30, tzinfo=UTC) for day in range(2, 10)}


@pytest.fixture
def series(make):
    actor = make.actor()
    channels = [make.channel(actor), make.channel(actor)]
    content = make.content(actor, status="approved")

    def build(**extra):
        data = {"content_id": content.id, "channel_ids": [c.id for c in channels], "cron": "30 9 * * *"}
        schedule = schedules.create_schedule(actor, {**data, "timezone": "Europe/Paris", **extra}, now=NOW)
        return actor, schedule

    return build


def _due(schedule_id: int, status: str = "scheduled") -> list[datetime]:
    rows = db.session.query(Publication).filter_by(schedule_id=schedule_id, status=status).order_by(Publication.id)
    return [p.due_at for p in rows]


def test_skipping_the_next_occurrence_cancels_its_publications_and_materialises_the_one_after(series):
    actor, schedule = series()
    first = schedules.publications_of(schedule)

    run = occurrences.skip(actor, schedule.id, now=NOW)

    assert (run.original_at, run.state) == (MAR[2], "skipped")
    for publication in first:
        db.session.refresh(publication)
        assert (publication.status, publication.hold_reason) == ("cancelled", "occurrence skipped")
        assert dispatch.scheduled_time(publication) is None
    assert _due(schedule.id) == [MAR[3], MAR[3]]
    fresh = schedules.publications_of(schedule)
    assert {p.occurrence for p in fresh} == {2} and all(dispatch.scheduled_time(p) for p in fresh)
    assert db.session.get(Schedule, schedule.id).next_run_at == MAR[3]
    audit = db.session.query(AuditEvent).filter_by(action="schedule.occurrence_skipped").one()
    assert audit.details["at"] == "2027-03-02T08:30:00Z"


def test_a_chosen_later_occurrence_is_never_materialised(series, monkeypatch):
    actor, schedule = series()
    occurrences.skip(actor, schedule.id, {"at": "2027-03-03T09:30:00"}, now=NOW)  # read in the schedule's zone

    published = play(schedule.id, monkeypatch, limit=2)

    assert sorted({p.due_at for p in published}) == [MAR[2], MAR[4]]


def test_a_skipped_occurrence_does_not_count_toward_max_runs(series, monkeypatch):
    actor, schedule = series(max_runs=2)
    schedule_id = schedule.id
    occurrences.skip(actor, schedule_id, now=NOW)

    published = play(schedule_id, monkeypatch, limit=5)

    assert sorted({p.due_at for p in published}) == [MAR[3], MAR[4]]  # two posts, as "stop after 2 runs" says
    assert db.session.get(Schedule, schedule_id).status == "completed"


def test_moving_a_materialised_occurrence_moves_its_jobs_and_keeps_its_keys(series):
    actor, schedule = series()
    before = {p.id: (p.idempotency_key, p.dispatch_seq) for p in schedules.publications_of(schedule)}
    to = datetime(2027, 3, 2, 16, 0, tzinfo=UTC)

    run = occurrences.move(actor, schedule.id, {"at": "2027-03-02T08:30:00Z", "to": "2027-03-02T16:00:00Z"}, now=NOW)

    assert (run.state, run.at) == ("moved", to)
    for publication in schedules.publications_of(schedule):
        key, seq = before[publication.id]
        assert publication.due_at == to and publication.idempotency_key == key and publication.dispatch_seq == seq + 1
        assert dispatch.scheduled_time(publication) == to.timestamp()
    assert db.session.get(Schedule, schedule.id).next_run_at == to


def test_a_moved_occurrence_not_yet_materialised_runs_at_its_new_time_once(series, monkeypatch):
    actor, schedule = series()
    schedule_id = schedule.id
    to = datetime(2027, 3, 3, 6, 0, tzinfo=UTC)  # earlier than its 08:30, after the 2nd's run
    occurrences.move(actor, schedule_id, {"at": MAR[3].isoformat(), "to": to.isoformat()}, now=NOW)

    published = play(schedule_id, monkeypatch, limit=3)

    assert sorted({p.due_at for p in published}) == [MAR[2], to, MAR[4]]


def test_restoring_a_skip_brings_the_cancelled_publications_back(series):
    actor, schedule = series()
    occurrences.skip(actor, schedule.id, now=NOW)

    run = occurrences.restore(actor, schedule.id, {"at": "2027-03-02T08:30:00Z"}, now=NOW)

    assert run.state == "due"
    assert sorted(_due(schedule.id)) == [MAR[2], MAR[2], MAR[3], MAR[3]]
    assert all(dispatch.scheduled_time(p) for p in db.session.query(Publication).filter_by(status="scheduled"))
    assert db.session.query(ScheduleException).count() == 0


def test_restoring_a_move_puts_the_occurrence_back_at_the_rules_time(series):
    actor, schedule = series()
    occurrences.move(actor, schedule.id, {"at": MAR[2].isoformat(), "to": "2027-03-02T15:00:00Z"}, now=NOW)

    occurrences.restore(actor, schedule.id, {"at": "2027-03-02T15:00:00Z"}, now=NOW)  # named by its new time too

    assert _due(schedule.id) == [MAR[2], MAR[2]]
    assert all(dispatch.scheduled_time(p) == MAR[2].timestamp() for p in schedules.publications_of(schedule))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"at": "2027-03-02T08:31:00Z", "to": "2027-03-02T15:00:00Z"}, "at", "is not an occurrence"),
        ({"at": "2027-03-02T08:30:00Z", "to": "2027-03-01T11:00:00Z"}, "to", "must be in the future"),
        ({"at": "2027-03-02T08:30:00Z", "to": "2027-03-03T08:30:00Z"}, "to", "before the series' next occurrence"),
        ({"at": "2027-03-03T08:30:00Z", "to": "2027-03-02T08:00:00Z"}, "to", "after the series' previous occurrence"),
        ({"at": "2027-02-27T08:30:00Z", "to": "2027-03-02T09:00:00Z"}, "at", "has passed"),
        ({"at": "2027-03-02T08:30:00Z", "to": "tomorrow"}, "to", "ISO 8601"),
    ],
)
def test_a_move_is_refused_with_the_reason_and_changes_nothing(series, data, field, message):
    actor, schedule = series()

    with pytest.raises(ValidationFailed) as caught:
        occurrences.move(actor, schedule.id, data, now=NOW)

    assert message in caught.value.fields[field]
    db.session.rollback()
    assert db.session.query(ScheduleException).count() == 0 and _due(schedule.id) == [MAR[2], MAR[2]]


def test_an_occurrence_already_publishing_cannot_be_skipped_or_moved(series):
    actor, schedule = series()
    publication = schedules.publications_of(schedule)[0]
    publication.status = "publishing"
    db.session.commit()

    with pytest.raises(Conflict, match="already publishing"):
        occurrences.skip(actor, schedule.id, now=NOW)
    with pytest.raises(Conflict, match="already publishing"):
        occurrences.move(actor, schedule.id, {"at": MAR[2].isoformat(), "to": "2027-03-02T10:00:00Z"}, now=NOW)


def test_skipping_twice_or_restoring_an_unchanged_occurrence_is_a_conflict(series):
    actor, schedule = series()
    occurrences.skip(actor, schedule.id, {"at": MAR[4].isoformat()}, now=NOW)

    with pytest.raises(Conflict, match="already skipped"):
        occurrences.skip(actor, schedule.id, {"at": MAR[4].isoformat()}, now=NOW)
    with pytest.raises(Conflict, match="neither skipped nor moved"):
        occurrences.restore(actor, schedule.id, {"at": MAR[5].isoformat()}, now=NOW)


def test_another_workspaces_member_gets_not_found(series, make):
    _, schedule = series()
    stranger = make.actor()

    for call in (
        lambda: occurrences.skip(stranger, schedule.id, now=NOW),
        lambda: occurrences.move(stranger, schedule.id, {"at": MAR[2].isoformat(), "to": MAR[3].isoformat()}, now=NOW),
        lambda: occurrences.restore(stranger, schedule.id, {"at": MAR[2].isoformat()}, now=NOW),
        lambda: occurrence_list.upcoming(stranger, schedule.id, now=NOW),
    ):
        with pytest.raises(NotFound):
            call()


def test_the_upcoming_list_shows_skipped_and_moved_occurrences(series):
    actor, schedule = series()
    occurrences.skip(actor, schedule.id, {"at": MAR[3].isoformat()}, now=NOW)
    occurrences.move(actor, schedule.id, {"at": MAR[4].isoformat(), "to": "2027-03-04T12:00:00Z"}, now=NOW)

    _, listed = occurrence_list.upcoming(actor, schedule.id, count=4, now=NOW)

    assert [(i.run.original_at, i.state, i.run.at) for i in listed] == [
        (MAR[2], "due", MAR[2]),
        (MAR[3], "skipped", None),
        (MAR[4], "moved", datetime(2027, 3, 4, 12, 0, tzinfo=UTC)),
        (MAR[5], "due", MAR[5]),
    ]
    assert len(listed[0].publications) == 2 and listed[2].publications == []


def test_a_viewer_cannot_skip(series, make):
    from webapp.core.errors import Forbidden

    actor, schedule = series()
    viewer = make.member(actor, "viewer")

    with pytest.raises(Forbidden):
        occurrences.skip(viewer, schedule.id, now=NOW)


def test_the_preview_says_what_the_rules_do_to_each_run(make):
    actor = make.actor()
    channel = make.channel(actor, rules={"daily_limit": 1}, timezone="UTC")

    listed = occurrence_list.preview(
        actor, "0 9,17 * * *", "UTC", count=3, channel_ids=[channel.id], now=NOW - timedelta(hours=12)
    )

    # 17:00 moves to the next free slot, midnight, which comes before the next run; 09:00 then finds the day
    # taken and no free slot before 17:00.
    assert [i.notes for i in listed] == [
        [],
        [f"1 Mar 17:00: moved to 00:00 on 2 Mar, daily limit ({channel.name})"],
        [f"2 Mar 09:00: skipped, daily limit ({channel.name})"],
    ]


def test_a_move_made_under_an_old_rule_does_not_run_once_the_rule_no_longer_has_that_occurrence(series):
    from webapp.domain.publishing import series as walk

    actor, schedule = series()
    occurrences.move(actor, schedule.id, {"at": MAR[3].isoformat(), "to": "2027-03-03T12:00:00Z"}, now=NOW)
    exceptions = walk.exceptions_of(schedule.id)
    after = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)  # past the 3rd's 08:30, before its new 12:00

    kept = walk.runs("30 9 * * *", "Europe/Paris", after, 1, exceptions)
    edited = walk.runs("30 9 * * mon", "Europe/Paris", after, 1, exceptions)  # the 3rd is a Wednesday

    assert [r.at for r in kept] == [datetime(2027, 3, 3, 12, 0, tzinfo=UTC)]
    assert [r.at for r in edited] == [datetime(2027, 3, 8, 8, 30, tzinfo=UTC)]


def test_deleting_a_schedule_deletes_its_skipped_and_moved_occurrences(series):
    from webapp.domain.publishing import lifecycle

    actor, schedule = series()
    occurrences.skip(actor, schedule.id, {"at": MAR[4].isoformat()}, now=NOW)

    lifecycle.delete_schedule(actor, schedule.id)

    assert db.session.query(ScheduleException).count() == 0


def test_skipping_an_occurrence_one_of_whose_posts_was_cancelled_cancels_the_rest(series):
    actor, schedule = series()
    cancelled, waiting = schedules.publications_of(schedule)
    cancelled.status = "cancelled"
    db.session.commit()

    occurrences.skip(actor, schedule.id, now=NOW)

    db.session.refresh(waiting)
    db.session.refresh(cancelled)
    assert (waiting.status, waiting.hold_reason) == ("cancelled", "occurrence skipped")
    assert cancelled.hold_reason is None  # a person's own cancel stays theirs
