"""Event bus: state changes go to a per-workspace Redis stream (for replay) and pub/sub (for live)."""

from __future__ import annotations

import functools
import json
import logging
from collections import defaultdict

from flask import current_app
from redis.exceptions import RedisError

from webapp.infra.queues import get_redis, key

log = logging.getLogger(__name__)

# Enough history for a browser that reconnects after a short outage to catch up.
STREAM_MAXLEN = 2000

# XADD and PUBLISH in one round trip, so every live event also exists in the replayable stream
# under the same id.
_PUBLISH_LUA = """
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'data', ARGV[1])
redis.call('PUBLISH', KEYS[1], id .. '|' .. ARGV[1])
return id
"""


def stream_key(workspace_id: int) -> str:
    return key("events", workspace_id)


def _script():
    # EVALSHA with the script cached per app: the body is not resent with every event.
    extensions = current_app.extensions
    if "herald.publish_event" not in extensions:
        extensions["herald.publish_event"] = get_redis().register_script(_PUBLISH_LUA)
    return extensions["herald.publish_event"]


def _payload(name: str, data: dict) -> str:
    return json.dumps({"name": name, **data}, separators=(",", ":"), default=str)


def publish(workspace_id: int, name: str, **data) -> str | None:
    """Announce a state change to the workspace's live viewers; never let a Redis blip fail the caller."""
    try:
        event_id = _script()(keys=[stream_key(workspace_id)], args=[_payload(name, data), STREAM_MAXLEN])
    except RedisError:
        log.warning("event %s for workspace %s not published: Redis unavailable", name, workspace_id)
        return None
    return event_id.decode() if isinstance(event_id, bytes) else event_id


# Not an event for pages: the signal that one stream of a tab was replaced by the tab's newer one, so the
# older ends now instead of at its next keep-alive (holding a thread until then). Never kept for replay.
STREAM_REPLACED = "stream.replaced"


def end_replaced_stream(workspace_id: int, nonce: str) -> None:
    """Tell the process holding the stream `nonce` (any web process) that its tab has moved on."""
    try:
        get_redis().publish(stream_key(workspace_id), "0|" + _payload(STREAM_REPLACED, {"nonce": nonce}))
    except RedisError:
        log.warning("stream %s not told to end: Redis unavailable (it ends at its next keep-alive)", nonce)


def replaced_stream(payload: str) -> str | None:
    """The nonce of the stream this payload ends, or None if it is an ordinary event to pass on."""
    if not payload.startswith('{"name":"' + STREAM_REPLACED + '"'):
        return None
    return json.loads(payload).get("nonce") or ""


def is_stream_replaced(payload: str, nonce: str) -> bool | None:
    """For a stream's inbox: True if this payload ends the stream `nonce`, False if it ends another, None if
    it is an ordinary event to pass on."""
    replaced = replaced_stream(payload)
    return None if replaced is None else replaced == nonce


def publication_changed(publication) -> str | None:
    """Publish the small signal that a publication's row should be re-rendered."""
    return publish(publication.workspace_id, "publication", id=publication.id, status=publication.status)


def publications_changed(publications) -> None:
    """Publish one signal per workspace and status for many publications, in a single round trip.

    The scheduler moves thousands at once: one event naming them all (`ids`) instead of one each keeps
    Redis, every web process's fan-out and every open page's re-fetch at one per batch, and the replayable
    stream (STREAM_MAXLEN) from filling with a single batch. A group of one is the single form.
    """
    groups: dict[tuple[int, str], list[int]] = defaultdict(list)
    for p in publications:
        groups[p.workspace_id, p.status].append(p.id)
    if not groups:
        return
    script = _script()
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for (workspace_id, status), ids in groups.items():
                data = {"id": ids[0]} if len(ids) == 1 else {"ids": ids}
                payload = _payload("publication", {**data, "status": status})
                script(keys=[stream_key(workspace_id)], args=[payload, STREAM_MAXLEN], client=pipe)
            pipe.execute()
    except RedisError:
        log.warning("%d publication events not published: Redis unavailable", len(publications))


def replay(workspace_id: int, after_id: str, limit: int = 500) -> list[tuple[str, str]]:
    """Return (id, payload) of the events after `after_id`, oldest first."""
    try:
        entries = get_redis().xrange(stream_key(workspace_id), min=f"({after_id}", count=limit)
    except RedisError:
        return []
    return [(eid.decode(), fields[b"data"].decode()) for eid, fields in entries]


@functools.lru_cache(maxsize=256)
def format_sse(event_id: str, payload: str) -> str:
    """Render one bus event as SSE messages: a generic `name` event, then a targeted `name-<id>` one per id.

    A batch (`ids`) is one generic event, so a page re-fetches once, and one targeted event per publication,
    each with that publication's own data, as if it had changed alone. Every stream of a process renders the
    same event: the first renders it, the others (a thousand open dashboards) reuse that text instead of
    each parsing the JSON again under the GIL.
    """
    data = json.loads(payload)
    name = data["name"]
    messages = [_sse_message(event_id, name, payload)]
    if "ids" in data:
        rest = {k: v for k, v in data.items() if k not in ("name", "ids")}
        for ident in data["ids"]:
            messages.append(_sse_message(event_id, f"{name}-{ident}", _payload(name, {"id": ident, **rest})))
    elif "id" in data:
        messages.append(_sse_message(event_id, f"{name}-{data['id']}", payload))
    return "".join(messages)


def _sse_message(event_id: str, name: str, payload: str) -> str:
    lines = "".join(f"data: {line}\n" for line in payload.splitlines())
    return f"id: {event_id}\nevent: {name}\n{lines}\n"
