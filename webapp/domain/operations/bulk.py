"""Apply one action to many records of one kind, matched on the server within the actor's workspace.

The kinds (publications, schedules, contents) and their actions live in bulk_kinds.KINDS. Up to
INLINE_LIMIT matches run in the request; more run as an RQ job whose progress lives in Redis under
key("bulk", id) (a hash: workspace, kind, action, state, counts) and key("bulk", id, "skipped").
Bulk ids are one sequence across kinds.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select

from webapp.core.errors import NotFound, ValidationFailed, lazy_gettext
from webapp.core.validation import choice_problem, id_list
from webapp.domain.operations.bulk_kinds import KINDS, Kind
from webapp.domain.shared import audit
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import tasks
from webapp.infra.live import events
from webapp.infra.queues import get_queue, get_redis, key
from webapp.models import Priority

PUBLICATIONS = "publications"
ACTIONS = KINDS[PUBLICATIONS].actions
INLINE_LIMIT = 1000  # the API contract: more than this answers 202 and runs in the background
CHUNK = 500  # one commit per chunk
RESULT_TTL_S = 24 * 3600
JOB_TIMEOUT_S = 3600


def run_bulk(actor: Actor, action: str, ids=None, filter=None, kind: str = PUBLICATIONS) -> dict:
    """Apply `action` to the matched records inline, or start a job when more than 1,000 match."""
    actor.require_writer()
    spec = KINDS[kind]
    if problem := choice_problem(action, spec.actions):
        raise ValidationFailed(
            {"action": problem},
            lazy_gettext("Unknown bulk action on %(kind)s: %(action)s.", kind=kind, action=repr(action)),
        )
    matched = resolve(actor, ids, filter, kind)
    if len(matched) > INLINE_LIMIT:
        return _start_job(actor, spec, action, matched)
    result = apply(actor, action, matched, kind=kind)
    _finish(actor, spec, action, result)
    return result


def resolve(actor: Actor, ids=None, filter=None, kind: str = PUBLICATIONS) -> list[int]:
    """Return the ids, ascending, of the actor's records of `kind` named by `ids` or matching `filter`."""
    spec = KINDS[kind]
    if (ids is None) == (filter is None):
        raise ValidationFailed({"ids": lazy_gettext("give either ids or a filter")})
    model = spec.model
    if ids is None:
        query = spec.query(actor, filter).with_only_columns(model.id).order_by(None)
        return list(db.session.scalars(query.order_by(model.id)))
    wanted = id_list(ids)
    if wanted is None:
        raise ValidationFailed({"ids": lazy_gettext("must be a non-empty list of %(noun)s ids", noun=spec.noun)})
    found: list[int] = []
    for start in range(0, len(wanted), CHUNK):
        # Another workspace's ids are simply not matched: nothing says they exist.
        found += db.session.scalars(
            select(model.id).where(
                model.id.in_(wanted[start : start + CHUNK]), model.workspace_id == actor.workspace_id
            )
        )
    return sorted(found)


def matching_ids(kind: str, query, cap: int) -> list[int]:
    """Return the ids, ascending, of the records a list page's query matches (its "all matching"), at most `cap`."""
    model = KINDS[kind].model
    query = query.with_only_columns(model.id).order_by(None)
    return list(db.session.scalars(query.order_by(model.id).limit(cap)))


def apply(
    actor: Actor,
    action: str,
    ids: list[int],
    progress: Callable[[dict, list], None] | None = None,
    kind: str = PUBLICATIONS,
) -> dict:
    """Apply the action chunk by chunk (each chunk commits); refusals become `skipped` entries."""
    apply_chunk = KINDS[kind].apply_chunk
    result: dict = {"matched": len(ids), "changed": 0, "skipped": []}
    for start in range(0, len(ids), CHUNK):
        changed, skipped = apply_chunk(actor, action, ids[start : start + CHUNK])
        result["changed"] += changed
        result["skipped"] += skipped
        if progress:
            progress(result, skipped)
    return result


def _finish(actor: Actor, spec: Kind, action: str, result: dict, bulk_id: int | None = None) -> None:
    counts = {"matched": result["matched"], "changed": result["changed"], "skipped": len(result["skipped"])}
    audit.record(actor, f"{spec.name}.bulk_{action}", spec.noun, None, bulk_id=bulk_id, **counts)
    db.session.commit()
    _announce(actor.workspace_id, bulk_id, spec.name, action, "done", counts)


