"""Schedule endpoints."""

from __future__ import annotations

from flask import jsonify, request

from webapp.domain.publishing import schedules
from webapp.domain.publishing.publications import paginate
from webapp.web.api.base import actor, bp, int_arg, json_body, listing, page_args
from webapp.web.api.serializers import schedule_json


def _full(schedule):
    return schedule_json(schedule, schedules.publications_of(schedule))


@bp.post("/schedules")
def create_schedule():
    schedule = schedules.create_schedule(actor(), json_body())
    return jsonify(_full(schedule)), 201


@bp.get("/schedules")
def list_schedules():
    page, per_page = page_args()
    query = schedules.schedule_query(actor(), status=request.args.get("status"), channel_id=int_arg("channel_id"))
    items, total = paginate(query, page, per_page)
    return listing(items, total, page, per_page, schedule_json)


@bp.get("/schedules/<int:schedule_id>")
def get_schedule(schedule_id: int):
    return jsonify(_full(schedules.get_schedule(actor(), schedule_id)))
