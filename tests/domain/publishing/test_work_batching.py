"""A Work talks to Redis in a few round trips however many publications it changes (a bulk chunk is 500)."""

import json

import pytest
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.job import Job

from tests.web.api_actions.support import entry, insert_publications, one_time, reload, scheduled_job_ids
from webapp.domain.operations import bulk
from webapp.domain.publishing import lifecycle
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.live import events
from webapp.infra.queues import get_redis
from webapp.models import Publication, Schedule


@pytest.fixture
def actor(make):
    return make.actor()


@pytest.fixture
def failed(make, actor) -> list[Publication]:
    """Thirty failed publications of one completed schedule, each with a stale rq-scheduler entry."""
    schedule, [first] = one_time(make, actor)
    ids = [first.id, *insert_publications(schedule, 29, status="failed")]
    db.session.get(Publication, first.id).status = "failed"
    db.session.get(Schedule, schedule.id).status = "completed"
    db.session.commit()
    publications = [db.session.get(Publication, i) for i in ids]
    dispatch.enqueue_publications(publications[1:])  # as if each still had its old entry
    return publications


@pytest.fixture
def round_trips(monkeypatch) -> list[str]:
    """Every command sent to Redis on its own (a pipeline's execute counts once), by name."""
    sent: list[str] = []
    execute_command, pipeline_execute = Redis.execute_command, Redis.pipeline

    def counted(self, *args, **options):
        sent.append(str(args[0]))
        return execute_command(self, *args, **options)

    def counted_pipeline(self, *args, **options):
        pipe = pipeline_execute(self, *args, **options)
        execute = pipe.execute

        def execute_counted(*a, **k):
            sent.append("PIPELINE")
            return execute(*a, **k)

        pipe.execute = execute_counted
        return pipe

    monkeypatch.setattr(Redis, "execute_command", counted)
    monkeypatch.setattr(Redis, "pipeline", counted_pipeline)
    return sent


def test_retrying_thirty_publications_talks_to_redis_a_handful_of_times(actor, failed, round_trips):
    old_jobs = {dispatch.job_id(p) for p in failed}
    work = lifecycle.Work()
    for publication in failed:
        lifecycle.retry_publication(publication, work)
    work.commit()

    assert len(round_trips) <= 5, round_trips  # drop, enqueue, announce: one round trip each
    assert all(reload(p).status == "queued" for p in failed)
    assert scheduled_job_ids() == {dispatch.job_id(reload(p)) for p in failed}
    assert not old_jobs & scheduled_job_ids()


def test_each_batched_job_is_the_one_a_single_enqueue_would_make(actor, failed):
    work = lifecycle.Work()
    lifecycle.retry_publication(failed[3], work)
    work.commit()

    publication = reload(failed[3])
    job = Job.fetch(dispatch.job_id(publication), connection=get_redis())
    assert job.args == (publication.id, publication.dispatch_seq) == (publication.id, 2)
    assert job.origin == "default" and job.meta["publication_id"] == publication.id
    assert entry(publication) == pytest.approx(publication.next_attempt_at.timestamp(), abs=1)


def test_a_bulk_retry_announces_every_publication_it_changed_in_one_event(actor, failed):
    stream = events.stream_key(actor.workspace_id)
    before = get_redis().xlen(stream)

    bulk.run_bulk(actor, "retry", ids=[p.id for p in failed])

    announced = [json.loads(fields[b"data"]) for _, fields in get_redis().xrange(stream)][before:]
    batches = [e for e in announced if e["name"] == "publication"]
    assert [(sorted(e["ids"]), e["status"]) for e in batches] == [(sorted(p.id for p in failed), "queued")]


def test_a_strict_drop_that_cannot_reach_redis_commits_nothing(actor, failed, monkeypatch):
    def unreachable(jobs):
        raise RedisConnectionError("down")

    monkeypatch.setattr(dispatch, "unschedule_jobs", unreachable)
    work = lifecycle.Work()
    publication = failed[0]
    work.drop(publication, strict=True)
    publication.status = "cancelled"
    work.touch(publication)

    with pytest.raises(RedisConnectionError):
        work.commit()
    db.session.rollback()
    assert reload(publication).status == "failed"


def test_a_lenient_drop_that_cannot_reach_redis_still_commits(actor, failed, monkeypatch):
    monkeypatch.setattr(dispatch, "unschedule_jobs", lambda jobs: (_ for _ in ()).throw(RedisConnectionError("down")))
    work = lifecycle.Work()

    lifecycle.retry_publication(failed[0], work)
    work.commit()

    assert reload(failed[0]).status == "queued"


def test_the_last_retried_publication_finishing_completes_its_schedule_again(actor, failed):
    schedule_id = failed[0].schedule_id
    work = lifecycle.Work()
    lifecycle.retry_publication(failed[0], work)
    work.commit()
    assert db.session.get(Schedule, schedule_id).status == "active"  # one is pending again

    work = lifecycle.Work()
    lifecycle.cancel_publication(reload(failed[0]), work)
    work.commit()

    assert db.session.get(Schedule, schedule_id).status == "completed"
