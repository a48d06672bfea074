"""Run an RQ worker for Herald's queues, inside the app context (`python worker.py [--burst]`)."""

from __future__ import annotations

import argparse
import logging

from rq import SimpleWorker
from rq.job import Job
from rq.utils import import_attribute
from sqlalchemy.orm import configure_mappers

from webapp import create_app
from webapp.adapters.http import keep_connections_alive
from webapp.domain.operations import scheduler_watch
from webapp.infra import liveness, logs, tasks
from webapp.infra.queues import QUEUE_ORDER, all_queues, get_redis

log = logging.getLogger("herald.worker")


class HeraldJob(Job):
    """A job that still runs when an older Herald enqueued it under a path that has since moved."""

    @property
    def func(self):
        name = self.func_name
        if name is not None and self.instance is None and name in tasks.LEGACY_NAMES:
            return import_attribute(tasks.current_name(name))
        return super().func


class HeraldWorker(SimpleWorker):
    """A SimpleWorker whose log lines during a job carry the RQ job id and the publication id.

    It also beats in Herald's own liveness set (infra/liveness.py) at every RQ heartbeat, which an idle
    worker sends every `worker_ttl - 15` seconds: after a Redis flush it is counted again that soon.
    """

    job_class = HeraldJob
    HEARTBEAT_TTL_S = 30  # an idle worker beats every 15 s; /healthz counts it for 90 s after the last

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_ttl", self.HEARTBEAT_TTL_S)
        super().__init__(*args, **kwargs)

    def heartbeat(self, timeout=None, pipeline=None):
        super().heartbeat(timeout, pipeline)
        # `timeout` is a running job's own limit (+60 s) when RQ beats before one: alive for that long.
        liveness.worker_beat(self.connection, self.name, timeout or self.worker_ttl + 60)
        scheduler_watch.check_now_and_then()  # workers are who notice a silent scheduler

    def register_death(self):
        liveness.worker_gone(self.connection, self.name)
        super().register_death()

    def execute_job(self, job, queue):
        with logs.job_context(job):
            return super().execute_job(job, queue)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", default=None, help="worker name (default: rq's own)")
    args = parser.parse_args(argv)
    app = create_app()
    keep_connections_alive(True)  # one keep-alive HTTP session for this worker's publications
    with app.app_context():
        configure_mappers()
        # SimpleWorker runs jobs in this process: about 4x the throughput of forking per job on
        # this hardware, and the job code is Herald's own (no untrusted code to isolate).
        worker = HeraldWorker(all_queues(), connection=get_redis(), name=args.name)
        log.info("worker listening on %s", " ".join(QUEUE_ORDER))
        worker.work(burst=args.burst, with_scheduler=False, logging_level="INFO")


if __name__ == "__main__":
    main()
