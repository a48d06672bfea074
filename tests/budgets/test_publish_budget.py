"""Budgets of work per publication, counted exactly (never timed): a later change cannot quietly add round trips.

One publish inside the worker (publisher.execute) and one scheduler tick moving 100 due entries, counted in
SQL statements, database commits, ORM flushes and Redis commands. Redis commands are read off the server's MONITOR feed,
filtered to this test's database index, so nothing else on the server is counted. A budget is an upper bound:
when a change lowers the count, lower the budget with it (bench/execute_path.py prints the same figures).
"""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from redis import Redis
from sqlalchemy import event

from tests.conftest import TEST_REDIS_URL
from webapp.domain.publishing import publisher, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import get_redis
from webapp.models import utcnow
from webapp.processes.scheduler import HeraldScheduler

# Per publish: claim, attempt, outcome, schedule settle and the event announcing it. Redis: every command,
# those run inside Lua scripts too; sent: what the worker itself sends (a script call is one). On a capped
# channel (webhook: 10) the lease is taken inside the admission script (ZADD, ZCARD) and given back with a
# waiter woken inside the one script that ends the call (ZREM, ZPOPMIN): 4 commands, no extra round trip.
PUBLISH_SQL, PUBLISH_COMMITS, PUBLISH_REDIS, PUBLISH_SENT = 8, 2, 13, 4
# ORM flushes that write something: none. The claim, the attempt's rows, the publication's start and its outcome
# are single statements (attempt_rows.py): a flush cost about 0.7 ms of CPU per object, more than its statement,
# so one here is a cost the statement count misses.
PUBLISH_FLUSHES = 0
# Per scheduler tick moving 100 due entries to their queue (and marking them queued in the database): 3 Redis
# commands an entry, run inside two Lua scripts (the job hash read, one HSET of its status, the queue push), and
# about ten a batch (ZRANGEBYSCORE, the scripts' calls, ZREM, the queue registered once, and one live event for the
# batch: its script, XADD, PUBLISH); rq's own enqueue_job took 8 an entry (the whole hash written again, the queue
# registered per job), and one live event each took 3 more. Sent: round trips a batch, not an entry (a script
# call is one; a fresh server adds a SCRIPT LOAD and a retried EVALSHA per script).
MOVE_100_SQL, MOVE_100_REDIS, MOVE_100_SENT = 4, 315, 10


@contextmanager
def counted():
    """Count SQL statements, commits (and the ORM flushes among them) and Redis commands (this test's database only)."""
    sql, commits, commands, sent = Counter(), Counter(), Counter(), Counter()
    on_sql = lambda conn, cursor, statement, *rest: sql.update([statement.split(None, 1)[0].upper()])  # noqa: E731
    on_commit = lambda conn: commits.update(["commit"])  # noqa: E731
    on_flush = lambda session, context: commits.update(["flush"])  # noqa: E731  (a flush with nothing to write: none)
    event.listen(db.engine, "before_cursor_execute", on_sql)
    event.listen(db.engine, "commit", on_commit)
    event.listen(db.session, "after_flush", on_flush)
    watcher = Redis.from_url(TEST_REDIS_URL)
    index = watcher.connection_pool.connection_kwargs.get("db", 0)
    sentinel = "herald-budget-end"
    ready = threading.Event()

    def watch() -> None:
        with watcher.monitor() as monitor:
            ready.set()
            for line in monitor.listen():
                if sentinel in line["command"]:
                    return
                if line["db"] == index:
                    name = line["command"].split(" ", 1)[0].upper()
                    commands.update([name])
                    if line["client_type"] != "lua":
                        sent.update([name])

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(5)
    try:
        yield sql, commits, commands, sent
    finally:
        get_redis().echo(sentinel)
        thread.join(10)
        watcher.close()
        event.remove(db.engine, "before_cursor_execute", on_sql)
        event.remove(db.engine, "commit", on_commit)
        event.remove(db.session, "after_flush", on_flush)


def queued(make, n: int, url: str, priority: str = "normal") -> list[int]:
    """Make n publications of their own schedules on one webhook channel, due in 30 s; return their ids."""
    actor = make.actor()
    channel = make.channel(actor, url=url)
    content = make.content(actor, status="approved")
    body = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(seconds=30)}
    ids = []
    for _ in range(n):
        schedule = schedules.create_schedule(actor, {**body, "priority": priority})
        ids += [p.id for p in schedules.publications_of(schedule)]
    return ids


def test_one_publish_stays_within_its_budget(make, receiver):
    warm, measured = queued(make, 2, receiver.url)
    publisher.mark_queued([warm, measured])
    assert publisher.execute(warm) == "published"  # the first publish pays for caches; the budget is the steady one
    db.session.remove()

    with counted() as (sql, commits, commands, sent):
        assert publisher.execute(measured) == "published"

    report = f"SQL {dict(sql)}, commits {dict(commits)}, Redis {dict(commands)}, sent {dict(sent)}"
    print(report)
    assert sum(sql.values()) <= PUBLISH_SQL, report
    assert commits["commit"] <= PUBLISH_COMMITS, report
    assert commits["flush"] <= PUBLISH_FLUSHES, report
    assert sum(commands.values()) <= PUBLISH_REDIS, report
    assert sum(sent.values()) <= PUBLISH_SENT, report
    assert commands["ZADD"] == 1 and commands["ZREM"] == 1, report  # the cap's lease is taken and given back


def test_a_scheduler_tick_moving_100_due_entries_stays_within_its_budget(make, receiver):
    ids = queued(make, 100, receiver.url)
    redis = get_redis()
    scheduler = dispatch.get_scheduler()
    due = {dispatch.job_id(db.session.get(publisher.Publication, pid)): 1 for pid in ids}
    redis.zadd(scheduler.scheduled_jobs_key, due)  # every entry falls due at once
    tick = HeraldScheduler(connection=redis, interval=1)
    db.session.remove()

    with counted() as (sql, _, commands, sent):
        moved = tick.enqueue_jobs()

    report = f"SQL {dict(sql)}, Redis {dict(commands)}, sent {dict(sent)}"
    print(report)
    assert len(moved) == 100
    assert sum(sql.values()) <= MOVE_100_SQL, report
    assert sum(commands.values()) <= MOVE_100_REDIS, report
    assert sum(sent.values()) <= MOVE_100_SENT, report
