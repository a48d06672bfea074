"""gunicorn.conf.py: the web server's worker class, processes and threads, and the stream cap that follows them."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

from webapp.config import ConfigError, load_config

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def settings(monkeypatch, **environ) -> dict:
    for name in ("WEB_WORKERS", "WEB_THREADS"):
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
