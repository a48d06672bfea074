"""gunicorn's settings for the Procfile's `web`, read from the environment (gunicorn loads this file from
the working directory, the checkout's root, where the Procfile's processes run).

WEB_WORKERS processes (default 2, one per core) of WEB_THREADS threads (default 128): every open
dashboard holds one thread with its `GET /events` stream (asleep: the process's one fan-out writer
sends its events), and SSE_MAX_STREAMS_PER_PROCESS (a default of three quarters of WEB_THREADS) keeps
the rest for pages and the API. Size WEB_THREADS for the streams one machine carries: 1,000 open
dashboards on 2 workers want about 700 each.
WEB_SWITCH_INTERVAL_MS (default 50) is how long a thread may hold the GIL while others wait for it.
Flags on the command line still win over this file.
"""

import gc
import signal
import sys

from webapp.config import WEB_SWITCH_INTERVAL_MS_DEFAULT, WEB_WORKERS_DEFAULT, env_int, web_threads

worker_class = "gthread"
workers = max(1, env_int("WEB_WORKERS", WEB_WORKERS_DEFAULT))
threads = web_threads()
# gthread accepts at most this many connections per worker (open streams included); gunicorn's default is 1,000.
worker_connections = max(1000, threads + 64)
switch_interval_s = max(1, env_int("WEB_SWITCH_INTERVAL_MS", WEB_SWITCH_INTERVAL_MS_DEFAULT)) / 1000


def post_worker_init(worker):
    """Keep the loaded app's objects out of later garbage collections (gc.freeze, as Instagram does).

    A full collection walks every object the process holds, with the GIL, while a thousand open
    streams wait: the app's own (modules, mappers, templates) never die, so leave them out of the walk.

    And let a thread keep the GIL for switch_interval_s rather than Python's 5 ms: one event wakes every
    stream's thread at once (500 a process at 1,000 dashboards), and at 5 ms they keep forcing the GIL from
    the thread handing the event out and from one another, each switch a futex round. At 50 ms each runs its
    short turn to its socket write (where it lets go of the GIL anyway): bench/sse_floor.py measured the
    bare skeleton's p99 at a half to a third, and its CPU a delivery a third lower.
    """
    gc.freeze()
    sys.setswitchinterval(switch_interval_s)
    if worker is not None:
        end_streams_on_term(worker)


def end_streams_on_term(worker):
    """On SIGTERM, end the open SSE streams at once, as well as stopping the worker (its own handler).

    Otherwise each stream's thread sleeps on to its next keep-alive and the worker waits out its graceful
    timeout for them; ended, they give their slots back and the browsers reconnect to the next process.
    """
    fanout = getattr(worker.wsgi, "extensions", {}).get("herald.fanout")
    if fanout is None:
        return
    stop_worker = signal.getsignal(signal.SIGTERM)

    def stop_worker_and_streams(sig, frame):
        if callable(stop_worker):
            stop_worker(sig, frame)
        fanout.stop()

    signal.signal(signal.SIGTERM, stop_worker_and_streams)
