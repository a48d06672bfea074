"""rq's per-job bookkeeping, cut to what something reads: 5 round trips to Redis per job instead of 27.

A stock SimpleWorker makes about 27 round trips around each job (`bench/execute_path.py --through-rq`
counts them): three unpipelined heartbeats of three commands each, the worker's state written twice, the
suspension flag read before every dequeue, and, for a job whose result nothing keeps (`result_ttl=0`, every
publish), a delete that first reads the job's status and its executions back, twice, to find what to remove.
Redis round trips were the largest part of a publication's CPU after Herald's own work.

What is kept, and why it is enough:
- heartbeats: one is sent when it moves the worker's expiry on by more than a few seconds (the idle beat every
  15 s, a job's longer limit); the beats rq sends milliseconds apart around every job move nothing. A beat
  rides a pipeline rq sends anyway when there is one.
- the suspension flag (`rq suspend`) is read at most once a second.
- the worker's state is written when it changes (BUSY rides the execution's pipeline, IDLE the outcome's).
- a finished job whose result nothing keeps is deleted in the one MULTI/EXEC that records the outcome: its
  hash, its execution (hash, started registry, execution registry, the worker's set) and the worker's counts.
  Every key is one rq itself names; nothing is read first, because the worker holds all it needs (the job
  it ran, the execution it opened). Herald enqueues no job with dependents, repeats, a group or an rq rate
  limit (tasks.enqueue, dispatch): any job that has one, or keeps its result, takes rq's own path.
A failed job always takes rq's own path.
"""

from __future__ import annotations

import time

from rq.job import JobStatus
from rq.results import Result
from rq.utils import now
from rq.worker import WorkerStatus

from webapp.infra import tasks


class LeanBookkeeping:
    """Mixin for an rq worker class (before it in the bases): the same jobs, fewer round trips per job."""

    # A beat that moves the worker's expiry on by less than this is not sent (rq beats about five times a job).
    BEAT_SLACK_S = 5.0
    SUSPENSION_CHECK_S = 1.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._beat_until = 0.0  # monotonic instant the worker's rq key is alive until, as last written
        self._suspension_checked = float("-inf")
        self._state_written: str | None = None

    # --- heartbeats -------------------------------------------------------------------------------------

    def heartbeat(self, timeout=None, pipeline=None):
        ttl = timeout or self.worker_ttl + 60
        until = time.monotonic() + ttl
        if pipeline is not None:
            super().heartbeat(timeout, pipeline)
            self._beat_until = until
            self.beat_sent(pipeline, ttl)
            return
        if until <= self._beat_until + self.BEAT_SLACK_S:
            return
        with self.connection.pipeline(transaction=False) as pipe:
            super().heartbeat(timeout, pipe)
            self.beat_sent(pipe, ttl)
            pipe.execute()
        self._beat_until = until

    def beat_sent(self, pipeline, ttl: int) -> None:
        """Add what else should ride a heartbeat to its pipeline (a subclass's own liveness record)."""

    # --- suspension and state ---------------------------------------------------------------------------

    def check_for_suspension(self, burst: bool):
        if time.monotonic() < self._suspension_checked + self.SUSPENSION_CHECK_S:
            return
        super().check_for_suspension(burst)
        self._suspension_checked = time.monotonic()

    def set_state(self, state: str, pipeline=None):
        if pipeline is None and state == self._state_written:
            self._state = state
            return
        super().set_state(state, pipeline)
        self._state_written = state

    # --- a job whose result nothing keeps ---------------------------------------------------------------

    def _is_lean(self, job) -> bool:
        return (
            job.func_name in tasks.ALL
            and job.get_result_ttl(self.default_result_ttl) == 0
            and not job.repeats_left
            and not job.group_id
            and not job.has_rate_limit
        )

    def handle_execution_ended(self, job, queue, heartbeat_ttl):
        if not self._is_lean(job):
            return super().handle_execution_ended(job, queue, heartbeat_ttl)
        job.ended_at = now()  # no last beat on the job's hash: it is deleted in the next round trip

    def handle_job_success(self, job, queue, started_job_registry, execution):
        if not self._is_lean(job):
            return super().handle_job_success(job, queue, started_job_registry, execution)
        with self.connection.pipeline() as pipe:
            self.increment_successful_job_count(pipeline=pipe)
            self.increment_total_working_time(job.ended_at - job.started_at, pipe)
            self.cleanup_execution(job, pipeline=pipe, execution=execution)
            keys = (job.key, job.dependents_key, job.dependencies_key, job.execution_registry.key)
            pipe.delete(*keys, Result.get_key(job.id))
            self.set_state(WorkerStatus.IDLE, pipeline=pipe)
            pipe.execute()
        job._status = JobStatus.FINISHED
        self.log.debug("Worker %s: job %s done, its hash deleted", self.name, job.id)
