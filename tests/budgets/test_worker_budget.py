"""Budget of rq's own round trips around one publish job (processes/bookkeeping.py), counted, never timed.

A worker's start and end (birth, maintenance, death) cost the same whatever it runs, so the per-job figure is the
difference between a burst of one job and a burst of six, each on a fresh worker after a first one warmed the
connections, over the five extra jobs.
"""

from __future__ import annotations

from redis.connection import AbstractConnection
from rq.registry import StartedJobRegistry

from tests.budgets.test_publish_budget import queued
from webapp.domain.publishing import publisher
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import all_queues, get_redis
from webapp.models import Publication
from webapp.processes.worker import HeraldWorker

# Per publish job, everything the worker sends: the dequeue (LPOP from `critical`, the first queue), the job's
# hash, rq's two pipelines before the job, Herald's four (admission, two events, the call's end) and the one
# MULTI/EXEC that records the outcome and deletes the job. A stock SimpleWorker sent 27 of its own.
JOB_ROUND_TRIPS = 9


def _jobs_on_the_queue(make, n: int, url: str) -> list[str]:
    ids = queued(make, n, url, priority="critical")  # the first queue a worker pops: one LPOP a job
    publisher.mark_queued(ids)
    scheduler = dispatch.get_scheduler()
    job_ids = []
    for publication in db.session.query(Publication).filter(Publication.id.in_(ids)):
        dispatch.enqueue_publication(publication)
        job = scheduler.job_class.fetch(dispatch.job_id(publication), connection=get_redis())
        scheduler.enqueue_job(job)  # what the scheduler's tick does when the entry falls due
        job_ids.append(job.id)
    db.session.remove()
    return job_ids


def _burst_round_trips(monkeypatch) -> int:
    sent = []
    original = AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(1)  # one write per command, or per pipeline: a round trip
        return original(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    HeraldWorker(all_queues(), connection=get_redis()).work(burst=True, logging_level="WARNING")
    monkeypatch.setattr(AbstractConnection, "send_packed_command", original)
    return len(sent)


def test_a_publish_job_costs_the_worker_few_round_trips_and_leaves_no_rq_keys(make, receiver, monkeypatch):
    _jobs_on_the_queue(make, 1, receiver.url)
    _burst_round_trips(monkeypatch)  # the first pays for connections and scripts; the budget is the steady one
    _jobs_on_the_queue(make, 1, receiver.url)
    one = _burst_round_trips(monkeypatch)
    job_ids = _jobs_on_the_queue(make, 6, receiver.url)
    six = _burst_round_trips(monkeypatch)

    per_job = (six - one) / 5
    assert per_job <= JOB_ROUND_TRIPS, f"{per_job} round trips per job"
    redis = get_redis()
    assert len(receiver.requests) == 8
    assert not any(redis.exists(f"rq:job:{ident}") or redis.exists(f"rq:executions:{ident}") for ident in job_ids)
    assert StartedJobRegistry("critical", connection=redis).get_job_ids() == []
