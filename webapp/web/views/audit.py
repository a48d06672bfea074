"""The audit-log page: who did what to which record, filtered and paged, for owners and editors."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from webapp.core.errors import ValidationFailed
from webapp.domain.operations import audit_trail
from webapp.domain.publishing.publications import paginate
from webapp.web.auth import requires_role, ui_actor
from webapp.web.htmx import render
from webapp.web.paging import page_number

bp = Blueprint("audit", __name__, url_prefix="/audit")

PER_PAGE = 50


@bp.get("/")
@requires_role("edit", "The audit log is for owners and editors of this workspace.")
def index():
    actor = ui_actor()
    args = request.args
    try:
        filters = audit_trail.parse_filters(args, current_user.timezone)
        errors: dict[str, str] = {}
    except ValidationFailed as exc:
        # Show the page unfiltered with the complaint, rather than a guess at what was meant.
        filters, errors = audit_trail.AuditFilters(), exc.fields
    page = page_number(args.get("page"))
    events, total = paginate(audit_trail.audit_query(actor, filters), page, PER_PAGE)
    return render(
        "audit/index.html",
        block="results",
        status=422 if errors else 200,
        events=events,
        emails=audit_trail.actor_emails(events),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        args=args,
        errors=errors,
        choices=audit_trail.filter_choices(actor),
        system=audit_trail.SYSTEM,
    )
