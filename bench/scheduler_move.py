"""Benchmark: one HeraldScheduler.enqueue_jobs() call moving N due publications to the queues, vs stock rq-scheduler.

Setup (not timed as the move): a private redis-server and a temp SQLite database (or --database-url), migrated by
the Procfile's release step; a user, a webhook channel and approved content made through Herald's services; then N
real one-time schedules with one publication each, inserted in bulk through the ORM (as `create_schedule` builds
them), and each publication handed to rq-scheduler by Herald's own `dispatch.enqueue_publication`. All due a few
seconds ago, so one call moves them all.

Timed, in this process, one call each, on the same Redis:
  herald   HeraldScheduler.enqueue_jobs() on the N publications' entries: batches of 1,000 (one Lua script reading
           the jobs' queues and one moving them, each) AND, before each batch moves, mark_queued(): the N rows go
           scheduled -> queued in the database, one event per workspace and status, advance_due for their schedules.
  stock    rq_scheduler.Scheduler.enqueue_jobs() on N plain jobs (same function, queue and timeout; no database).
  batched  the reference stack's BatchedScheduler (Redis-only batching, as Herald's) on N plain jobs, if found.
Each mover's result is checked (sorted set empty, N jobs in the queue; for Herald, N rows queued). Herald's call is
broken down by wrapping its steps with timers (the two scripts, mark_queued, SQL statements, commits, events,
advance_due); the wrappers only measure.

    python bench/scheduler_move.py [--n 10000] [--database-url postgresql://...] [--no-batched]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import math
import os
import secrets
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    BASE_ENV,
    PASSWORD,
    REDIS_SERVER,
    REFERENCE,
    BenchRun,
    build_app,
    command_counts,
    exit_status,
    install_signal_handlers,
    procfile_argv,
    ratio,
    read_procfile,
    start_redis,
)

CHUNK = 1000  # rows per INSERT flush in the setup


class Timers:
    """Inclusive and exclusive wall time per label for wrapped callables; nesting-aware, single-threaded."""

    def __init__(self) -> None:
        self.inclusive: dict[str, float] = {}
        self.exclusive: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list] = []  # [label, start, time spent in children]
        self._restore: list[Callable[[], None]] = []

    def enter(self, label: str) -> None:
        self._stack.append([label, time.perf_counter(), 0.0])

    def leave(self) -> None:
        label, start, children = self._stack.pop()
        elapsed = time.perf_counter() - start
        self.inclusive[label] = self.inclusive.get(label, 0.0) + elapsed
        self.exclusive[label] = self.exclusive.get(label, 0.0) + elapsed - children
        self.calls[label] = self.calls.get(label, 0) + 1
        if self._stack:
            self._stack[-1][2] += elapsed

    def wrap(self, owner: object, name: str, label: str) -> None:
        """Replace owner.name with a timed wrapper until restore(); class attributes keep their descriptor kind."""
        raw = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        target = getattr(owner, name)  # bound for classmethods, plain function otherwise

        def timed(*args, **kwargs):
            self.enter(label)
            try:
                return target(*args, **kwargs)
            finally:
                self.leave()

        is_classmethod = isinstance(raw, classmethod)
        if isinstance(owner, type) and not is_classmethod:

            def timed_method(*args, **kwargs):  # self comes in args
                self.enter(label)
                try:
                    return raw(*args, **kwargs)
                finally:
                    self.leave()

            setattr(owner, name, timed_method)
        else:
            setattr(owner, name, staticmethod(timed) if is_classmethod else timed)
        self._restore.append(lambda: setattr(owner, name, raw))

    def restore(self) -> None:
        while self._restore:
            self._restore.pop()()


def cpu_now(redis) -> tuple[float, float]:
    """CPU seconds used so far by this process (the mover, and SQLite's work in it) and by the private redis-server.

    On a machine shared with other work, wall time counts the waits for a CPU too; CPU time does not.
    """
    info = redis.info("cpu")
    return time.process_time(), info["used_cpu_user"] + info["used_cpu_sys"]


def load_batched_scheduler(path: Path):
    """The reference script's BatchedScheduler class (imported from its file), or None."""
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("herald_reference_stack", path)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, "BatchedScheduler", None)


