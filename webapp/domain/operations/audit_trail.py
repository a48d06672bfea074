"""Read the workspace's audit trail: filters by actor, action, target type and date range, newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import select

from webapp.core.errors import Forbidden, ValidationFailed, lazy_gettext
from webapp.core.time import localize, validate_timezone
from webapp.core.validation import parse_day
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, Role, User

# The trail holds members' IP addresses and every sign-in and key change: for the people who run the
# workspace (owners and editors), not for read-only viewers.
READERS = frozenset({Role.OWNER.value, Role.EDITOR.value})
SYSTEM = "system"  # the actor filter's value for events with no user (jobs, the scheduler, the CLI)


@dataclass(frozen=True)
class AuditFilters:
    actor: int | str | None = None  # a user id, SYSTEM, or None for anyone
    action: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


def require_reader(actor: Actor) -> None:
    """Refuse viewers: the audit log is for owners and editors."""
    if actor.role not in READERS:
        raise Forbidden(lazy_gettext("The audit log is for owners and editors of this workspace."))


def parse_filters(args, tz_name: str) -> AuditFilters:
    """Turn URL arguments into filters; dates are whole days in the member's zone. Raise ValidationFailed on garbage."""
    errors: dict[str, str] = {}
    raw_actor = (args.get("actor") or "").strip()
    actor: int | str | None = None
    if raw_actor == SYSTEM:
        actor = SYSTEM
    elif raw_actor.isdigit():
        actor = int(raw_actor)
    elif raw_actor:
        errors["actor"] = lazy_gettext("must be a member or system")
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = parse_day(args.get(name))
        except ValueError as exc:
            errors[name] = str(exc)
    if not errors and days["from"] and days["to"] and days["from"] > days["to"]:
        errors["to"] = lazy_gettext("must not be before from")
    if errors:
        raise ValidationFailed(errors)
    zone = validate_timezone(tz_name)
    return AuditFilters(
        actor=actor,
        action=(args.get("action") or "").strip() or None,
        target_type=(args.get("target_type") or "").strip() or None,
        since=localize(datetime.combine(days["from"], time()), zone) if days["from"] else None,
        until=localize(datetime.combine(days["to"] + timedelta(days=1), time()), zone) if days["to"] else None,
    )


def audit_query(actor: Actor, filters: AuditFilters):
    """Build the select of the workspace's audit events matching the filters, newest first."""
    require_reader(actor)
    query = select(AuditEvent).where(AuditEvent.workspace_id == actor.workspace_id)
    if filters.actor == SYSTEM:
        query = query.where(AuditEvent.actor_user_id.is_(None))
    elif filters.actor is not None:
        query = query.where(AuditEvent.actor_user_id == filters.actor)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.target_type:
        query = query.where(AuditEvent.target_type == filters.target_type)
    if filters.target_id is not None:
        query = query.where(AuditEvent.target_id == filters.target_id)
    if filters.since:
        query = query.where(AuditEvent.created_at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.created_at < filters.until)
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def filter_choices(actor: Actor) -> dict:
    """Return the values the filters offer: the workspace's members, and the actions and target types it has."""
    require_reader(actor)
    members = db.session.execute(
        select(User.id, User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.workspace_id == actor.workspace_id)
        .order_by(User.email)
    ).all()
    scoped = AuditEvent.workspace_id == actor.workspace_id

    def distinct(column) -> list[str]:
        return list(db.session.scalars(select(column).where(scoped, column.is_not(None)).distinct().order_by(column)))

    return {
        "members": members,
        "actions": distinct(AuditEvent.action),
        "target_types": distinct(AuditEvent.target_type),
    }


def actor_emails(events: list[AuditEvent]) -> dict[int, str]:
    """Map the user ids on these events to emails (a user who left keeps their id, shown as such)."""
    ids = {e.actor_user_id for e in events if e.actor_user_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
