"""Event bus: state changes go to a per-workspace Redis stream (for replay) and pub/sub (for live)."""

from __future__ import annotations

import functools
import json
import logging

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


def is_stream_replaced(payload: str, nonce: str) -> bool | None:
    """For a stream's inbox: True if this payload ends the stream `nonce`, False if it ends another, None if
    it is an ordinary event to pass on."""
    if not payload.startswith('{"name":"' + STREAM_REPLACED + '"'):
        return None
    return json.loads(payload).get("nonce") == nonce


def publication_changed(publication) -> str | None:
    """Publish the small signal that a publication's row should be re-rendered."""
    return publish(publication.workspace_id, "publication", id=publication.id, status=publication.status)


def publications_changed(publications) -> None:
    """Publish one signal per publication in a single round trip (the scheduler moves thousands)."""
    if not publications:
        return
    script = _script()
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            for p in publications:
                payload = _payload("publication", {"id": p.id, "status": p.status})
                script(keys=[stream_key(p.workspace_id)], args=[payload, STREAM_MAXLEN], client=pipe)
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
    """Render one bus event as SSE messages: a generic `name` event and a targeted `name-<id>` one.

    Every stream of a process renders the same event: the first renders it, the others (a thousand
    open dashboards) reuse that text instead of each parsing the JSON again under the GIL.
    """
    data = json.loads(payload)
    names = [data["name"]]
    if "id" in data:
        names.append(f"{data['name']}-{data['id']}")
    lines = "".join(f"data: {line}\n" for line in payload.splitlines())
    return "".join(f"id: {event_id}\nevent: {name}\n{lines}\n" for name in names)
