"""Schedule lifecycle, preview, bulk and publish-now endpoints."""

from __future__ import annotations

from flask import jsonify, request, url_for
from flask_babel import gettext as _

from webapp.core import time
from webapp.core.errors import ValidationFailed
from webapp.domain.operations import bulk
from webapp.domain.publishing import lifecycle, rescheduling, schedules
from webapp.models import utcnow
from webapp.web.api.base import actor, bp, json_body
from webapp.web.api.serializers import publication_json, schedule_json
from webapp.web.i18n import locale_code


def _full(schedule):
    return jsonify(schedule_json(schedule, schedules.publications_of(schedule)))


def _optional_body() -> dict:
    """Return the JSON object sent, {} for an empty body, or answer 400."""
    return json_body() if request.get_data() else {}


@bp.patch("/schedules/<int:schedule_id>")
def update_schedule(schedule_id: int):
    return _full(rescheduling.reschedule(actor(), schedule_id, json_body()))


@bp.delete("/schedules/<int:schedule_id>")
def delete_schedule(schedule_id: int):
    lifecycle.delete_schedule(actor(), schedule_id)
    return "", 204


@bp.post("/schedules/<int:schedule_id>/pause")
def pause_schedule(schedule_id: int):
    return _full(lifecycle.pause_schedule(actor(), schedule_id))


@bp.post("/schedules/<int:schedule_id>/resume")
def resume_schedule(schedule_id: int):
    return _full(lifecycle.resume_schedule(actor(), schedule_id))


@bp.post("/schedules/<int:schedule_id>/clone")
def clone_schedule(schedule_id: int):
    return _full(rescheduling.clone_schedule(actor(), schedule_id, _optional_body())), 201


@bp.post("/schedules/preview")
def preview_schedule():
    data, errors = json_body(), {}
    tz_name, cron = data.get("timezone") or None, data.get("cron") or None
    at = {
        name: schedules.instant_field(data.get(name), tz_name, name, errors)
        for name in ("run_at", "starts_at", "ends_at")
    }
    max_runs = schedules.max_runs_field(data.get("max_runs"), errors)
    checks = [(time.validate_cron, cron), (time.validate_timezone, tz_name)] if cron else []
    if at["run_at"] is not None:
        checks.append((time.validate_timezone, tz_name or "UTC"))
        if at["run_at"] <= utcnow():
            errors["run_at"] = "must be in the future"
    elif cron is None and not errors:
        errors["run_at"] = "give either run_at (one-time) or cron and timezone (recurring)"
    for check, value in checks:
        try:
            check(value)
        except time.TimeInputError as exc:
            errors.setdefault(exc.field, exc.message)
    if errors:
        raise ValidationFailed(errors)  # nothing is saved either way
    if cron:
        window = {"starts_at": at["starts_at"], "ends_at": at["ends_at"]}
        return jsonify(time.preview(cron, tz_name, max_runs=max_runs, locale=locale_code(), **window))
    tz, run = time.validate_timezone(tz_name or "UTC"), time.ceil_to_second(at["run_at"])
    local = run.astimezone(tz)
    return jsonify(
        {
            "description": _(
                "Once, at %(time)s on %(date)s", time=local.strftime("%H:%M"), date=local.strftime("%Y-%m-%d")
            ),
            "timezone": tz.key,
            "occurrences": [{"utc": time.format_utc(run), "local": local.isoformat(timespec="seconds")}],
        }
    )


def _run_bulk(kind: str, status_endpoint: str):
    """Answer 200 with the counts, or 202 with where to follow a background run (over 1,000 matched)."""
    data = json_body()
    result = bulk.run_bulk(actor(), data.get("action"), ids=data.get("ids"), filter=data.get("filter"), kind=kind)
    if "bulk_id" not in result:
        return jsonify(result)
    status_url = url_for(status_endpoint, bulk_id=result["bulk_id"])
    return jsonify({**result, "status_url": status_url}), 202, {"Location": status_url}


@bp.post("/publications/bulk")
def bulk_publications():
    return _run_bulk("publications", "api.get_bulk")


@bp.get("/publications/bulk/<int:bulk_id>")
def get_bulk(bulk_id: int):
    return jsonify(bulk.get_bulk(actor(), bulk_id))


@bp.post("/schedules/bulk")
def bulk_schedules():
    return _run_bulk("schedules", "api.get_schedules_bulk")


@bp.get("/schedules/bulk/<int:bulk_id>")
def get_schedules_bulk(bulk_id: int):
    return jsonify(bulk.get_bulk(actor(), bulk_id))


@bp.post("/contents/bulk")
def bulk_contents():
    return _run_bulk("contents", "api.get_contents_bulk")


@bp.get("/contents/bulk/<int:bulk_id>")
def get_contents_bulk(bulk_id: int):
    return jsonify(bulk.get_bulk(actor(), bulk_id))


@bp.post("/publish-now")
def publish_now():
    data = json_body()
    made = rescheduling.publish_now(
        actor(),
        data.get("content_id"),
        data.get("channel_ids"),
        data.get("priority"),
        allow_conflicts=data.get("allow_conflicts") is True,
    )
    return jsonify({"items": [publication_json(p, with_attempts=False) for p in made]}), 201
