"""rq-scheduler entries follow the database: enqueue, move when due, restore after a flush."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import text

from tests.adapters.receiver import Receiver
from webapp.domain.publishing import schedules
from webapp.domain.publishing.reconcile import reconcile
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.liveness import last_heartbeat_age
from webapp.infra.queues import QUEUE_FOR_PRIORITY, all_queues, get_redis
from webapp.models import Publication, utcnow
from webapp.processes.scheduler import HeraldScheduler


@pytest.fixture
def receiver():
    with Receiver() as r:
        r.respond(200, body={"id": "x1"})
        yield r


def _schedule(make, url="http://127.0.0.1:9/hook", run_at=None, priority="normal", now=None, **extra):
    actor = make.actor()
    channel = make.channel(actor, url=url)
    content = make.content(actor, status="approved")
    run_at = run_at or utcnow() + timedelta(minutes=10)
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at, "priority": priority, **extra}
    return schedules.publications_of(schedules.create_schedule(actor, data, now=now))[0]


def _run_scheduler_tick() -> None:
    # The tick ends its database session (as the long-running process must), so reload afterwards.
    HeraldScheduler(connection=get_redis(), interval=1).enqueue_jobs()


def _reload(publication_id: int) -> Publication:
    return db.session.get(Publication, publication_id)


def _make_due(publication: Publication) -> None:
    scheduler = dispatch.get_scheduler()
    get_redis().zadd(scheduler.scheduled_jobs_key, {dispatch.job_id(publication): time.time() - 1})


def test_a_new_publication_is_in_rq_scheduler_at_its_due_second_rounded_up(make):
    run_at = datetime(2031, 5, 1, 9, 0, 0, 400_000, tzinfo=UTC)
    publication = _schedule(make, run_at=run_at, now=datetime(2031, 4, 1, tzinfo=UTC))  # run_at is ahead, every year

    assert publication.due_at == datetime(2031, 5, 1, 9, 0, 1, tzinfo=UTC)
    assert dispatch.scheduled_time(publication) == publication.due_at.timestamp()


def test_job_ids_are_deterministic_and_change_with_each_dispatch(make):
    publication = _schedule(make)
    first = dispatch.job_id(publication)

    dispatch.redispatch(publication)

    assert first == f"herald-publication-{publication.id}-1"
    assert dispatch.job_id(publication) == f"herald-publication-{publication.id}-2"


def test_the_scheduler_marks_due_publications_queued_before_moving_their_jobs(make):
    publication = _schedule(make, priority="high")
    pid = publication.id
    _make_due(publication)

    _run_scheduler_tick()

    publication = _reload(pid)
    assert publication.status == "queued" and publication.enqueued_at is not None
    assert Queue("high", connection=get_redis()).job_ids == [dispatch.job_id(publication)]
    assert dispatch.scheduled_time(publication) is None


def test_an_entry_whose_job_is_gone_is_dropped_and_its_publication_stays_scheduled(make):
    from rq.job import Job

    publication = _schedule(make)
    pid, job_id = publication.id, dispatch.job_id(publication)
    _make_due(publication)
    get_redis().delete(Job.key_for(job_id))  # the hash expired or was deleted; the entry lingered

    _run_scheduler_tick()

    assert _reload(pid).status == "scheduled"  # the reconciler gives it a job again
    assert job_id not in dispatch.get_scheduler()
    assert all(queue.count == 0 for queue in all_queues())


def test_a_due_publication_is_published_by_a_worker(make, receiver):
    publication = _schedule(make, url=receiver.url)
    pid = publication.id
    _make_due(publication)
    _run_scheduler_tick()

    SimpleWorker(all_queues(), connection=get_redis()).work(burst=True)

    assert _reload(pid).status == "published"
    assert len(receiver.requests) == 1


def test_the_scheduler_heartbeat_is_recorded(app):
    HeraldScheduler(connection=get_redis(), interval=1).heartbeat()

    assert last_heartbeat_age() < 2


def test_reconcile_restores_every_entry_after_redis_is_flushed(make):
    publications = [_schedule(make) for _ in range(3)]
    get_redis().flushdb()

    report = reconcile()

    assert report["restored"] == 3
    for publication in publications:
        db.session.refresh(publication)
        assert dispatch.scheduled_time(publication) == publication.due_at.timestamp()


def test_reconcile_leaves_present_entries_alone(make):
    publication = _schedule(make)

    report = reconcile()

    assert (report["restored"], report["missed"], report["requeued"], report["advanced"]) == (0, 0, 0, 0)
    assert dispatch.scheduled_time(publication) is not None


def test_reconcile_leaves_alone_a_publication_that_moved_on_between_its_read_and_its_restore(make, monkeypatch):
    # A channel slot handed over takes the waiting publication's entry out of rq-scheduler, then marks it queued
    # (publisher.hand_over): a reconcile in between must not give it a new dispatch number over that `queued`.
    publication = _schedule(make)
    pid, seq = publication.id, publication.dispatch_seq
    dispatch.unschedule_publication(publication)  # out of rq-scheduler, as a hand-over takes it
    db.session.expire_all()
    looked = dispatch.scheduled_time

    def handed_over_meanwhile(p):
        found = looked(p)
        db.session.execute(text("UPDATE publications SET status = 'queued' WHERE id = :id"), {"id": pid})
        return found

    monkeypatch.setattr(dispatch, "scheduled_time", handed_over_meanwhile)

    report = reconcile()

    db.session.expire_all()
    assert report["restored"] == 0
    assert (_reload(pid).status, _reload(pid).dispatch_seq) == ("queued", seq)  # its handed-over job still claims it
    assert dispatch.scheduled_time(_reload(pid)) is None


def test_reconcile_replaces_an_entry_earlier_than_the_publication_s_own_time(make):
    # A database started afresh under a Redis that kept an older install's entries: the new publication has the
    # old one's id and dispatch number, and the old entry, due in a minute, would publish it a day early.
    publication = _schedule(make, run_at=utcnow() + timedelta(days=1))
    pid, seq, own = publication.id, publication.dispatch_seq, dispatch.own_time(publication).timestamp()
    stale = dispatch.job_id(publication)
    get_redis().zadd(dispatch.get_scheduler().scheduled_jobs_key, {stale: time.time() + 60})

    report = reconcile()

    db.session.expire_all()
    fresh = _reload(pid)
    assert report["early"] == 1 and fresh.dispatch_seq == seq + 1 and fresh.status == "scheduled"
    assert dispatch.scheduled_time(fresh) == own  # at its own time, under a new number
    assert get_redis().zscore(dispatch.get_scheduler().scheduled_jobs_key, stale) is None
    assert reconcile()["early"] == 0  # and left alone from then on


def test_an_overdue_run_late_publication_within_grace_runs_now(make):
    publication = _schedule(make, grace_minutes=60)
    get_redis().flushdb()
    publication.due_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    reconcile()

    assert abs(dispatch.scheduled_time(publication) - time.time()) < 3


def test_an_overdue_skip_publication_past_grace_is_marked_missed_with_an_alert(make):
    publication = _schedule(make, missed_policy="skip", grace_minutes=1)
    get_redis().flushdb()
    publication.due_at = utcnow() - timedelta(minutes=5)
    db.session.commit()

    assert reconcile()["missed"] == 1

    db.session.refresh(publication)
    assert publication.status == "missed"
    assert dispatch.scheduled_time(publication) is None


def test_a_queued_publication_whose_job_vanished_is_requeued(make):
    publication = _schedule(make)
    pid = publication.id
    _make_due(publication)
    _run_scheduler_tick()
    get_redis().flushdb()
    publication = _reload(pid)
    publication.enqueued_at = utcnow() - timedelta(minutes=10)
    db.session.commit()

    assert reconcile()["requeued"] == 1

    db.session.refresh(publication)
    assert publication.status == "scheduled"
    assert dispatch.scheduled_time(publication) is not None


def test_the_scheduler_moves_due_jobs_in_batches_and_keeps_periodic_jobs_repeating(make, monkeypatch):
    from webapp.processes import periodic

    monkeypatch.setattr(HeraldScheduler, "batch_size", 4)
    publications = [_schedule(make) for _ in range(10)]
    ids = [p.id for p in publications]
    for publication in publications:
        _make_due(publication)
    scheduler = HeraldScheduler(connection=get_redis(), interval=1)
    periodic.sync(scheduler, [periodic.PeriodicJob("herald-periodic-reconcile", "webapp.jobs.reconcile_job", 30)])

    moved = scheduler.enqueue_jobs()

    assert len(moved) == 11
    assert {_reload(pid).status for pid in ids} == {"queued"}
    assert len(Queue("default", connection=get_redis()).job_ids) == 10
    assert Queue("high", connection=get_redis()).job_ids == ["herald-periodic-reconcile"]
    assert "herald-periodic-reconcile" in scheduler  # re-added at its next interval


def test_nothing_moves_before_its_due_second(make):
    publication = _schedule(make)
    get_redis().zadd(dispatch.get_scheduler().scheduled_jobs_key, {dispatch.job_id(publication): time.time() + 2})

    assert HeraldScheduler(connection=get_redis(), interval=1).enqueue_jobs() == []


def test_a_leftover_job_from_before_a_reschedule_moves_and_publishes_nothing(make, receiver):
    publication = _schedule(make, url=receiver.url)
    pid = publication.id
    stale_job = dispatch.job_id(publication)
    _make_due(publication)
    publication.dispatch_seq += 1  # a reschedule gave it a new dispatch; the old entry lingers
    db.session.commit()

    _run_scheduler_tick()
    SimpleWorker(all_queues(), connection=get_redis()).work(burst=True)

    assert _reload(pid).status == "scheduled"
    assert receiver.requests == []
    assert stale_job.endswith("-1")


def test_a_failing_tick_is_logged_and_the_loop_goes_on(make, monkeypatch, caplog):
    publication = _schedule(make)
    job_id = dispatch.job_id(publication)
    _make_due(publication)
    scheduler = HeraldScheduler(connection=get_redis(), interval=1)
    monkeypatch.setattr(scheduler, "_move_batch", lambda: (_ for _ in ()).throw(RuntimeError("database went away")))

    assert scheduler.enqueue_jobs() == []

    assert "scheduler tick failed" in caplog.text
    assert job_id in scheduler  # still waiting for the next tick


def test_a_tick_puts_back_periodic_jobs_that_a_flush_wiped(app):
    from webapp.processes import periodic

    wanted = [periodic.PeriodicJob("herald-periodic-reconcile", "webapp.jobs.reconcile_job", 30)]
    scheduler = HeraldScheduler(connection=get_redis(), interval=1, periodic_jobs=wanted)
    periodic.sync(scheduler, wanted)
    get_redis().flushdb()

    scheduler.enqueue_jobs()

    assert "herald-periodic-reconcile" in scheduler or Queue("high", connection=get_redis()).job_ids


def test_a_skip_publication_found_late_at_the_tick_is_missed_not_published(make, receiver):
    from datetime import timedelta as td

    from webapp.models import Alert

    publication = _schedule(make, url=receiver.url, missed_policy="skip", grace_minutes=0)
    pid = publication.id
    publication.due_at = utcnow() - td(minutes=2)
    db.session.commit()
    _make_due(publication)

    _run_scheduler_tick()
    SimpleWorker(all_queues(), connection=get_redis()).work(burst=True)

    assert _reload(pid).status == "missed"
    assert receiver.requests == []
    assert db.session.query(Alert).filter_by(kind="missed", publication_id=pid).count() == 1


def _queued_and_stale(make) -> int:
    """A publication the scheduler handed to its queue ten minutes ago; return its id."""
    publication = _schedule(make)
    pid = publication.id
    _make_due(publication)
    _run_scheduler_tick()
    publication = _reload(pid)
    publication.enqueued_at = utcnow() - timedelta(minutes=10)
    db.session.commit()
    return pid


def _taken_by_a_worker(pid: int, worker_name: str | None) -> None:
    """What a worker does with the job before it claims the publication: take it off the queue, maybe start it."""
    from rq.job import Job

    ident = dispatch.job_id(_reload(pid))
    queue = Queue(QUEUE_FOR_PRIORITY["normal"], connection=get_redis())
    assert get_redis().lrem(queue.key, 0, ident) == 1
    if worker_name is not None:
        job = Job.fetch(ident, connection=get_redis())
        job.worker_name = worker_name
        job.set_status("started")
        job.save()


def test_a_job_taken_by_a_worker_killed_before_it_started_is_requeued(make):
    # Its hash still says "queued", but it sits in no queue: trusting the status left it queued forever.
    pid = _queued_and_stale(make)
    _taken_by_a_worker(pid, worker_name=None)

    assert reconcile()["requeued"] == 1
    assert _reload(pid).status == "scheduled" and dispatch.scheduled_time(_reload(pid)) is not None


def test_a_job_started_by_a_worker_that_died_is_requeued(make):
    pid = _queued_and_stale(make)
    _taken_by_a_worker(pid, worker_name="worker-killed-by-sigkill")

    assert reconcile()["requeued"] == 1


def test_a_job_held_by_a_live_worker_or_waiting_in_its_queue_is_left_alone(make):
    from webapp.infra.liveness import worker_beat

    in_hand, waiting = _queued_and_stale(make), _queued_and_stale(make)
    _taken_by_a_worker(in_hand, worker_name="worker-busy")
    worker_beat(get_redis(), "worker-busy", alive_for_s=180)

    assert reconcile()["requeued"] == 0
    assert {_reload(in_hand).status, _reload(waiting).status} == {"queued"}
