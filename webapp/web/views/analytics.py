"""The analytics page and its CSV export, over a custom range of the user's days."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from webapp.core import spreadsheet
from webapp.core.errors import ValidationFailed
from webapp.domain.operations import analytics
from webapp.models import utcnow
from webapp.web import charts
from webapp.web.auth import ui_actor
from webapp.web.i18n import format_count, format_day, weekday_names

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

PRESETS = (7, 30, 90)


def _today():
    return utcnow().astimezone(ZoneInfo(current_user.timezone)).date()


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{format_count(rate * 100, 1)}%"


def _charts(figures: dict) -> dict:
    """Draw the page's SVG charts from a report."""
    weekly = figures["granularity"] == "week"

    def period(start) -> str:
        day = format_day(start, "weekday_day_month")
        return _("week of %(day)s", day=day) if weekly else day

    success = [
        charts.Mark(
            format_day(p["start"], "day_month"),
            None if p["rate"] is None else p["rate"] * 100,
            _("%(period)s: nothing finished", period=period(p["start"]))
            if p["rate"] is None
            else _(
                "%(period)s: %(rate)s (%(published)s published, %(failed)s failed)",
                period=period(p["start"]),
                rate=_percent(p["rate"]),
                published=format_count(p["published"]),
                failed=format_count(p["failed"]),
            ),
        )
        for p in figures["success"]
    ]

    def counted(items, key):
        return [charts.Mark(i[key], i["count"], f"{i[key]}: {i['count']}") for i in items]

    lateness = [
        charts.Mark(
            line["channel"], line["p95_ms"] / 1000, f"{line['channel']}: p95 {format_count(line['p95_ms'] / 1000, 1)} s"
        )
        for line in figures["lateness"]
    ]
    return {
        "success": charts.columns(
            "success",
            _("Success rate per week") if weekly else _("Success rate per day"),
            _(
                "Published as a share of published and failed publications due in each period; a dashed mark "
                "is a period where nothing finished."
            ),
            success,
            100,
            "%",
        ),
        "lateness": charts.bars("lateness", _("Lateness p95 per channel (seconds)"), _("p95 of lateness"), lateness),
        "errors": charts.bars(
            "errors",
            _("Errors by class"),
            _("Failed attempts per error class"),
            counted(figures["errors"], "error_class"),
        ),
        "platforms": charts.bars(
            "platforms",
            _("Publications by platform"),
            _("Publications due per platform"),
            counted(figures["platforms"], "name"),
        ),
        "content_types": charts.bars(
            "content-types",
            _("Publications by content type"),
            _("Publications due per content type"),
            counted(figures["content_types"], "name"),
        ),
        "heatmap": charts.heatmap(
            "heatmap",
            _("Publications by hour of the week (%(zone)s)", zone=figures["range"].tz.key),
            _("Publications due (cancelled ones aside) in each hour of each weekday; darker is busier."),
            figures["heatmap"],
            weekday_names(),
            "publications",
            counted=lambda n: ngettext("%(num)d publication", "%(num)d publications", n),
        ),
    }


def _figures(args) -> tuple[dict | None, dict]:
    """Return (report, field errors) for the requested range."""
    try:
        rng = analytics.parse_range(args.get("from"), args.get("to"), current_user.timezone, _today())
    except ValidationFailed as exc:
        return None, exc.fields
    return analytics.report(ui_actor().workspace_id, rng), {}


def _page(figures: dict | None, errors: dict):
    today = _today()
    presets = [((today - timedelta(days=n - 1)).isoformat(), today.isoformat(), n) for n in PRESETS]
    context = {"figures": figures, "errors": errors, "args": request.args, "presets": presets, "percent": _percent}
    context.update(
        charts=_charts(figures) if figures else None,
        on_time_s=analytics.ON_TIME_MS // 1000,
        min_slot=analytics.MIN_SLOT_FINISHED,
        min_finished=analytics.MIN_FINISHED,
        weekdays=weekday_names(),
    )
    return render_template("analytics/index.html", **context), 422 if errors else 200


@bp.get("/")
def index():
    return _page(*_figures(request.args))


@bp.get("/export.csv")
def export():
    figures, errors = _figures(request.args)
    if errors:
        return _page(figures, errors)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([spreadsheet.neutralise(v) for v in row] for row in analytics.csv_rows(figures))
    rng = figures["range"]
    filename = f"herald-analytics-{rng.first.isoformat()}-{rng.last.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
