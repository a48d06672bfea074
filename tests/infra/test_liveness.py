"""Workers are counted by their own heartbeat, which comes back within one beat after a Redis flush."""

from __future__ import annotations

import time

from webapp.infra import liveness
from webapp.infra.queues import all_queues
from webapp.processes.worker import HeraldWorker


def test_a_beat_keeps_a_worker_alive_for_its_time_then_it_is_not_counted(redis_conn):
    liveness.worker_beat(redis_conn, "w1", alive_for_s=90, now=1_000)
    liveness.worker_beat(redis_conn, "w2", alive_for_s=30, now=1_000)

    assert liveness.live_worker_names(redis_conn, now=1_020) == {"w1", "w2"}
    assert liveness.live_worker_names(redis_conn, now=1_060) == {"w1"}
    assert liveness.live_worker_names(redis_conn, now=1_100) == set()


def test_a_worker_that_stops_cleanly_is_forgotten_at_once(redis_conn):
    worker = HeraldWorker(all_queues(), connection=redis_conn, name="clean")
    worker.register_birth()
    worker.heartbeat()
    assert "clean" in liveness.live_worker_names(redis_conn)

    worker.register_death()

    assert "clean" not in liveness.live_worker_names(redis_conn)


def test_after_a_flush_the_next_heartbeat_counts_the_worker_again(app, redis_conn, monkeypatch):
    worker = HeraldWorker(all_queues(), connection=redis_conn, name="survivor")
    worker.register_birth()
    worker.heartbeat()
    assert liveness.system_status()["workers_alive"] == 1

    redis_conn.flushdb()  # RQ's registry of workers is gone, and RQ never writes it again
    assert liveness.system_status()["workers_alive"] == 0

    later = time.monotonic() + 15
    monkeypatch.setattr(time, "monotonic", lambda: later)
    worker.heartbeat()  # what the worker's loop does every worker_ttl - 15 = 15 s while idle

    assert liveness.system_status()["workers_alive"] == 1
    assert worker.worker_ttl == 30 and worker.dequeue_timeout == 15


def test_the_beats_rq_sends_around_each_job_write_herald_s_liveness_once(app, redis_conn, monkeypatch):
    worker = HeraldWorker(all_queues(), connection=redis_conn, name="busy")
    beats = []
    monkeypatch.setattr(liveness, "worker_beat", lambda *args: beats.append(args[2]))

    worker.heartbeat()
    worker.heartbeat()  # rq beats several times per job, milliseconds apart
    worker.heartbeat(timeout=180)  # before a job: alive for its own limit

    assert beats == [90, 180]
