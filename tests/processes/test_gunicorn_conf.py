"""gunicorn.conf.py: the web server's worker class, processes and threads, and the stream cap that follows them."""

from __future__ import annotations

import gc
import runpy
import signal
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from webapp.config import ConfigError, load_config
from webapp.infra.live.fanout import Fanout

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def settings(monkeypatch, **environ) -> dict:
    for name in ("WEB_WORKERS", "WEB_THREADS", "WEB_SWITCH_INTERVAL_MS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONF))


def test_today_s_defaults_are_two_gthread_workers_of_128_threads(monkeypatch):
    conf = settings(monkeypatch)

    assert (conf["worker_class"], conf["workers"], conf["threads"]) == ("gthread", 2, 128)


def test_workers_and_threads_come_from_the_environment(monkeypatch):
    conf = settings(monkeypatch, WEB_WORKERS="3", WEB_THREADS="700")

    assert (conf["workers"], conf["threads"]) == (3, 700)
    assert conf["worker_connections"] >= 700  # every thread may hold an open stream


def test_each_web_process_lets_a_thread_keep_the_gil_50_ms_unless_told_otherwise(monkeypatch):
    default, tuned = settings(monkeypatch), settings(monkeypatch, WEB_SWITCH_INTERVAL_MS="20")
    before = sys.getswitchinterval()
    try:
        default["post_worker_init"](None)
        assert sys.getswitchinterval() == pytest.approx(0.05)
        tuned["post_worker_init"](None)
        assert sys.getswitchinterval() == pytest.approx(0.02)
    finally:
        sys.setswitchinterval(before)
        gc.unfreeze()


def test_sigterm_stops_the_worker_and_ends_its_open_streams_at_once(monkeypatch):
    fanout, stopped = Fanout(), []
    stream = fanout.join(1, "nonce", chunked=True)
    worker = SimpleNamespace(wsgi=SimpleNamespace(extensions={"herald.fanout": fanout}))
    before, switch = signal.signal(signal.SIGTERM, lambda sig, frame: stopped.append(sig)), sys.getswitchinterval()
    try:
        settings(monkeypatch)["post_worker_init"](worker)
        signal.getsignal(signal.SIGTERM)(signal.SIGTERM, None)

        assert stopped == [signal.SIGTERM]  # gunicorn's own handler still runs
        assert stream.ended.wait(3)  # the stream's thread is woken: it returns, and its slot is given back
    finally:
        signal.signal(signal.SIGTERM, before)
        sys.setswitchinterval(switch)
        gc.unfreeze()


def test_a_garbled_setting_fails_loudly(monkeypatch):
    with pytest.raises(ConfigError, match="WEB_THREADS"):
        settings(monkeypatch, WEB_THREADS="lots")


def stream_cap(tmp_path, **environ) -> int:
    return load_config(str(tmp_path), {"HERALD_ENV": "testing", **environ})["SSE_MAX_STREAMS_PER_PROCESS"]


@pytest.mark.parametrize(("threads", "streams"), [(None, 96), ("700", 525), ("1", 1)])
def test_a_process_keeps_a_quarter_of_its_threads_from_streams(tmp_path, threads, streams):
    assert stream_cap(tmp_path, **({"WEB_THREADS": threads} if threads else {})) == streams


def test_an_explicit_stream_cap_wins(tmp_path):
    assert stream_cap(tmp_path, WEB_THREADS="700", SSE_MAX_STREAMS_PER_PROCESS="600") == 600
