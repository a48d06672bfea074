"""Content endpoints."""

from __future__ import annotations

from flask import jsonify, request

from webapp.api import actor, bp, json_body, listing, page_args
from webapp.api.serializers import content_json
from webapp.services import contents
from webapp.services.publications import paginate


@bp.post("/contents")
def create_content():
    return jsonify(content_json(contents.create_content(actor(), **json_body()))), 201


@bp.get("/contents")
def list_contents():
    page, per_page = page_args()
    query = contents.content_query(actor(), status=request.args.get("status"), q=request.args.get("q"))
    items, total = paginate(query, page, per_page)
    return listing(items, total, page, per_page, content_json)


@bp.get("/contents/<int:content_id>")
def get_content(content_id: int):
    return jsonify(content_json(contents.get_content(actor(), content_id)))


@bp.patch("/contents/<int:content_id>")
def update_content(content_id: int):
    return jsonify(content_json(contents.update_content(actor(), content_id, json_body())))


@bp.delete("/contents/<int:content_id>")
def delete_content(content_id: int):
    contents.delete_content(actor(), content_id)
    return "", 204