class Move(BenchRun):
    """One scheduler-move run: Redis and the app in this process, no Herald stack."""

    def __init__(self, args: argparse.Namespace):
        super().__init__(args, prefix="herald-move-")
        self.app = None

    def run(self) -> dict:
        a = self.args
        _, redis_url = start_redis(self.procs, redis_server=a.redis_server)
        env = {
            **BASE_ENV,
            "HERALD_ENV": "production",
            "OUTBOUND_ALLOW_PRIVATE": "127.0.0.0/8",  # the bench receivers listen on loopback
            "SECRET_KEY": secrets.token_urlsafe(32),
            "HERALD_INSTANCE_PATH": str(self.tmp / "instance"),
            "DATABASE_URL": a.database_url or f"sqlite:///{self.tmp / 'herald.db'}",
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": "herald-bench",
        }
        self.procs.run("release", procfile_argv(read_procfile()["release"], env), env)
        self.app = build_app(env)
        results: dict = {"n": a.n, "db": "postgresql" if a.database_url else "sqlite"}
        with self.app.app_context():
            from webapp.extensions import db
            from webapp.infra.queues import get_redis

            try:
                results["herald"] = self.herald(get_redis())
                get_redis().flushdb()
                results["stock"] = self.plain(get_redis(), "stock", None)
                batched = None if a.no_batched else load_batched_scheduler(a.reference)
                if batched is not None:
                    get_redis().flushdb()
                    results["batched"] = self.plain(get_redis(), "batched", batched)
            finally:
                db.session.remove()
                db.engine.dispose()
        return results

    # -- Herald ---------------------------------------------------------------------------------------------------
    def herald(self, redis) -> dict:
        from rq.utils import utcparse
        from sqlalchemy import event, func, select
        from sqlalchemy.orm import Session

        from webapp.domain.accounts import accounts
        from webapp.domain.channels import channels
        from webapp.domain.content import contents
        from webapp.domain.publishing import publisher, schedules
        from webapp.domain.shared.actor import Actor
        from webapp.extensions import db
        from webapp.infra import dispatch
        from webapp.infra.due_jobs import Mover
        from webapp.infra.live import events
        from webapp.models import Publication, PublicationStatus, Role, Schedule, ScheduleStatus
        from webapp.processes.scheduler import HeraldScheduler

        n = self.args.n
        t0 = time.perf_counter()
        user = accounts.create_user(f"bench-{secrets.token_hex(4)}@example.test", PASSWORD, source="cli")
        workspace_id = user.last_workspace_id
        actor = Actor(user.id, workspace_id, Role.OWNER.value, "cli")
        channel = channels.create_channel(
            actor,
            name="bench receiver",
            platform="webhook",
            settings={"url": "http://127.0.0.1:9/hook"},  # never called: no worker runs here
            credentials={"secret": "bench-secret"},
        )
        content = contents.create_content(actor, title="Bench", body="x" * 900, status="approved")
        due = datetime.fromtimestamp(math.floor(time.time()) - 2, UTC)
        session = db.session()
        session.expire_on_commit = False  # keep the rows' fields for enqueue_publication without re-SELECTs
        publications: list[Publication] = []
        for start in range(0, n, CHUNK):  # bounded: n / CHUNK chunks
            batch = [
                Schedule(
                    workspace_id=workspace_id,
                    content_id=content.id,
                    run_at=due,
                    timezone="UTC",
                    priority="normal",
                    missed_policy="run_late",
                    grace_minutes=60,
                    status=ScheduleStatus.ACTIVE.value,
                    next_run_at=due,
                    created_by_id=user.id,
                    channels=[channel],
                )
                for _ in range(min(CHUNK, n - start))
            ]
            session.add_all(batch)
            session.flush()
            rows = [
                Publication(
                    workspace_id=workspace_id,
                    schedule_id=schedule.id,
                    channel_id=channel.id,
                    content_id=content.id,
                    occurrence=1,
                    idempotency_key=schedules.idempotency_key(schedule, channel.id, 1),
                    priority=schedule.priority,
                    status=PublicationStatus.SCHEDULED.value,
                    due_at=due,
                    dispatch_seq=1,
                )
                for schedule in batch
            ]
            session.add_all(rows)
            session.commit()
            publications.extend(rows)
        rows_s = time.perf_counter() - t0
        for publication in publications:  # Herald's own hand-over to rq-scheduler, one entry each
            dispatch.enqueue_publication(publication)
        setup_s = time.perf_counter() - t0
        session.expire_on_commit = True
        db.session.remove()
        scheduler = HeraldScheduler(connection=redis, interval=1)
        waiting = redis.zcard(scheduler.scheduled_jobs_key)
        print(
            f"# herald: {n} schedules + publications inserted in {rows_s:.1f}s, {waiting} rq-scheduler entries after"
            f" {setup_s:.1f}s; moving them with one HeraldScheduler.enqueue_jobs()",
            flush=True,
        )
        if waiting != n:
            raise RuntimeError(f"expected {n} rq-scheduler entries, found {waiting}")

        timers = Timers()
        timers.wrap(publisher, "mark_queued", "mark_queued")
        timers.wrap(events, "publications_changed", "events")
        timers.wrap(schedules, "advance_due", "advance_due")
        timers.wrap(Mover, "read", "read")
        timers.wrap(Mover, "move", "move")
        timers.wrap(Session, "commit", "commit")
        engine = db.engine

        def before(*_args) -> None:
            timers.enter("sql")

        def after(*_args) -> None:
            timers.leave()

        event.listen(engine, "before_cursor_execute", before)
        event.listen(engine, "after_cursor_execute", after)
        cmds0, cpu0 = command_counts(redis), cpu_now(redis)
        try:
            timers.enter("enqueue_jobs")
            started_at = time.time()
            moved = scheduler.enqueue_jobs()
            timers.leave()
        finally:
            event.remove(engine, "before_cursor_execute", before)
            event.remove(engine, "after_cursor_execute", after)
            timers.restore()
        cmds1, cpu1 = command_counts(redis), cpu_now(redis)
        move_s = timers.inclusive["enqueue_jobs"]

        queued = db.session.scalar(
            select(func.count(Publication.id)).where(
                Publication.workspace_id == workspace_id, Publication.status == PublicationStatus.QUEUED.value
            )
        )
        queue_len = redis.llen("rq:queue:default")
        left = redis.zcard(scheduler.scheduled_jobs_key)
        with redis.pipeline(transaction=False) as pipe:
            for publication in publications:
                pipe.hget(f"rq:job:{dispatch.job_id(publication)}", "enqueued_at")
            enqueued = [utcparse(raw.decode()).timestamp() for raw in pipe.execute() if raw]
        return {
            "setup_s": setup_s,
            "move_s": move_s,
            "cpu": (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]),
            "moved": len(moved),
            "left": left,
            "queue_len": queue_len,
            "db_queued": queued,
            "ok": left == 0 and queue_len == n and queued == n and len(moved) == n,
            "first_in_queue_s": min(enqueued) - started_at if enqueued else None,
            "last_in_queue_s": max(enqueued) - started_at if enqueued else None,
            "exclusive": dict(timers.exclusive),
            "calls": dict(timers.calls),
            "redis_cmds": {k: v - cmds0.get(k, 0) for k, v in cmds1.items() if v - cmds0.get(k, 0)},
        }

    # -- plain jobs -------------------------------------------------------------------------------------------------
    def plain(self, redis, mover: str, scheduler_class) -> dict:
        from rq_scheduler import Scheduler

        n = self.args.n
        cls = scheduler_class or Scheduler
        scheduler = cls(connection=redis, interval=1)
        due = datetime.fromtimestamp(math.floor(time.time()) - 2, UTC)
        t0 = time.perf_counter()
        for i in range(n):  # bounded: n entries
            scheduler.enqueue_at(
                due,
                "webapp.jobs.publish_publication",
                i + 1,
                1,
                job_id=f"plain-{mover}-{i}",
                queue_name="default",
                timeout=120,
                job_result_ttl=3600,
            )
        setup_s = time.perf_counter() - t0
        cmds0, cpu0 = command_counts(redis), cpu_now(redis)
        t0 = time.perf_counter()
        scheduler.enqueue_jobs()  # stock returns a spent generator: the checks below count instead
        move_s = time.perf_counter() - t0
        cmds1, cpu1 = command_counts(redis), cpu_now(redis)
        left, queue_len = redis.zcard(scheduler.scheduled_jobs_key), redis.llen("rq:queue:default")
        print(f"# {mover}: {n} plain jobs set up in {setup_s:.1f}s, moved in {move_s:.3f}s", flush=True)
        return {
            "setup_s": setup_s,
            "move_s": move_s,
            "cpu": (cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]),
            "left": left,
            "queue_len": queue_len,
            "ok": left == 0 and queue_len == n,
            "redis_cmds": {k: v - cmds0.get(k, 0) for k, v in cmds1.items() if v - cmds0.get(k, 0)},
        }


