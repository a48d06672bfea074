"""Structured logs: JSON or text lines that carry the request id, or the RQ job and publication ids."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rq import Queue

from webapp.config import ConfigError, load_config
from webapp.infra import logs
from webapp.infra.queues import get_redis


@pytest.fixture
def captured():
    """Collect JSON lines from every logger through Herald's own handler."""
    stream = io.StringIO()
    handler = logs.make_handler("json", stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(old_level)


def _record(message: str = "hello %s", args=("world",), **extra) -> logging.LogRecord:
    record = logging.LogRecord("herald.test", logging.WARNING, __file__, 1, message, args, None)
    record.__dict__.update(extra)
    logs.ContextFilter().filter(record)
    return record


def test_a_json_line_carries_the_message_level_logger_and_bound_ids():
    with logs.bound(request_id="req-1"):
        line = logs.JsonFormatter().format(_record())

    entry = json.loads(line)
    assert entry["message"] == "hello world"
    assert (entry["level"], entry["logger"], entry["request_id"]) == ("WARNING", "herald.test", "req-1")
    assert "job_id" not in entry and entry["ts"].endswith("+00:00")


def test_a_json_line_keeps_extra_fields_and_the_traceback():
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = _record(status=503)
        record.exc_info = logging.sys.exc_info()

    entry = json.loads(logs.JsonFormatter().format(record))

    assert entry["status"] == 503
    assert "RuntimeError: boom" in entry["exception"]


def test_a_text_line_ends_with_the_bound_ids():
    with logs.bound(job_id="herald-publication-7-1", publication_id=7):
        line = logs.TextFormatter().format(_record())

    assert line.endswith("herald.test: hello world [job_id=herald-publication-7-1 publication_id=7]")


def test_a_text_line_without_context_has_no_brackets():
    assert logs.TextFormatter().format(_record()).endswith("herald.test: hello world")


def test_bound_fields_are_gone_after_the_block():
    with logs.bound(request_id="outer"), logs.bound(job_id="inner"):
        assert logs.current_context() == {"request_id": "outer", "job_id": "inner"}

    assert logs.current_context() == {}


def test_configure_installs_one_json_handler_when_nothing_else_owns_logging():
    root = logging.getLogger()
    saved, saved_level = root.handlers[:], root.level
    root.handlers.clear()
    try:
        logs.configure("json", "WARNING")
        logs.configure("json", "WARNING")  # a second app in the same process replaces, never stacks

        assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, logs.JsonFormatter)
        assert root.level == logging.WARNING
    finally:
        root.handlers[:] = saved
        root.setLevel(saved_level)


@pytest.mark.parametrize(("value", "expected"), [("", "text"), ("json", "json"), ("JSON", "json"), ("text", "text")])
def test_log_format_is_read_strictly(tmp_path, value, expected):
    assert load_config(str(tmp_path), {"HERALD_ENV": "testing", "LOG_FORMAT": value})["LOG_FORMAT"] == expected


def test_an_unknown_log_format_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="LOG_FORMAT='xml' must be one of text, json"):
        load_config(str(tmp_path), {"HERALD_ENV": "testing", "LOG_FORMAT": "xml"})


def test_a_response_gets_a_fresh_request_id(client):
    response = client.get("/healthz")

    assert len(response.headers["X-Request-ID"]) == 32
    assert response.headers["X-Request-ID"] != client.get("/healthz").headers["X-Request-ID"]


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/signin", headers={"X-Request-ID": "lb-7f3a.42"})

    assert response.headers["X-Request-ID"] == "lb-7f3a.42"


@pytest.mark.parametrize("incoming", ["has space", "x" * 129, 'quote"d', "new\\nline", ""])
def test_an_unsafe_incoming_request_id_is_replaced(client, incoming):
    response = client.get("/signin", headers={"X-Request-ID": incoming})

    assert response.headers["X-Request-ID"] != incoming and len(response.headers["X-Request-ID"]) == 32


def test_a_redirect_to_sign_in_still_carries_its_request_id(client):
    response = client.get("/publications/", headers={"X-Request-ID": "abc-123"})

    assert response.status_code == 302 and response.headers["X-Request-ID"] == "abc-123"


def test_the_request_log_line_carries_the_request_id(client, captured):
    client.get("/signin?next=%2F", headers={"X-Request-ID": "trace-9"})

    lines = [e for e in captured() if e["logger"] == "herald.request"]
    assert lines == [
        {
            **lines[0],
            "message": lines[0]["message"],
            "request_id": "trace-9",
            "method": "GET",
            "path": "/signin",
            "status": 200,
        }
    ]
    assert lines[0]["message"].startswith("GET /signin?next=%2F -> 200 in ")


def test_a_worker_job_logs_with_its_job_and_publication_ids(app, captured):
    from webapp.processes.worker import HeraldWorker

    queue = Queue("default", connection=get_redis())
    job = queue.enqueue(
        "logging.warning", "publishing now", job_id="herald-publication-42-3", meta={"publication_id": 42}
    )

    HeraldWorker([queue], connection=get_redis()).work(burst=True)

    line = next(e for e in captured() if e["message"] == "publishing now")
    assert (line["job_id"], line["publication_id"]) == (job.id, 42)
    assert logs.current_context() == {}
