"""GET /events: the member's workspace events as server-sent events."""

from __future__ import annotations

import json
import queue
import re
import threading
import time

from flask import Blueprint, Response, current_app, request, stream_with_context

from webapp.domain.shared import unit_of_work
from webapp.infra.live import stream_slots
from webapp.infra.live.events import end_replaced_stream, format_sse, is_stream_replaced, replay
from webapp.infra.liveness import system_status
from webapp.infra.queues import get_redis, key
from webapp.web.auth import ui_actor
from webapp.web.htmx import render

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


def _pending_text(first: tuple[str, str], inbox: queue.SimpleQueue, nonce: str) -> tuple[str, bool]:
    """The SSE text of `first` and of every event already waiting behind it, and whether one ends this stream.

    One write for all of them: when a burst of events outruns a thousand streams, each thread catches up in
    one wake-up and one socket write instead of one per event.
    """
    texts, item = [], first
    while item is not None:  # bounded: the broker keeps an inbox under CLIENT_BUFFER
        event_id, payload = item
        replaced = is_stream_replaced(payload, nonce)
        if replaced:
            return "".join(texts), True
        if replaced is None:
            texts.append(format_sse(event_id, payload))
        try:
            item = inbox.get_nowait()
        except queue.Empty:
            item = None
    return "".join(texts), False


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
    inbox = broker.subscribe(workspace_id)
    # The stream may stay open for hours: give the pooled DB connection back now.
    unit_of_work.release()

    def generate():
        system_ok = None
        try:
            yield "retry: 3000\n: connected\n\n"
            if last_event_id:
                for event_id, payload in replay(workspace_id, last_event_id):
                    yield format_sse(event_id, payload)
            while True:
                # At connect and on each keep-alive tick, check liveness too, so an open dashboard
                # learns within seconds that the scheduler went silent (or came back).
                now_ok = system_status()["ok"]
                if now_ok != system_ok:
                    system_ok = now_ok
                    yield f"event: system\ndata: {json.dumps({'ok': now_ok})}\n\n"
                deadline = time.monotonic() + keepalive
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        first = inbox.get(timeout=left)
                    except queue.Empty:
                        break
                    text, replaced = _pending_text(first, inbox, slot.nonce)
                    if text:
                        yield text
                    if replaced:
                        return  # this tab opened a newer stream: end now, not at the next keep-alive
                yield ": ping\n\n"
                if not slot.renew():
                    return  # the same tab opened a newer stream (the page moved on): this one is done
        finally:
            broker.unsubscribe(workspace_id, inbox)

    response = Response(
        stream_with_context(generate()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
    # On close, even if the stream never started (the generator's own `finally` would not run then).
    response.call_on_close(slot.release)
    response.call_on_close(process_streams.give_back)
    return response


@bp.get("/status")
def status():
    """Render the liveness banner (empty when all is well)."""
    return render("_status.html", block="status", system=system_status())
