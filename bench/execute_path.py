"""Benchmark: the cost of one publish inside the worker, in-process, without rq around it.

Creates N approved publications on a webhook channel pointing at a local receiver, moves them to `queued`
as the scheduler does, then runs `publishing.execute()` on each in this process and prints, per
publication: SQL statements (by kind), database commits (and ORM flushes), Redis commands, CPU ms and wall ms; with
--profile, the top functions by own time. It isolates Herald's part of the burst figure in bench/load.py
(which adds rq's job bookkeeping, the scheduler and a second worker) and reads the same on a busy machine,
since statement and command counts do not depend on load.

    python bench/execute_path.py [--n 300] [--database-url postgresql://...] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from harness import BASE_ENV, Processes, Receiver, build_app, command_counts, install_signal_handlers, start_redis


def _seed(n: int, receiver_port: int) -> list[int]:
    from webapp.core.orm import utcnow
    from webapp.domain.accounts import accounts
    from webapp.domain.channels import channels
    from webapp.domain.content import contents
    from webapp.domain.publishing import publisher, schedules
    from webapp.domain.shared.actor import Actor
    from webapp.extensions import db
    from webapp.models import Membership

    user = accounts.create_user("bench@example.test", "Bench-Password-42!", "UTC")
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    actor = Actor(user.id, membership.workspace_id, membership.role, "cli")
    channel = channels.create_channel(
        actor,
        name="receiver",
        platform="webhook",
        settings={"url": f"http://127.0.0.1:{receiver_port}/hook"},
        credentials={"secret": "bench-secret"},
    )
    content = contents.create_content(actor, title="Bench", body="x" * 900, status="approved")
    soon = utcnow() + timedelta(seconds=30)
    ids = []
    for _ in range(n):
        schedule = schedules.create_schedule(
            actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": soon.isoformat()}
        )
        ids.extend(p.id for p in schedules.publications_of(schedule))
    publisher.mark_queued(ids, at=soon)
    return ids


def _worker_with_jobs(ids: list[int]):
    """worker.py's worker on Herald's queues, with each publication's job moved onto its queue."""
    from rq import Queue

    from webapp.extensions import db
    from webapp.infra import dispatch
    from webapp.infra.queues import all_queues, get_redis
    from webapp.models import Publication

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from webapp.processes.worker import HeraldWorker

    redis = get_redis()
    scheduler = dispatch.get_scheduler()
    for publication in db.session.query(Publication).filter(Publication.id.in_(ids)):
        dispatch.enqueue_publication(publication)
        job = scheduler.job_class.fetch(dispatch.job_id(publication), connection=redis)
        scheduler.enqueue_job(job)  # what the scheduler's tick does when the entry falls due
    db.session.remove()
    assert sum(len(Queue(q.name, connection=redis)) for q in all_queues()) == len(ids)
    return HeraldWorker(all_queues(), connection=redis)


def publication_statuses(ids: list[int]) -> Counter:
    from webapp.extensions import db
    from webapp.models import Publication

    found = Counter(status for (status,) in db.session.query(Publication.status).filter(Publication.id.in_(ids)))
    db.session.remove()
    return found


def _echo(conn, cursor, statement, parameters, context, executemany) -> None:
    print("   SQL:", " ".join(statement.split())[:160])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="publications to execute (default 300)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL (default: a temp SQLite file)")
    parser.add_argument("--profile", action="store_true", help="print the top functions by own time")
    parser.add_argument(
        "--through-rq",
        action="store_true",
        help="run the publications as rq jobs in worker.py's worker (burst mode, in this process) instead of calling"
        " execute() directly: adds rq's own per-job cost",
    )
    parser.add_argument("--echo", action="store_true", help="print the SQL of the last publication's execute()")
    args = parser.parse_args()
    install_signal_handlers()

    tmp = Path(tempfile.mkdtemp(prefix="herald-exec-"))
    procs = Processes(tmp)
    receiver = Receiver()
    try:
        _, redis_url = start_redis(procs)
        env = {
            **BASE_ENV,
            "HERALD_ENV": "production",
            "OUTBOUND_ALLOW_PRIVATE": "127.0.0.0/8",  # the bench receivers listen on loopback
            "SECRET_KEY": "bench-secret-key-bench-secret-key",
            "HERALD_INSTANCE_PATH": str(tmp / "instance"),
            "DATABASE_URL": args.database_url or f"sqlite:///{tmp / 'herald.db'}",
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": "herald-bench",
        }
        app = build_app(env)
        with app.app_context():
            from flask_migrate import upgrade
            from sqlalchemy import event

            from webapp.adapters.http import keep_connections_alive
            from webapp.domain.publishing import publisher
            from webapp.extensions import db
            from webapp.infra.queues import get_redis

            upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
            ids = _seed(args.n, receiver.port)
            db.session.remove()
            keep_connections_alive(True)  # as worker.py does
            statements: Counter[str] = Counter()

            def count(conn, cursor, statement, parameters, context, executemany):
                statements[statement.split(None, 1)[0].upper()] += 1

            commits = Counter()
            event.listen(db.engine, "before_cursor_execute", count)
            event.listen(db.engine, "commit", lambda conn: commits.update(["commit"]))
            event.listen(db.session, "after_flush", lambda session, context: commits.update(["flush"]))
            redis = get_redis()
            before = command_counts(redis)
            profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not waits
            outcomes: Counter[str] = Counter()
            worker = _worker_with_jobs(ids) if args.through_rq else None
            # The worker runs on this thread; the receiver answers on its own threads of this process. The worker's
            # CPU is this thread's (what the reference counts: its workers' processes, not its receiver's).
            cpu0, thread0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            if worker is not None:
                worker.work(burst=True, with_scheduler=False, logging_level="WARNING")
                outcomes.update(publication_statuses(ids))
            for pid in [] if args.through_rq else ids:
                if args.echo and pid == ids[-1]:
                    event.listen(db.engine, "before_cursor_execute", _echo)
                outcomes[publisher.execute(pid)] += 1
                db.session.remove()  # as the job wrapper does after each job
            if profiler:
                profiler.disable()
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            worker_cpu = time.thread_time() - thread0
            after = command_counts(redis)
            n = len(ids)
            redis_commands = {k: after[k] - before.get(k, 0) for k in after if after[k] - before.get(k, 0) > 0}
            redis_commands.pop("info", None)
            per = sum(redis_commands.values()) / n
            where = env["DATABASE_URL"].split("@")[-1].split("/")[0] or "sqlite"
            print(f"== execute() x {n} on {where}: {dict(outcomes)}")
            print(
                f"   per publication: worker CPU {worker_cpu / n * 1000:.2f} ms"
                f" (with the receiver's {cpu / n * 1000:.2f} ms), wall {wall / n * 1000:.2f} ms"
            )
            print(
                f"   SQL statements {sum(statements.values()) / n:.1f} ("
                + ", ".join(f"{k.lower()} {v / n:.1f}" for k, v in statements.most_common())
                + f"), commits {commits['commit'] / n:.1f} (ORM flushes writing {commits['flush'] / n:.1f})"
            )
            print(
                f"   Redis commands {per:.1f} ("
                + ", ".join(f"{k} {v / n:.1f}" for k, v in sorted(redis_commands.items(), key=lambda kv: -kv[1]))
                + ")"
            )
            if profiler:
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats("tottime").print_stats(25)
                ours = "webapp|blinker|rq/|logging|requests/sessions|sqlalchemy/orm/session"
                stats.sort_stats("cumulative").print_stats(ours, 60)
    finally:
        receiver.close()
        procs.stop_all()


if __name__ == "__main__":
    main()
