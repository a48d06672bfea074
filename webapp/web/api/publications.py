"""Publication endpoints."""

from __future__ import annotations

from flask import jsonify, request

from webapp.domain.publishing import confirmations, publications
from webapp.web.api.base import actor, bp, int_arg, json_body, listing, page_args
from webapp.web.api.query import instant_arg
from webapp.web.api.serializers import publication_json


@bp.get("/publications")
def list_publications():
    page, per_page = page_args()
    query = publications.publication_query(
        actor(),
        status=request.args.get("status") or None,
        channel_id=int_arg("channel_id"),
        schedule_id=int_arg("schedule_id"),
        content_type=request.args.get("content_type") or None,
        due_from=instant_arg("from"),
        due_to=instant_arg("to"),
        q=request.args.get("q") or None,
    )
    items, total = publications.paginate(query, page, per_page)
    return listing(items, total, page, per_page, lambda p: publication_json(p, with_attempts=False))


@bp.get("/publications/<int:publication_id>")
def get_publication(publication_id: int):
    return jsonify(publication_json(publications.get_publication(actor(), publication_id)))


@bp.post("/publications/<int:publication_id>/mark-published")
def mark_publication_published(publication_id: int):
    """A person found an unconfirmed publication's post on the platform: record it as published at `url`."""
    body = json_body()
    return jsonify(publication_json(confirmations.mark_published(actor(), publication_id, body.get("url"))))
