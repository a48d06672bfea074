"""Log lines that say which request or job they belong to: JSON lines (`LOG_FORMAT=json`) or readable text."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from flask import Flask, g, request

REQUEST_ID_HEADER = "X-Request-ID"
CONTEXT_FIELDS = ("request_id", "job_id", "publication_id")
# An incoming id is kept only when it is short and made of token characters: no spaces, quotes or
# line breaks, so a client can neither forge a log line in text format nor bloat every record.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:;=+/@-]{1,128}")
# Polled by load balancers and Prometheus every few seconds: logged at DEBUG so they do not drown the rest.
QUIET_ENDPOINTS = frozenset({"static", "health.healthz", "metrics.metrics"})
# LogRecord's own attributes; anything else on a record came from `extra=` and is worth printing.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

_context: ContextVar[dict[str, object]] = ContextVar("herald_log_context", default={})  # noqa: B039 - never mutated
log = logging.getLogger("herald.request")


# --- Context ------------------------------------------------------------------------------------


def current_context() -> dict[str, object]:
    """Return the request/job fields bound to what is running now."""
    return dict(_context.get())


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Attach fields (request_id, job_id, publication_id) to every log line inside the block."""
    token = _context.set({**_context.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _context.reset(token)


def job_context(job) -> AbstractContextManager[None]:
    """Bind an RQ job's id and, for a publish job, its publication id."""
    publication_id = (job.meta or {}).get("publication_id")
    return bound(job_id=job.id, publication_id=publication_id)


class ContextFilter(logging.Filter):
    """Copy the bound request/job fields onto each record (None where unbound)."""

    def filter(self, record: logging.LogRecord) -> bool:
        context = _context.get()
        for name in CONTEXT_FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, context.get(name))
        return True


# --- Formatters ---------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context fields, extras, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRS and value is not None:
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    """`time LEVEL logger: message [request_id=… job_id=…]` for people reading a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(f"{n}={getattr(record, n)}" for n in CONTEXT_FIELDS if getattr(record, n, None) is not None)
        if not fields:
            return line
        first, newline, rest = line.partition("\n")  # keep a traceback below the tagged line
        return f"{first} [{fields}]{newline}{rest}"


def make_handler(fmt: str, stream=None) -> logging.Handler:
    """Build a stream handler with the context filter and the formatter for `fmt` (text or json)."""
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler._herald = True  # type: ignore[attr-defined] - marks the handler as ours, to replace on reconfigure
    return handler


def configure(fmt: str, level: str) -> None:
    """Send every logger's records to one stderr handler in the chosen format, unless something else owns logging."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, "_herald", False)]
    if len(ours) != len(root.handlers):
        return  # a host (pytest, an embedding program) installed its own handlers: leave them be
    for handler in ours:
        root.removeHandler(handler)
    root.addHandler(make_handler(fmt))
    root.setLevel(level)


# --- Web requests -------------------------------------------------------------------------------


def request_id_from(incoming: str | None) -> str:
    """Return the incoming id when it is sane, else a new random one."""
    if incoming and SANE_REQUEST_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def _start_request() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    g.log_token = _context.set({"request_id": g.request_id})


def _finish_request(response):
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
    level = logging.DEBUG if request.endpoint in QUIET_ENDPOINTS else logging.INFO
    log.log(
        level,
        "%s %s -> %s in %.1f ms",
        request.method,
        request.full_path.rstrip("?"),
        response.status_code,
        elapsed_ms,
        extra={"method": request.method, "path": request.path, "status": response.status_code},
    )
    return response


def _end_request(_exc) -> None:
    token = g.pop("log_token", None)
    if token is not None:
        try:
            _context.reset(token)
        except ValueError:  # set in another context (a streamed response finishing elsewhere)
            _context.set({})


def init_app(app: Flask) -> None:
    """Configure logging from LOG_FORMAT/LOG_LEVEL and tag each web request with an id (echoed in X-Request-ID)."""
    configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
    # Registered before the login check, so even a redirect to sign-in carries its id.
    app.before_request(_start_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