def report(r: dict) -> bool:
    n, h, s, b = r["n"], r["herald"], r["stock"], r.get("batched")
    print()
    print(f"== scheduler move: {n} due entries -> queues, one enqueue_jobs() call each, workers stopped ({r['db']})")
    print(
        f"{'mover':34} {'move':>8} {'moves/s':>8} {'us/entry':>9} {'cmds/entry':>11} {'checked':>8}"
        f" {'CPU: mover + redis':>19}"
    )
    rows = [("herald (HeraldScheduler + DB rows)", h), ("stock (rq_scheduler.Scheduler)", s)]
    if b:
        rows.append(("batched (reference, Redis only)", b))
    for name, x in rows:
        cmds = sum(x["redis_cmds"].values()) / n
        print(
            f"{name:34} {x['move_s']:>7.3f}s {n / x['move_s']:>8.0f} {x['move_s'] / n * 1e6:>9.0f}"
            f" {cmds:>11.1f} {'ok' if x['ok'] else 'NO':>8}"
            f" {x['cpu'][0]:>8.3f}s + {x['cpu'][1]:.3f}s"
        )
    print(
        f"ratio herald / stock = {ratio(h['move_s'], s['move_s'])} (stock / herald = {s['move_s'] / h['move_s']:.2f}x)"
        + (f"; herald / batched = {ratio(h['move_s'], b['move_s'])}" if b else "")
    )
    ex, calls = h["exclusive"], h["calls"]
    parts = [
        ("read script (each job's queue)", ex.get("read", 0.0)),
        ("move script (HSET + push each, ZREM)", ex.get("move", 0.0)),
        ("SQL statements (UPDATE, SELECTs)", ex.get("sql", 0.0)),
        ("commits", ex.get("commit", 0.0)),
        ("events (1 per workspace and status)", ex.get("events", 0.0)),
        ("mark_queued own (ORM objects, Python)", ex.get("mark_queued", 0.0)),
        ("advance_due own (ORM objects, Python)", ex.get("advance_due", 0.0)),
        ("rest: ZRANGEBYSCORE, Python", ex.get("enqueue_jobs", 0.0)),
    ]
    print(f"   where Herald's {h['move_s']:.3f}s go (exclusive wall time; us per entry):")
    for label, seconds in parts:
        print(f"     {label:<44} {seconds:7.3f}s {seconds / n * 1e6:7.0f} {100 * seconds / h['move_s']:5.1f}%")
    print(
        f"   calls: {calls.get('mark_queued', 0)} mark_queued, {calls.get('sql', 0)} SQL statements,"
        f" {calls.get('commit', 0)} commits, {calls.get('events', 0)} events;"
        f" Redis commands: {', '.join(f'{k} {v}' for k, v in sorted(h['redis_cmds'].items(), key=lambda kv: -kv[1]))}"
    )
    print(
        f"   first job reached a queue {h['first_in_queue_s']:.3f}s after the call began,"
        f" the last {h['last_in_queue_s']:.3f}s;"
        f" DB rows queued {h['db_queued']}/{n}; queue length {h['queue_len']}; entries left {h['left']}"
    )
    ok = h["ok"] and s["ok"] and (b is None or b["ok"])
    print(
        f"SUMMARY scheduler_move n={n} db={r['db']} herald={h['move_s']:.2f}s stock={s['move_s']:.2f}s"
        f" ({ratio(h['move_s'], s['move_s'])})"
        + (f" batched={b['move_s']:.2f}s ({ratio(h['move_s'], b['move_s'])})" if b else "")
        + f" cpu herald={sum(h['cpu']):.2f}s"
        + (f" batched={sum(b['cpu']):.2f}s" if b else "")
        + f" load={os.getloadavg()[0]:.1f}"
        + (" | ok" if ok else " | PROBLEMS")
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="due entries to move (default 10000)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL (default: a temp SQLite file)")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="reference_stack.py (for BatchedScheduler)")
    parser.add_argument("--no-batched", action="store_true", help="skip the reference's BatchedScheduler")
    parser.add_argument("--redis-server", default=REDIS_SERVER, help="redis-server executable")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs, database)")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 100_000:
        parser.error("--n must be 1..100000")
    install_signal_handlers()
    move = Move(args)
    try:
        with exit_status():
            return 0 if report(move.run()) else 1
    finally:
        with contextlib.suppress(Exception):
            move.close()


if __name__ == "__main__":
    sys.exit(main())
