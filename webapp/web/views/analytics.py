"""The analytics page and its CSV export, over a custom range of the user's days."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from webapp.core import spreadsheet
from webapp.core.errors import ValidationFailed
from webapp.domain.operations import analytics
from webapp.models import utcnow
from webapp.web import charts
from webapp.web.auth import ui_actor

bp = Blueprint("analytics", __name__, url_prefix="/analytics")

PRESETS = (7, 30, 90)


def _today():
    return utcnow().astimezone(ZoneInfo(current_user.timezone)).date()


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _charts(figures: dict) -> dict:
    """Draw the page's SVG charts from a report."""
    weekly = figures["granularity"] == "week"
    success = [
        charts.Mark(
            p["start"].strftime("%d %b"),
            None if p["rate"] is None else p["rate"] * 100,
            f"{'week of ' if weekly else ''}{p['start']:%a %d %b}: "
            + (
                "nothing finished"
                if p["rate"] is None
                else f"{_percent(p['rate'])} ({p['published']} published, {p['failed']} failed)"
            ),
        )
        for p in figures["success"]
    ]

    def counted(items, key):
        return [charts.Mark(i[key], i["count"], f"{i[key]}: {i['count']}") for i in items]

    lateness = [
        charts.Mark(line["channel"], line["p95_ms"] / 1000, f"{line['channel']}: p95 {line['p95_ms'] / 1000:.1f} s")
        for line in figures["lateness"]
    ]
    return {
        "success": charts.columns(
            "success",
            f"Success rate per {figures['granularity']}",
            "Published as a share of published and failed publications due in each period; a dashed mark "
            "is a period where nothing finished.",
            success,
            100,
            "%",
        ),
        "lateness": charts.bars("lateness", "Lateness p95 per channel (seconds)", "p95 of lateness", lateness),
        "errors": charts.bars(
            "errors", "Errors by class", "Failed attempts per error class", counted(figures["errors"], "error_class")
        ),
        "platforms": charts.bars(
            "platforms",
            "Publications by platform",
            "Publications due per platform",
            counted(figures["platforms"], "name"),
        ),
        "content_types": charts.bars(
            "content-types",
            "Publications by content type",
            "Publications due per content type",
            counted(figures["content_types"], "name"),
        ),
        "heatmap": charts.heatmap(
            "heatmap",
            f"Publications by hour of the week ({figures['range'].tz.key})",
            "Publications due (cancelled ones aside) in each hour of each weekday; darker is busier.",
            figures["heatmap"],
            analytics.WEEKDAYS,
            "publications",
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
        weekdays=analytics.WEEKDAYS,
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
