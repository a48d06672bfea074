"""PATCH of approved content's text, where approval is required: back to review, in the review history."""

from __future__ import annotations

from webapp.extensions import db
from webapp.models import Workspace


def test_patching_approved_text_answers_review_and_the_history_says_why(api, owner, editor_key, assert_schema):
    db.session.get(Workspace, owner.workspace_id).require_approval = True
    db.session.commit()
    content_id = api("POST", "/contents", json={"title": "Launch", "body": "Monday"}).json["id"]
    api("POST", f"/contents/{content_id}/submit")
    assert api("POST", f"/contents/{content_id}/approve", key_override=editor_key, json={}).json["status"] == "approved"

    patched = api("PATCH", f"/contents/{content_id}", json={"body": "Tuesday"})

    assert (patched.status_code, patched.json["status"]) == (200, "review")
    reviews = api("GET", f"/contents/{content_id}/reviews").json
    assert_schema(reviews, "ReviewList")
    assert [(r["decision"], r["from_status"], r["comment"]) for r in reviews["items"]][-1] == (
        "reopened",
        "approved",
        "edited after approval: body",
    )
    assert api("POST", f"/contents/{content_id}/approve", key_override=editor_key, json={}).status_code == 200
