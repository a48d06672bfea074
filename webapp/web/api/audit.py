"""The audit log: GET /audit, who did what to which record, filtered and paged; owners and editors only."""

from __future__ import annotations

from flask import request
from flask_babel import gettext

from webapp.core.time import format_utc
from webapp.domain.operations import audit_trail
from webapp.domain.publishing.publications import paginate
from webapp.models import AuditEvent
from webapp.web.api.base import actor, bp, invalid, listing, page_args
from webapp.web.api.query import instant_arg


def _filters() -> audit_trail.AuditFilters:
    args, fields = request.args, {}
    who = (args.get("actor") or "").strip()
    if who and who != audit_trail.SYSTEM and not (who.isascii() and who.isdigit()):
        fields["actor"] = f"must be a user id or {audit_trail.SYSTEM}"
    target_type, _, target_id = (args.get("target") or "").strip().partition(":")
    if target_id and not (target_id.isascii() and target_id.isdigit()):
        fields["target"] = gettext("must be a record type, or type:id (channel:12)")
    since, until = instant_arg("since"), instant_arg("until")
    if since and until and until <= since:
        fields["until"] = gettext("must be after since")
    if fields:
        raise invalid(fields)
    return audit_trail.AuditFilters(
        actor=audit_trail.SYSTEM if who == audit_trail.SYSTEM else int(who) if who else None,
        action=(args.get("action") or "").strip() or None,
        target_type=target_type or None,
        target_id=int(target_id) if target_id else None,
        since=since,
        until=until,
    )


def event_json(event: AuditEvent, emails: dict[int, str]) -> dict:
    return {
        "id": event.id,
        "action": event.action,
        "actor": None
        if event.actor_user_id is None
        else {"id": event.actor_user_id, "email": emails.get(event.actor_user_id)},
        "source": event.source,
        "ip": event.ip,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details or {},
        "created_at": format_utc(event.created_at),
    }


@bp.get("/audit")
def list_audit_events():
    audit_trail.require_reader(actor())  # a viewer is refused before any filter is read
    page, per_page = page_args()
    events, total = paginate(audit_trail.audit_query(actor(), _filters()), page, per_page)
    emails = audit_trail.actor_emails(events)
    return listing(events, total, page, per_page, lambda e: event_json(e, emails))
