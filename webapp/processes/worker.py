"""Run Herald's RQ workers inside the app context (`python worker.py [--burst] [--concurrency N]`).

One process runs `WORKER_CONCURRENCY` slots: each slot is a SimpleWorker in its own thread, with its own
app context, database session and keep-alive HTTP session, so one process has that many publications in
flight. A publication spends nearly all its time waiting for the platform, so threads are the cheap way to
wait on many at once: a slot costs a thread and two connections, where a process per slot (rq's worker
pool) costs a whole interpreter with the app loaded (~90 MB each; docs/benchmarks.md). `make run` starts
`WORKER_PROCESSES` such processes, so CPU-bound bursts use every core too.

The main thread owns the signals: the first SIGTERM or SIGINT lets every slot finish the job it holds and
take no other (warm shutdown); a second stops at once (the claim and the reconciler make that safe).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
import time

from redis import Redis
from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.job import Job
from rq.timeouts import TimerDeathPenalty
from rq.utils import import_attribute
from rq.worker import WorkerStatus
from sqlalchemy.orm import configure_mappers

from webapp import create_app
from webapp.adapters.http import keep_connections_alive
from webapp.domain.operations import scheduler_watch
from webapp.domain.publishing import recovery, throttle
from webapp.infra import liveness, logs, presence, tasks
from webapp.infra.queues import QUEUE_ORDER, all_queues, get_redis
from webapp.processes.bookkeeping import LeanBookkeeping

log = logging.getLogger("herald.worker")
# The presence connection is pinged this often, so one Redis dropped (a restart, an idle timeout) comes back soon.
PRESENCE_KEEP_S = 10.0


def rq_log_level(herald_level: str) -> str:
    """rq's own lines at WARNING, unless Herald logs at DEBUG (then everything) or only errors.

    rq writes four INFO lines a job (dequeued, completed, "Job OK", how long its result is kept: "will never
    expire" for every periodic job, which reads like a leak and is rq-scheduler's design). In `make run`'s
    output they were three lines in four, and said less than Herald's own line per publication (jobs.py).
    """
    return herald_level if herald_level in ("DEBUG", "ERROR") else "WARNING"


class HeraldJob(Job):
    """A job that still runs when an older Herald enqueued it under a path that has since moved."""

    @property
    def func(self):
        name = self.func_name
        if name is not None and self.instance is None and name in tasks.LEGACY_NAMES:
            return import_attribute(tasks.current_name(name))
        return super().func


class HeraldWorker(LeanBookkeeping, SimpleWorker):
    """A SimpleWorker whose log lines during a job carry the RQ job id and the publication id.

    Its rq bookkeeping is the lean kind (processes/bookkeeping.py). It also beats in Herald's own liveness
    set (infra/liveness.py) in the round trip of an rq heartbeat, which an idle worker sends every
    `worker_ttl - 15` seconds: after a Redis flush it is counted again that soon.
    """

    job_class = HeraldJob
    HEARTBEAT_TTL_S = 30  # an idle worker beats every 15 s; /healthz counts it for 90 s after the last

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("worker_ttl", self.HEARTBEAT_TTL_S)
        super().__init__(*args, **kwargs)
        self._alive_until = 0.0

    def beat_sent(self, pipeline, ttl: int) -> None:
        # `ttl` is a running job's own limit (+60 s) when RQ beats before one: alive for that long. Herald's
        # record is written only when it moves on by more than the slack, like rq's own unpipelined beats.
        if time.monotonic() + ttl <= self._alive_until + self.BEAT_SLACK_S:
            return
        self._alive_until = time.monotonic() + ttl
        liveness.worker_beat(pipeline, self.name, ttl)
        scheduler_watch.check_now_and_then()  # workers are who notice a silent scheduler

    def register_death(self):
        liveness.worker_gone(self.connection, self.name)
        super().register_death()

    def execute_job(self, job, queue):
        with logs.job_context(job):
            return super().execute_job(job, queue)


class SlotWorker(HeraldWorker):
    """One slot of a threaded worker process: the process's main thread handles signals, a timer the job timeout.

    SIGALRM reaches only the main thread, so the job timeout is rq's TimerDeathPenalty, which raises in the
    slot's own thread once it runs Python again; a platform call cannot hang that long anyway, as every
    adapter call has its own socket timeout (PUBLISH_TIMEOUT_S, well under the job timeout).
    """

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass  # signal.signal works only in the main thread, which stops the slots (Slots.stop)

    def subscribe(self):
        pass  # rq's command channel stops a job only on forking workers: a thread and a connection per slot saved

    def unsubscribe(self):
        pass

    def stop_after_current_job(self) -> None:
        """Take no new job after the one in hand (if any)."""
        self._stop_requested = True

    @property
    def busy(self) -> bool:
        return self.get_state() == WorkerStatus.BUSY


class Slots:
    """N SlotWorkers on threads of this process, stopped together."""

    def __init__(self, app, concurrency: int, name: str | None = None) -> None:
        self.app = app
        self.base = base = name or f"herald-{threading.get_native_id()}-{time.time_ns() % 10**9}"
        with app.app_context():
            self.workers = [
                # The first slot carries the name itself (what tests and operators look for), the others .2, .3, …
                SlotWorker(all_queues(), connection=get_redis(), name=base if n == 1 else f"{base}.{n}")
                for n in range(1, concurrency + 1)
            ]
        self.threads: list[threading.Thread] = []
        self.stopping = threading.Event()
        self.presence: Redis | None = None

    def hold_presence(self) -> None:
        """Open this process's presence and free what a dead predecessor's slots held (a restart after kill -9)."""
        try:
            self.presence = presence.hold(self.app, self.base)
            with self.app.app_context():
                throttle.hold_leases()
                freed = recovery.free_orphaned_slots()
        except RedisError as exc:  # the slots wait for Redis themselves; the leases then just expire
            log.warning("worker %s: no presence held (%s): its leases will expire if it dies", self.base, exc)
            return
        if freed:
            log.info("worker %s: freed %d channel slot(s) held by worker processes that died", self.base, freed)

    def _run(self, worker: SlotWorker, burst: bool) -> None:
        with self.app.app_context():
            keep_connections_alive(True)  # one keep-alive HTTP session per slot (requests' are per thread)
            worker.work(burst=burst, with_scheduler=False, logging_level=rq_log_level(self.app.config["LOG_LEVEL"]))

    def start(self, burst: bool = False) -> None:
        for worker in self.workers:
            # Daemon threads: a slot blocked in an idle BLPOP must not keep a stopping process alive.
            thread = threading.Thread(target=self._run, args=(worker, burst), name=worker.name, daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> None:
        """Warm shutdown: every slot finishes the job it holds and takes no other."""
        self.stopping.set()
        for worker in self.workers:
            worker.stop_after_current_job()

    def wait(self, poll_s: float = 0.2) -> None:
        """Return when every slot has ended (burst) or, after stop(), when none holds a job."""
        kept = time.monotonic()
        while any(thread.is_alive() for thread in self.threads):
            if self.presence is not None and time.monotonic() - kept > PRESENCE_KEEP_S:
                presence.keep(self.presence)
                kept = time.monotonic()
            if self.stopping.is_set() and not any(
                worker.busy for worker, thread in zip(self.workers, self.threads, strict=True) if thread.is_alive()
            ):
                break
            time.sleep(poll_s)
        with self.app.app_context():
            for worker, thread in zip(self.workers, self.threads, strict=True):
                if thread.is_alive():  # idle in BLPOP: it ends with the process; it is gone from the live set now
                    worker.register_death()
            if self.presence is not None:
                with contextlib.suppress(RedisError):
                    throttle.let_go_leases()  # every call has ended: nothing of this process is left to free


def share_the_interpreter(config) -> None:
    """Let a slot back from a round trip take the interpreter lock sooner (WORKER_SWITCH_INTERVAL_US; 0: as is)."""
    if config["WORKER_SWITCH_INTERVAL_US"] > 0:
        sys.setswitchinterval(config["WORKER_SWITCH_INTERVAL_US"] / 1_000_000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    parser.add_argument("--name", default=None, help="the first slot's name; the others add .2, .3, …")
    parser.add_argument("--concurrency", type=int, default=None, help="slots (default: WORKER_CONCURRENCY)")
    args = parser.parse_args(argv)
    app = create_app()
    with app.app_context():
        configure_mappers()
    concurrency = max(1, args.concurrency or app.config["WORKER_CONCURRENCY"])
    share_the_interpreter(app.config)
    slots = Slots(app, concurrency, args.name)
    slots.hold_presence()
    presses = []

    def on_signal(signum, frame):
        presses.append(signum)
        if len(presses) > 1:
            log.warning("second stop request: stopping now; jobs in hand are left to the reconciler")
            raise SystemExit(1)
        log.info("stopping: %d slot(s) finish the job in hand first", sum(w.busy for w in slots.workers))
        slots.stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    slots.start(burst=args.burst)
    log.info("worker: %d slot(s) listening on %s", concurrency, " ".join(QUEUE_ORDER))
    slots.wait()


if __name__ == "__main__":
    main()
