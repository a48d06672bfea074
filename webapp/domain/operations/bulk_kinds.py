"""What a bulk action can act on: per kind of record, its actions, its filter and how one chunk is applied.

An applier changes one chunk of ids (ascending, already matched in the actor's workspace) and returns
(changed, skipped); each record its state machine refuses becomes a skipped entry with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from webapp.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, lazy_gettext
from webapp.core.phrases import Phrase
from webapp.core.validation import id_list
from webapp.domain.content import approvals
from webapp.domain.content.contents import content_query
from webapp.domain.publishing import approval_holds, lifecycle, schedules
from webapp.domain.publishing.publications import publication_query
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import (
    CONTENT_TYPES,
    Content,
    EditorialStatus,
    Publication,
    PublicationStatus,
    Schedule,
    ScheduleStatus,
)

GONE = "no longer exists"


@dataclass(frozen=True)
class Kind:
    name: str  # the URL segment and the audit prefix: "publications"
    noun: str  # one record, as audit target type: "publication"
    model: type
    actions: tuple[str, ...]
    filter_keys: tuple[str, ...]
    query: Callable[[Actor, dict], Select]  # a filter -> a query of the actor's records (ValidationFailed if bad)
    apply_chunk: Callable[[Actor, str, list[int]], tuple[int, list[dict]]]


# Filters: the same shapes as the kind's list endpoint, checked strictly (an unknown key is an error).


def _checked(filter, keys: tuple[str, ...]) -> dict[str, str]:
    """Return the problems with the filter's shape; refuse a filter that is not a non-empty object at once."""
    if not isinstance(filter, dict) or not filter:
        raise ValidationFailed(
            {"filter": lazy_gettext("must be an object with at least one of: %(keys)s", keys=", ".join(keys))}
        )
    unknown = sorted(set(filter) - set(keys))
    return {"filter": "unknown key(s): " + ", ".join(unknown)} if unknown else {}


def _statuses(filter: dict, allowed, errors: dict) -> list[str]:
    """Read `status` as a list or a comma-separated string of allowed values."""
    status = filter.get("status")
    statuses = status if isinstance(status, list) else str(status).split(",") if status else []
    if any(s not in {str(a) for a in allowed} for s in statuses):
        errors["filter.status"] = lazy_gettext("must be one or more of %(allowed)s", allowed=", ".join(allowed))
    return statuses


def _check_ids(filter: dict, names, errors: dict) -> None:
    for name in names:
        if filter.get(name) is not None and id_list([filter[name]]) is None:
            errors[f"filter.{name}"] = lazy_gettext("must be an id")


def _check_text(filter: dict, names, errors: dict) -> None:
    for name in names:
        if filter.get(name) is not None and not isinstance(filter[name], str):
            errors[f"filter.{name}"] = lazy_gettext("must be text")


PUBLICATION_FILTER = ("status", "channel_id", "schedule_id", "content_type", "q", "from", "to", "timezone")


def _publications(actor: Actor, filter) -> Select:
    errors = _checked(filter, PUBLICATION_FILTER)
    statuses = _statuses(filter, PublicationStatus, errors)
    _check_ids(filter, ("channel_id", "schedule_id"), errors)
    _check_text(filter, ("content_type", "q"), errors)
    bounds = {
        name: schedules.instant_field(filter.get(name), filter.get("timezone"), f"filter.{name}", errors)
        for name in ("from", "to")
    }
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


SCHEDULE_FILTER = ("status", "channel_id")


def _schedules(actor: Actor, filter) -> Select:
    errors = _checked(filter, SCHEDULE_FILTER)
    statuses = _statuses(filter, ScheduleStatus, errors)
    _check_ids(filter, ("channel_id",), errors)
    if errors:
        raise ValidationFailed(errors)
    query = schedules.schedule_query(actor, channel_id=filter.get("channel_id"))
    return query.where(Schedule.status.in_(statuses)) if statuses else query


CONTENT_FILTER = ("status", "content_type", "q")


