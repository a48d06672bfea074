"""Apply one action to many publications, matched on the server within the actor's workspace.

Up to INLINE_LIMIT matches run in the request; more run as an RQ job whose progress lives in Redis
under key("bulk", id) (a hash: workspace, action, state, counts) and key("bulk", id, "skipped").
"""

from __future__ import annotations

import json
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp import events
from webapp.extensions import db
from webapp.models import Priority, Publication, PublicationStatus
from webapp.queues import get_queue, get_redis, key
from webapp.services import audit, lifecycle, schedules
from webapp.services.actor import Actor
from webapp.services.errors import Conflict, NotFound, ValidationFailed
from webapp.services.publications import publication_query
from webapp.services.validation import choice_problem, id_list

ACTIONS = tuple(lifecycle.TRANSITIONS)
INLINE_LIMIT = 1000  # the API contract: more than this answers 202 and runs in the background
CHUNK = 500  # one commit per chunk
RESULT_TTL_S = 24 * 3600
JOB_TIMEOUT_S = 3600
FILTER_KEYS = ("status", "channel_id", "schedule_id", "content_type", "q", "from", "to", "timezone")


def run_bulk(actor: Actor, action: str, ids=None, filter=None) -> dict:
    """Apply `action` to the matched publications inline, or start a job when more than 1,000 match."""
    actor.require_writer()
    if problem := choice_problem(action, ACTIONS):
        raise ValidationFailed({"action": problem}, f"Unknown bulk action: {action!r}.")
    matched = resolve(actor, ids, filter)
    if len(matched) > INLINE_LIMIT:
        return _start_job(actor, action, matched)
    result = apply(actor, action, matched)
    _finish(actor, action, result)
    return result


def resolve(actor: Actor, ids=None, filter=None) -> list[int]:
    """Return the ids, ascending, of the actor's publications named by `ids` or matching `filter`."""
    if (ids is None) == (filter is None):
        raise ValidationFailed({"ids": "give either ids or a filter"})
    if ids is None:
        query = _filtered(actor, filter).with_only_columns(Publication.id).order_by(None)
        return list(db.session.scalars(query.order_by(Publication.id)))
    wanted = id_list(ids)
    if wanted is None:
        raise ValidationFailed({"ids": "must be a non-empty list of publication ids"})
    found: list[int] = []
    for start in range(0, len(wanted), CHUNK):
        # Another workspace's ids are simply not matched: nothing says they exist.
        found += db.session.scalars(
            select(Publication.id).where(
                Publication.id.in_(wanted[start : start + CHUNK]), Publication.workspace_id == actor.workspace_id
            )
        )
    return sorted(found)


def _filtered(actor: Actor, filter):
    if not isinstance(filter, dict) or not filter:
        raise ValidationFailed({"filter": "must be an object with at least one of: " + ", ".join(FILTER_KEYS)})
    errors: dict[str, str] = {}
    if unknown := sorted(set(filter) - set(FILTER_KEYS)):
        errors["filter"] = "unknown key(s): " + ", ".join(unknown)
    status = filter.get("status")
    statuses = status if isinstance(status, list) else str(status).split(",") if status else []
    if any(s not in {p.value for p in PublicationStatus} for s in statuses):
        errors["filter.status"] = "must be one or more of " + ", ".join(PublicationStatus)
    for name in ("channel_id", "schedule_id"):
        if filter.get(name) is not None and id_list([filter[name]]) is None:
            errors[f"filter.{name}"] = "must be an id"
    for name in ("content_type", "q"):
        if filter.get(name) is not None and not isinstance(filter[name], str):
            errors[f"filter.{name}"] = "must be text"
    bounds = {}
    for name in ("from", "to"):
        bounds[name] = schedules.instant_field(filter.get(name), filter.get("timezone"), f"filter.{name}", errors)
    if errors:
        raise ValidationFailed(errors)
    return publication_query(
        actor,
        status=",".join(statuses) or None,
        channel_id=filter.get("channel_id"),
        schedule_id=filter.get("schedule_id"),
        content_type=filter.get("content_type"),
        due_from=bounds["from"],
        due_to=bounds["to"],
        q=filter.get("q"),
    )


def apply(actor: Actor, action: str, ids: list[int], progress: Callable[[dict, list], None] | None = None) -> dict:
    """Run the action's transition on each id, one commit per chunk; refusals become `skipped` entries."""
    transition = lifecycle.TRANSITIONS[action]
    result: dict = {"matched": len(ids), "changed": 0, "skipped": []}
    for start in range(0, len(ids), CHUNK):
        chunk, skipped, work = ids[start : start + CHUNK], [], lifecycle.Work()
        rows = db.session.scalars(
            select(Publication)
            .where(Publication.id.in_(chunk), Publication.workspace_id == actor.workspace_id)
            .options(selectinload(Publication.schedule))
            .order_by(Publication.id)
            .with_for_update()  # a worker's claim waits for this chunk's commit
        )
        found = {p.id: p for p in rows}
        for publication_id in chunk:
            try:
                if publication_id not in found:
                    raise Conflict("no longer exists")
                transition(found[publication_id], work)
            except Conflict as exc:
                skipped.append({"id": publication_id, "reason": exc.message})
            else:
                result["changed"] += 1
        work.commit()
        result["skipped"] += skipped
        if progress:
            progress(result, skipped)
    return result


