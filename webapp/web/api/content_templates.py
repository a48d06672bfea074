"""Content template endpoints: save a content item as a template, list, rename, delete, start new items."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext

from webapp.domain.content import content_templates
from webapp.domain.publishing import from_template, schedules
from webapp.domain.publishing.publications import paginate
from webapp.web.api.base import actor, bp, invalid, json_body, listing, page_args
from webapp.web.api.serializers import content_json, schedule_json, template_json


@bp.post("/templates")
def create_template():
    body = json_body()
    template = content_templates.save_as_template(actor(), body.get("content_id"), body)
    return jsonify(template_json(template)), 201


@bp.get("/templates")
def list_templates():
    page, per_page = page_args()
    items, total = paginate(content_templates.template_query(actor()), page, per_page)
    return listing(items, total, page, per_page, template_json)


@bp.get("/templates/<int:template_id>")
def get_template(template_id: int):
    return jsonify(template_json(content_templates.get_template(actor(), template_id)))


@bp.patch("/templates/<int:template_id>")
def update_template(template_id: int):
    return jsonify(template_json(content_templates.update_template(actor(), template_id, json_body())))


@bp.delete("/templates/<int:template_id>")
def delete_template(template_id: int):
    content_templates.delete_template(actor(), template_id)
    return "", 204


@bp.post("/templates/<int:template_id>/start")
def start_template(template_id: int):
    body = json_body()
    title, schedule = body.get("title"), body.get("schedule", False)
    if title is not None and not isinstance(title, str):
        raise invalid({"title": gettext("must be text")})
    if not isinstance(schedule, bool):
        raise invalid({"schedule": gettext("must be true or false")})
    content, created = from_template.start_from_template(actor(), template_id, title=title, schedule=schedule)
    scheduled = schedule_json(created, schedules.publications_of(created)) if created else None
    return jsonify({"content": content_json(content), "schedule": scheduled}), 201
