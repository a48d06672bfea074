"""Event bus: state changes go to a per-workspace Redis stream (for replay) and pub/sub (for live)."""

from __future__ import annotations

import json
import logging

from redis.exceptions import RedisError

from webapp.queues import get_redis, key

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


def publish(workspace_id: int, name: str, **data) -> str | None:
    """Announce a state change to the workspace's live viewers; never let a Redis blip fail the caller."""
    payload = json.dumps({"name": name, **data}, separators=(",", ":"), default=str)
    try:
        event_id = get_redis().eval(_PUBLISH_LUA, 1, stream_key(workspace_id), payload, STREAM_MAXLEN)
    except RedisError:
        log.warning("event %s for workspace %s not published: Redis unavailable", name, workspace_id)
        return None
    return event_id.decode() if isinstance(event_id, bytes) else event_id


def publication_changed(publication) -> str | None:
    """Publish the small signal that a publication's row should be re-rendered."""
    return publish(publication.workspace_id, "publication", id=publication.id, status=publication.status)


def replay(workspace_id: int, after_id: str, limit: int = 500) -> list[tuple[str, str]]:
    """Return (id, payload) of the events after `after_id`, oldest first."""
    try:
        entries = get_redis().xrange(stream_key(workspace_id), min=f"({after_id}", count=limit)
    except RedisError:
        return []
    return [(eid.decode(), fields[b"data"].decode()) for eid, fields in entries]


def format_sse(event_id: str, payload: str) -> str:
    """Render one bus event as SSE messages: a generic `name` event and a targeted `name-<id>` one."""
    data = json.loads(payload)
    names = [data["name"]]
    if "id" in data:
        names.append(f"{data['name']}-{data['id']}")
    lines = "".join(f"data: {line}\n" for line in payload.splitlines())
    return "".join(f"id: {event_id}\nevent: {name}\n{lines}\n" for name in names)
