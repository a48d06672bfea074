"""The job monitor (filterable, live list of publications) and publication detail."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.errors import Conflict, ValidationFailed
from webapp.core.phrases import shown
from webapp.core.search import parse_query
from webapp.core.time import localize, validate_timezone
from webapp.core.validation import parse_day
from webapp.domain.channels import channels
from webapp.domain.operations import bulk
from webapp.domain.publishing import confirmations, lifecycle
from webapp.domain.publishing.publications import (
    SORTS,
    TABLE_RELATIONS,
    changes_of,
    get_publication,
    monitor_page,
    publication_query,
)
from webapp.domain.shared import unit_of_work
from webapp.models import CONTENT_TYPES, Priority, PublicationStatus
from webapp.web.auth import ui_actor
from webapp.web.forms import EmptyForm, MarkPublishedForm, attach_errors
from webapp.web.htmx import render, wants_fragment
from webapp.web.i18n import term
from webapp.web.paging import page_number
from webapp.web.views.filters import local_time

bp = Blueprint("publications", __name__, url_prefix="/publications")

PER_PAGE = 50
# The monitor counts and pages through at most this many matches (200 pages); past it, narrow the filter.
COUNT_CAP = 10_000
STATUSES = tuple(s.value for s in PublicationStatus)


def _day(value: str | None, end: bool = False) -> datetime | None:
    """Read a YYYY-MM-DD filter as the start (or end) of that day in the user's zone."""
    try:
        day = parse_day(value)
    except ValueError:  # the monitor ignores a filter it cannot read (the field shows what was typed)
        return None
    if day is None:
        return None
    start = localize(datetime.combine(day, time()), validate_timezone(current_user.timezone))
    return start + timedelta(days=1) if end else start


def monitor_filters(args) -> dict:
    """Turn the monitor's URL arguments (and search-box qualifiers) into publication_query filters."""
    qualifiers, text = parse_query(args.get("q"))
    channel_id = args.get("channel_id", "")
    return {
        "status": qualifiers.get("status") or args.get("status") or None,
        "channel_id": int(channel_id) if channel_id.isdigit() else None,
        "channel_name": qualifiers.get("channel"),
        "platform": qualifiers.get("platform") or args.get("platform") or None,
        "content_type": qualifiers.get("content_type") or args.get("content_type") or None,
        "priority": qualifiers.get("priority") or args.get("priority") or None,
        "schedule_id": int(qualifiers["schedule_id"]) if qualifiers.get("schedule_id", "").isdigit() else None,
        "due_from": _day(args.get("from")),
        "due_to": _day(args.get("to"), end=True),
        "q": text or None,
    }


@bp.get("/")
def index():
    args = request.args
    sort = args.get("sort") if args.get("sort") in SORTS else "due"
    descending = args.get("dir", "desc") != "asc"
    page = page_number(args.get("page"))
    query = publication_query(ui_actor(), **monitor_filters(args), sort=sort, descending=descending)
    found = monitor_page(query, page, PER_PAGE, COUNT_CAP, *TABLE_RELATIONS)
    return render(
        "publications/index.html",
        block="results",
        rows=found.rows,
        total=found.total,
        capped=found.capped,
        page=page,
        pages=max(1, -(-found.total // PER_PAGE)),
        sort=sort,
        descending=descending,
        args=args,
        statuses=STATUSES,
        priorities=[p.value for p in Priority],
        content_types=CONTENT_TYPES,
        channels=() if wants_fragment() else channels.channel_choices(ui_actor()),
        bulk_form=EmptyForm(),
    )


def timeline(publication) -> list[tuple]:
    """List (instant, what happened) for a publication, oldest first: its states and every attempt."""
    entries = [(publication.created_at, "scheduled", _("due %(when)s", when=local_time(publication.due_at)))]
    if publication.enqueued_at:
        entries.append(
            (publication.enqueued_at, "queued", _("priority %(priority)s", priority=term(publication.priority)))
        )
    for attempt in publication.attempts:
        entries.append((attempt.started_at, "publishing", _("attempt %(number)s", number=attempt.number)))
        if attempt.finished_at:
            detail = _("attempt %(number)s", number=attempt.number)
            detail += f", HTTP {attempt.http_status}" if attempt.http_status else ""
            if attempt.error_class:
                detail += f": {attempt.error_class}: {shown(attempt, 'error_message')}"
            entries.append((attempt.finished_at, attempt.outcome, detail))
    if publication.status == "retrying" and publication.next_attempt_at:
        entries.append((publication.next_attempt_at, "retrying", _("next attempt (planned)")))
    if publication.hold_reason:
        entries.append((publication.updated_at, publication.status, shown(publication, "hold_reason")))
    for change, email in changes_of(publication):
        who = email or _("a removed user")
        entries.append(
            (
                change.at,
                change.status,
                _("%(what)s by %(who)s (%(source)s)", what=shown(change, "detail"), who=who, source=change.source),
            )
        )
    return sorted(entries, key=lambda e: e[0])


def _detail(publication, mark_form: MarkPublishedForm | None = None, status: int = 200):
    return render(
        "publications/show.html",
        block="detail",
        status=status,
        publication=publication,
        timeline=timeline(publication),
        actions=lifecycle.actions_for(publication.status),  # exactly what the state machine allows from here
        action_form=EmptyForm(),
        mark_form=mark_form or MarkPublishedForm(),
    )


@bp.get("/<int:publication_id>")
def show(publication_id: int):
    return _detail(get_publication(ui_actor(), publication_id))


@bp.post("/<int:publication_id>/mark-published")
def mark_published(publication_id: int):
    """A person found an unconfirmed publication's post on the platform: record it as published, at its address."""
    actor = ui_actor()
    publication = get_publication(actor, publication_id)  # another workspace's publication is a 404
    form = MarkPublishedForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        confirmations.mark_published(actor, publication_id, form.url.data)
    except ValidationFailed as exc:
        unit_of_work.rollback()
        attach_errors(form, exc)
        return _detail(publication, form, 422)
    except Conflict as exc:
        unit_of_work.rollback()
        flash(_("Not marked published: %(reason)s", reason=exc.message), "error")
    else:
        flash(_("Publication #%(id)s marked published.", id=publication_id), "ok")
    return redirect(url_for("publications.show", publication_id=publication_id), 303)


def _act(publication_id: int, action: str):
    """Apply one action to one publication through the bulk path (same state machine, same audit)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    actor = ui_actor()
    get_publication(actor, publication_id)  # another workspace's publication is a 404
    result = bulk.run_bulk(actor, action, ids=[publication_id])
    if result["skipped"]:
        flash(
            _("Not done (%(action)s): %(reason)s", action=term(action), reason=result["skipped"][0]["reason"]), "error"
        )
    else:
        flash(_("Publication #%(id)s: %(action)s done.", id=publication_id, action=term(action)), "ok")
    target = "publications.index" if action == "delete" and not result["skipped"] else "publications.show"
    return redirect(
        url_for(target, **({} if target == "publications.index" else {"publication_id": publication_id})), 303
    )


for _action in lifecycle.TRANSITIONS:
    bp.add_url_rule(
        f"/<int:publication_id>/{_action}",
        endpoint=_action,
        view_func=lambda publication_id, _action=_action: _act(publication_id, _action),
        methods=["POST"],
    )


def url_args(args, **changes) -> dict:
    """Return the current filters with some changed, for links that keep the view (sort, page)."""
    merged = {k: v for k, v in args.items() if v}
    merged.update({k: v for k, v in changes.items() if v is not None})
    return merged


bp.add_app_template_global(url_args, "url_args")
