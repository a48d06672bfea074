"""Content endpoints."""

from __future__ import annotations

from flask import jsonify, request

from webapp.core.phrases import said
from webapp.core.time import format_utc
from webapp.domain.content import approvals, contents, reviewed_parts
from webapp.domain.publishing import approval_holds
from webapp.domain.publishing.publications import paginate
from webapp.models import Decision
from webapp.web.api.base import actor, bp, json_body, listing, page_args
from webapp.web.api.serializers import content_json


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


# The editorial workflow (webapp/domain/content/approvals.py): each answers the content with its new status.


def _comment() -> str | None:
    """The optional `comment` of an optional JSON object body."""
    if not request.get_data():
        return None
    return json_body().get("comment")


def _review_json(decision) -> dict:
    return {
        "id": decision.id,
        "decision": decision.decision,
        "from_status": decision.from_status,
        "comment": said(reviewed_parts.comment_of(decision)),  # Herald's own note in the reader's language
        "reviewer_id": decision.reviewer_id,
        "reviewer": decision.reviewer.email if decision.reviewer else None,
        "created_at": format_utc(decision.created_at),
    }


@bp.post("/contents/<int:content_id>/submit")
def submit_content(content_id: int):
    content = contents.get_content(actor(), content_id)
    approval_holds.decide(actor(), content, Decision.SUBMITTED, _comment())  # commits
    return jsonify(content_json(content))


@bp.post("/contents/<int:content_id>/approve")
def approve_content(content_id: int):
    content = contents.get_content(actor(), content_id)
    # Commits, then hands the publications held for want of approval back to rq-scheduler.
    approval_holds.decide(actor(), content, Decision.APPROVED, _comment())
    return jsonify(content_json(content))


@bp.post("/contents/<int:content_id>/reject")
def reject_content(content_id: int):
    content = contents.get_content(actor(), content_id)
    # A rejection always says why: a body. Commits.
    approval_holds.decide(actor(), content, Decision.REJECTED, json_body().get("comment"))
    return jsonify(content_json(content))


@bp.get("/contents/<int:content_id>/reviews")
def list_reviews(content_id: int):
    content = contents.get_content(actor(), content_id)
    return jsonify({"items": [_review_json(d) for d in approvals.history(actor(), content)]})
