"""GET /events: the member's workspace events as server-sent events."""

from __future__ import annotations

import json
import queue
import time

from flask import Blueprint, Response, current_app, request, stream_with_context

from webapp.auth import ui_actor
from webapp.events import format_sse, replay
from webapp.extensions import db
from webapp.htmx import render
from webapp.services.liveness import system_status

bp = Blueprint("stream", __name__)


@bp.get("/events")
def events():
    workspace_id = ui_actor().workspace_id
    last_event_id = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
    broker = current_app.extensions["herald.broker"]
    keepalive = current_app.config["SSE_KEEPALIVE_S"]
    inbox = broker.subscribe(workspace_id)
    # The stream may stay open for hours: give the pooled DB connection back now.
    db.session.remove()

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
                        event_id, payload = inbox.get(timeout=left)
                    except queue.Empty:
                        break
                    yield format_sse(event_id, payload)
                yield ": ping\n\n"
        finally:
            broker.unsubscribe(workspace_id, inbox)

    return Response(
        stream_with_context(generate()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@bp.get("/status")
def status():
    """Render the liveness banner (empty when all is well)."""
    return render("_status.html", block="status", system=system_status())