def _announce(workspace_id: int, bulk_id: int | None, kind: str, action: str, state: str, counts: dict) -> None:
    ident = {} if bulk_id is None else {"id": bulk_id}
    events.publish(workspace_id, "bulk", **ident, kind=kind, action=action, state=state, **counts)


def _keys(bulk_id: int) -> tuple[str, str, str]:
    return key("bulk", bulk_id), key("bulk", bulk_id, "ids"), key("bulk", bulk_id, "skipped")


def _start_job(actor: Actor, spec: Kind, action: str, ids: list[int]) -> dict:
    redis = get_redis()
    bulk_id = int(redis.incr(key("bulk", "seq")))
    status_key, ids_key, _ = _keys(bulk_id)
    who = {"user_id": actor.user_id or "", "role": actor.role, "source": actor.source, "ip": actor.ip or ""}
    state = {"workspace_id": actor.workspace_id, "kind": spec.name, "action": action, "state": "running"}
    pipe = redis.pipeline()
    pipe.hset(status_key, mapping={**who, **state, "matched": len(ids), "changed": 0, "skipped": 0})
    for start in range(0, len(ids), CHUNK):
        pipe.rpush(ids_key, *ids[start : start + CHUNK])
    pipe.expire(status_key, RESULT_TTL_S).expire(ids_key, RESULT_TTL_S).execute()
    tasks.enqueue(
        get_queue(Priority.NORMAL.value),
        tasks.RUN_BULK,
        bulk_id,
        job_id=f"herald-bulk-{bulk_id}",
        job_timeout=JOB_TIMEOUT_S,
        result_ttl=RESULT_TTL_S,
    )
    counts = {"matched": len(ids), "changed": 0, "skipped": 0}
    _announce(actor.workspace_id, bulk_id, spec.name, action, "running", counts)
    return {"bulk_id": bulk_id, "state": "running", "matched": len(ids), "changed": 0, "skipped": []}


def _stored(bulk_id: int) -> dict[str, str]:
    stored = {k.decode(): v.decode() for k, v in get_redis().hgetall(_keys(bulk_id)[0]).items()}
    if stored:
        stored.setdefault("kind", PUBLICATIONS)  # stored before bulk actions had kinds
    return stored


def run_stored(bulk_id: int) -> dict:
    """Run the bulk action stored under `bulk_id`, recording progress in Redis after every chunk (the job's body)."""
    redis = get_redis()
    status_key, ids_key, skipped_key = _keys(bulk_id)
    stored = _stored(bulk_id)
    if stored.get("state") != "running":  # unknown, expired, or already done by a duplicate job
        return stored
    actor = Actor(
        int(stored["user_id"]) if stored["user_id"] else None,
        int(stored["workspace_id"]),
        stored["role"],
        stored["source"],
        stored["ip"] or None,
    )
    spec, action = KINDS[stored["kind"]], stored["action"]
    ids = [int(i) for i in redis.lrange(ids_key, 0, -1)]

    def progress(result: dict, skipped: list) -> None:
        pipe = redis.pipeline()
        if skipped:
            pipe.rpush(skipped_key, *(json.dumps(entry) for entry in skipped)).expire(skipped_key, RESULT_TTL_S)
        counts = {"matched": result["matched"], "changed": result["changed"], "skipped": len(result["skipped"])}
        pipe.hset(status_key, mapping={"changed": counts["changed"], "skipped": counts["skipped"]}).execute()
        _announce(actor.workspace_id, bulk_id, spec.name, action, "running", counts)

    result = apply(actor, action, ids, progress, kind=spec.name)
    redis.pipeline().hset(status_key, "state", "done").delete(ids_key).execute()
    _finish(actor, spec, action, result, bulk_id)
    return {"bulk_id": bulk_id, "state": "done", **result}


def get_bulk(actor: Actor, bulk_id: int) -> dict:
    """Return a background bulk action's progress, or raise NotFound (also for another workspace's)."""
    stored = _stored(bulk_id)
    if not stored or int(stored["workspace_id"]) != actor.workspace_id:
        raise NotFound(lazy_gettext("bulk action not found"))
    return {
        "bulk_id": bulk_id,
        "kind": stored["kind"],
        "action": stored["action"],
        "state": stored["state"],
        "matched": int(stored["matched"]),
        "changed": int(stored["changed"]),
        "skipped": [json.loads(entry) for entry in get_redis().lrange(_keys(bulk_id)[2], 0, -1)],
    }
