"""The calendar: month, week, day, timeline and list views of publications, and moving them."""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from webapp.core.errors import Conflict, ValidationFailed
from webapp.core.validation import is_id
from webapp.domain.channels import channels
from webapp.domain.publishing import calendar, occurrence_list
from webapp.domain.publishing.publications import get_publication
from webapp.domain.shared import unit_of_work
from webapp.models import PublicationStatus, utcnow
from webapp.web.auth import can, require_role, ui_actor
from webapp.web.forms import EmptyForm
from webapp.web.htmx import render, wants_fragment
from webapp.web.i18n import format_day, term
from webapp.web.views.filters import local_time
from webapp.web.views.schedules import _slot_choices as free_slot_choices

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

TEMPLATE = "calendar/index.html"
# Views drawn as day cells, and how many publications a cell shows before "+N more" (a week has more room).
DAY_CELLS = {"month": calendar.PER_DAY, "week": 12}


def _today() -> date:
    return utcnow().astimezone(ZoneInfo(current_user.timezone)).date()


def _state(args) -> dict:
    """Read the view, its anchor day and the channel filter from URL arguments (bad values fall back)."""
    problem, anchor = None, calendar.parse_day(args.get("date")) or _today()
    if args.get("date") and calendar.parse_day(args["date"]) is None:
        problem = f"'{args['date']}' is not a date (YYYY-MM-DD); showing today."
    channel_id = args.get("channel_id", "")
    channel_id = int(channel_id) if channel_id.isdigit() and is_id(int(channel_id)) else None
    return {
        "view": args.get("view") if args.get("view") in calendar.VIEWS else "month",
        "span": args.get("span") if args.get("span") in calendar.SPANS else "week",
        "anchor": anchor,
        "channel_id": channel_id,
        "problem": problem,
    }


def _context(args, feedback: dict | None = None) -> dict:
    state = _state(args)
    actor = ui_actor()
    period = calendar.period_for(state["view"], state["anchor"], current_user.timezone, state["span"])
    if state["view"] in DAY_CELLS:  # the first few of each day, and "+N more"
        days, counts = calendar.month_in(actor, period, state["channel_id"], per_day=DAY_CELLS[state["view"]])
        rows, truncated = [], False
    else:
        rows, truncated = calendar.publications_in(actor, period, state["channel_id"])
        days, counts = calendar.by_day(rows, period.tz), {}
    changed = occurrence_list.exceptions_between(actor, period.start, period.end, state["channel_id"])
    return {
        **state,
        "period": period,
        "rows": rows,
        "truncated": truncated,
        "days": days,
        "counts": counts,
        "hours": calendar.by_hour(rows, period.tz),
        # Occurrences people skipped or moved, at the time the rule gives them.
        "changed": changed,
        "changed_days": _by_local_day(changed, period.tz),
        "changed_hours": _by_local_day(changed, period.tz, hourly=True),
        "today": _today(),
        "channels": channels.list_channels(actor),
        "can_move": can("edit", actor),
        "movable": calendar.MOVABLE,
        # Each status's name, translated once for the page, not once per publication (2,000 lookups took 1/3 of it).
        "status_names": {status.value: term(status.value) for status in PublicationStatus},
        # The list's day links and names, made once a day rather than once a row.
        "day_links": {
            day: (_calendar_url(state, view="day", date=day.isoformat()), format_day(day, "weekday_day_month"))
            for day in period.days
        }
        if state["view"] == "list"
        else {},
        "move_form": EmptyForm(),
        "feedback": feedback,
        "return_to": _calendar_url(state),
        "cal_url": lambda **changes: _calendar_url(state, **changes),
    }


def _by_local_day(changed, tz, hourly: bool = False) -> dict:
    """Group skipped or moved occurrences by the local day (or (day, hour)) of the rule's time for them."""
    days: dict = {}
    for exception, schedule in changed:
        local = exception.original_at.astimezone(tz)
        days.setdefault((local.date(), local.hour) if hourly else local.date(), []).append((exception, schedule))
    return days


def _calendar_url(state: dict, **changes) -> str:
    values = {"view": state["view"], "date": state["anchor"].isoformat(), "span": state["span"]}
    values.update(channel_id=state["channel_id"], **changes)
    if values["view"] != "timeline":
        values["span"] = None
    return url_for("calendar.index", **{k: v for k, v in values.items() if v is not None})


@bp.get("/")
def index():
    return render(TEMPLATE, block="calendar", **_context(request.args))


def _return_args(form) -> MultiDict:
    """The calendar view the move came from (only a calendar URL: never an open redirect)."""
    target = urlsplit(form.get("return_to") or "")
    if target.scheme or target.netloc or not target.path.startswith(url_for("calendar.index")):
        return MultiDict()
    return MultiDict(parse_qsl(target.query))


def _refusal(exc: ValidationFailed | Conflict, publication_id: int, form) -> dict:
    """Describe a refused move for the feedback panel: the message, field problems, clashes and free slots."""
    names = {c.id: c.name for c in channels.list_channels(ui_actor())}
    extra = getattr(exc, "extra", {})
    clashes = [
        {**c, "channel": names.get(c["channel_id"], _("channel %(id)s", id=c["channel_id"]))}
        for c in extra.get("clashes", [])
    ]
    return {
        "ok": False,
        "message": _("Publication #%(id)s was not moved: %(reason)s", id=publication_id, reason=exc.message),
        "fields": exc.fields,
        "clashes": clashes,
        "slots": free_slot_choices(exc) if isinstance(exc, ValidationFailed) else [],
        "publication_id": publication_id,
        "retry": {name: form.get(name) or "" for name in ("date", "time", "at")},
    }


@bp.post("/publications/<int:publication_id>/move")
def move(publication_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    actor = ui_actor()
    publication = get_publication(actor, publication_id)  # another workspace's publication is a 404
    require_role("edit", actor)
    form = request.form
    try:
        when = calendar.target_instant(
            publication, current_user.timezone, form.get("date"), form.get("time"), form.get("at")
        )
        moved = calendar.move_publication(
            actor, publication_id, when, allow_conflicts=bool(form.get("allow_conflicts"))
        )
    except (ValidationFailed, Conflict) as exc:
        unit_of_work.rollback()
        feedback = _refusal(exc, publication_id, form)
        status = 409 if isinstance(exc, Conflict) else 422
        if wants_fragment():
            return _fragment(feedback, form, status)
        return render(TEMPLATE, status=status, **_context(_return_args(form), feedback=feedback))
    others = len(moved) - 1
    when = local_time(moved[0].due_at, "weekday_date_time")
    message = (
        ngettext(
            "Moved publication #%(id)s to %(when)s, with %(num)d more on the schedule's other channels.",
            "Moved publication #%(id)s to %(when)s, with %(num)d more on the schedule's other channels.",
            others,
            id=publication_id,
            when=when,
        )
        if others
        else _("Moved publication #%(id)s to %(when)s.", id=publication_id, when=when)
    )
    if wants_fragment():
        response = _fragment({"ok": True, "message": message}, form, 200)
        response.headers["HX-Trigger"] = "calendar-changed"  # redraw now, without waiting for the SSE signal
        return response
    flash(message, "ok")
    args = _return_args(form)
    return redirect(_calendar_url(_state(args)) if args else url_for("calendar.index"), 303)


def _fragment(feedback: dict, form, status: int):
    return render(TEMPLATE, block="feedback", status=status, feedback=feedback, return_to=form.get("return_to") or "")