def _finish(actor: Actor, action: str, result: dict, bulk_id: int | None = None) -> None:
    counts = {"matched": result["matched"], "changed": result["changed"], "skipped": len(result["skipped"])}
    audit.record(actor, f"publications.bulk_{action}", "publication", None, bulk_id=bulk_id, **counts)
    db.session.commit()
    _announce(actor.workspace_id, bulk_id, action, "done", counts)


def _announce(workspace_id: int, bulk_id: int | None, action: str, state: str, counts: dict) -> None:
    ident = {} if bulk_id is None else {"id": bulk_id}
    events.publish(workspace_id, "bulk", **ident, action=action, state=state, **counts)


def _keys(bulk_id: int) -> tuple[str, str, str]:
    return key("bulk", bulk_id), key("bulk", bulk_id, "ids"), key("bulk", bulk_id, "skipped")


def _start_job(actor: Actor, action: str, ids: list[int]) -> dict:
    redis = get_redis()
    bulk_id = int(redis.incr(key("bulk", "seq")))
    status_key, ids_key, _ = _keys(bulk_id)
    who = {"user_id": actor.user_id or "", "role": actor.role, "source": actor.source, "ip": actor.ip or ""}
    state = {"workspace_id": actor.workspace_id, "action": action, "state": "running", "matched": len(ids)}
    pipe = redis.pipeline()
    pipe.hset(status_key, mapping={**who, **state, "changed": 0, "skipped": 0})
    for start in range(0, len(ids), CHUNK):
        pipe.rpush(ids_key, *ids[start : start + CHUNK])
    pipe.expire(status_key, RESULT_TTL_S).expire(ids_key, RESULT_TTL_S).execute()
    get_queue(Priority.NORMAL.value).enqueue(
        run_bulk_job, bulk_id, job_id=f"herald-bulk-{bulk_id}", job_timeout=JOB_TIMEOUT_S, result_ttl=RESULT_TTL_S
    )
    _announce(actor.workspace_id, bulk_id, action, "running", {"matched": len(ids), "changed": 0, "skipped": 0})
    return {"bulk_id": bulk_id, "state": "running", "matched": len(ids), "changed": 0, "skipped": []}


def run_bulk_job(bulk_id: int) -> dict:
    """Run the bulk action stored under `bulk_id`, recording progress in Redis after every chunk."""
    from webapp.jobs import app_context  # jobs imports services: import late

    with app_context():
        try:
            return _run_stored(bulk_id)
        finally:
            db.session.remove()


def _run_stored(bulk_id: int) -> dict:
    redis = get_redis()
    status_key, ids_key, skipped_key = _keys(bulk_id)
    stored = {k.decode(): v.decode() for k, v in redis.hgetall(status_key).items()}
    if stored.get("state") != "running":  # unknown, expired, or already done by a duplicate job
        return stored
    actor = Actor(
        int(stored["user_id"]) if stored["user_id"] else None,
        int(stored["workspace_id"]),
        stored["role"],
        stored["source"],
        stored["ip"] or None,
    )
    action, ids = stored["action"], [int(i) for i in redis.lrange(ids_key, 0, -1)]

    def progress(result: dict, skipped: list) -> None:
        pipe = redis.pipeline()
        if skipped:
            pipe.rpush(skipped_key, *(json.dumps(entry) for entry in skipped)).expire(skipped_key, RESULT_TTL_S)
        counts = {"matched": result["matched"], "changed": result["changed"], "skipped": len(result["skipped"])}
        pipe.hset(status_key, mapping={"changed": counts["changed"], "skipped": counts["skipped"]}).execute()
        _announce(actor.workspace_id, bulk_id, action, "running", counts)

    result = apply(actor, action, ids, progress)
    redis.pipeline().hset(status_key, "state", "done").delete(ids_key).execute()
    _finish(actor, action, result, bulk_id)
    return {"bulk_id": bulk_id, "state": "done", **result}


def get_bulk(actor: Actor, bulk_id: int) -> dict:
    """Return a background bulk action's progress, or raise NotFound (also for another workspace's)."""
    redis = get_redis()
    status_key, _, skipped_key = _keys(bulk_id)
    stored = {k.decode(): v.decode() for k, v in redis.hgetall(status_key).items()}
    if not stored or int(stored["workspace_id"]) != actor.workspace_id:
        raise NotFound("bulk action not found")
    return {
        "bulk_id": bulk_id,
        "action": stored["action"],
        "state": stored["state"],
        "matched": int(stored["matched"]),
        "changed": int(stored["changed"]),
        "skipped": [json.loads(entry) for entry in redis.lrange(skipped_key, 0, -1)],
    }
