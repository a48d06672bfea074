"""GET /events: the member's workspace events as server-sent events."""

from __future__ import annotations

import re
import threading

from flask import Blueprint, Response, current_app, request, stream_with_context

from webapp.domain.shared import unit_of_work
from webapp.infra.live import stream_slots
from webapp.infra.live.events import end_replaced_stream, format_sse, replay
from webapp.infra.liveness import system_status
from webapp.infra.queues import get_redis, key
from webapp.web.auth import ui_actor
from webapp.web.htmx import render
from webapp.web.live_stream import LiveStream

bp = Blueprint("stream", __name__)


_TAB_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")


class ProcessStreams:
    """How many streams this web process holds open: never more than SSE_MAX_STREAMS_PER_PROCESS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.open = 0

    def take(self, limit: int) -> bool:
        with self._lock:
            if limit > 0 and self.open >= limit:
                return False
            self.open += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.open -= 1


process_streams = ProcessStreams()


def _claim_slot(user_id: int, keepalive: int) -> stream_slots.Slot | None:
    """Take one of the user's stream slots (the tab's own, if it named itself); it lapses after 3 missed keep-alives."""
    cap = current_app.config["SSE_MAX_STREAMS_PER_USER"]
    tab = request.args.get("tab", "")
    tab = tab if _TAB_ID.fullmatch(tab) else None
    return stream_slots.claim(get_redis(), key("sse", "slots", user_id), cap, ttl=3 * keepalive, tab=tab)


def _too_many_streams(keepalive: int) -> Response:
    cap, retry_after = current_app.config["SSE_MAX_STREAMS_PER_USER"], 3 * keepalive
    message = (
        f"Too many live streams: you already have {cap} open (one per Herald tab or window). "
        f"Close one, or try again in {retry_after} seconds.\n"
    )
    # EventSource gives up on a 429 and the htmx SSE extension reconnects with growing back-off
    # (up to a minute); Retry-After tells any other client when a lapsed slot will have freed.
    return Response(message, 429, mimetype="text/plain", headers={"Retry-After": str(retry_after)})


@bp.get("/events")
def events():
    actor = ui_actor()
    workspace_id = actor.workspace_id
    last_event_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    broker = current_app.extensions["herald.broker"]
    keepalive = current_app.config["SSE_KEEPALIVE_S"]
    if not process_streams.take(current_app.config["SSE_MAX_STREAMS_PER_PROCESS"]):
        # The threads left must serve pages and the API; the browser's EventSource retries after `retry`.
        return Response(
            "This server is carrying all the live streams it can; retrying shortly.\n",
            503,
            mimetype="text/plain",
            headers={"Retry-After": str(keepalive)},
        )
    slot = _claim_slot(actor.user_id, keepalive)
    if slot is None:
        process_streams.give_back()
        return _too_many_streams(keepalive)
    if slot.replaced:
        end_replaced_stream(workspace_id, slot.replaced)  # the tab's previous page has gone: free its thread now
    live = LiveStream(broker, workspace_id, slot, keepalive, request)
    # The stream may stay open for hours: give the pooled DB connection back now.
    unit_of_work.release()

    def generate():
        yield "retry: 3000\n: connected\n\n"
        if last_event_id:
            for event_id, payload in replay(workspace_id, last_event_id):
                yield format_sse(event_id, payload)
        yield from live.follow()

    response = Response(
        stream_with_context(generate()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    # On close, even if the stream never started (a `finally` in the generator would not run then).
    response.call_on_close(live.leave)
    response.call_on_close(slot.release)
    response.call_on_close(process_streams.give_back)
    return response


@bp.get("/status")
def status():
    """Render the liveness banner (empty when all is well)."""
    return render("_status.html", block="status", system=system_status())