def _contents(actor: Actor, filter) -> Select:
    errors = _checked(filter, CONTENT_FILTER)
    statuses = _statuses(filter, EditorialStatus, errors)
    _check_text(filter, ("q",), errors)
    if filter.get("content_type") is not None and filter["content_type"] not in CONTENT_TYPES:
        errors["filter.content_type"] = lazy_gettext(
            "must be one of %(content_types)s", content_types=", ".join(CONTENT_TYPES)
        )
    if errors:
        raise ValidationFailed(errors)
    query = content_query(actor, q=filter.get("q"))
    if statuses:
        query = query.where(Content.status.in_(statuses))
    if filter.get("content_type"):
        query = query.where(Content.content_type == filter["content_type"])
    return query


# Appliers.


def _apply_publications(actor: Actor, action: str, chunk: list[int]) -> tuple[int, list[dict]]:
    """Run the publication transition on each id inside one Work: one commit for the chunk."""
    work = lifecycle.Work(actor=actor, action=lifecycle.DONE[action])
    transition, changed, skipped = lifecycle.TRANSITIONS[action], 0, []
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
                raise Conflict(GONE)
            transition(found[publication_id], work)
        except Conflict as exc:
            skipped.append({"id": publication_id, "reason": str(exc.message)})
        else:
            changed += 1
    work.commit()
    return changed, skipped


SCHEDULE_CHANGES = {
    "pause": lifecycle.pause_schedule,
    "resume": lifecycle.resume_schedule,
    "cancel": lifecycle.cancel_schedule,
    "delete": lifecycle.delete_schedule,
}


def _apply_schedules(actor: Actor, action: str, chunk: list[int]) -> tuple[int, list[dict]]:
    """Run the schedule's own lifecycle change on each id (each commits, audits and announces itself)."""
    change, changed, skipped = SCHEDULE_CHANGES[action], 0, []
    for schedule_id in chunk:
        try:
            change(actor, schedule_id)
        except (Conflict, NotFound) as exc:
            db.session.rollback()  # a refused delete already holds its publications' row locks
            skipped.append({"id": schedule_id, "reason": GONE if isinstance(exc, NotFound) else str(exc.message)})
        else:
            changed += 1
    return changed, skipped


def _approve(actor: Actor, content: Content, work: lifecycle.Work) -> None:
    approval_holds.approve(actor, content, work=work)  # also releases publications held for want of approval


def _archive(actor: Actor, content: Content, work: lifecycle.Work) -> None:
    approvals.archive(actor, content)


CONTENT_CHANGES = {"approve": _approve, "archive": _archive}
# The timeline entry of a publication a content decision releases (approving releases held ones).
RELEASED = {"approve": Phrase("released: content approved"), "archive": Phrase("released: content archived")}


def _apply_contents(actor: Actor, action: str, chunk: list[int]) -> tuple[int, list[dict]]:
    """Take the editorial decision on each content item; one commit for the chunk."""
    work = lifecycle.Work(actor=actor, action=RELEASED[action])
    change, changed, skipped = CONTENT_CHANGES[action], 0, []
    found = {
        c.id: c
        for c in db.session.scalars(
            select(Content).where(Content.id.in_(chunk), Content.workspace_id == actor.workspace_id)
        )
    }
    for content_id in chunk:
        try:
            if content_id not in found:
                raise Conflict(GONE)
            # approvals' refusals write nothing, so the items decided before stay in the chunk's transaction.
            change(actor, found[content_id], work)
        except (Conflict, Forbidden) as exc:  # Forbidden: the author may not approve their own item
            skipped.append({"id": content_id, "reason": str(exc.message)})
        else:
            changed += 1
    work.commit()  # commits the session, then hands released publications to rq-scheduler
    return changed, skipped


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "publications",
            "publication",
            Publication,
            tuple(lifecycle.TRANSITIONS),
            PUBLICATION_FILTER,
            _publications,
            _apply_publications,
        ),
        Kind("schedules", "schedule", Schedule, tuple(SCHEDULE_CHANGES), SCHEDULE_FILTER, _schedules, _apply_schedules),
        Kind("contents", "content", Content, tuple(CONTENT_CHANGES), CONTENT_FILTER, _contents, _apply_contents),
    )
}
