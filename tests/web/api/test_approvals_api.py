"""POST /contents/{id}/submit|approve|reject and GET /contents/{id}/reviews."""

from __future__ import annotations

import pytest


def test_the_whole_review_flow(api, owner, editor_key, assert_schema):
    content_id = api("POST", "/contents", json={"title": "Launch"}).json["id"]

    submitted = api("POST", f"/contents/{content_id}/submit")
    assert (submitted.status_code, submitted.json["status"]) == (200, "review")
    assert_schema(submitted.json, "Content")
    rejected = api("POST", f"/contents/{content_id}/reject", key_override=editor_key, json={"comment": "Too long."})
    assert (rejected.status_code, rejected.json["status"]) == (200, "draft")
    api("POST", f"/contents/{content_id}/submit", json={"comment": "Shorter now."})
    approved = api("POST", f"/contents/{content_id}/approve", key_override=editor_key, json={})
    assert (approved.status_code, approved.json["status"]) == (200, "approved")

    reviews = api("GET", f"/contents/{content_id}/reviews")
    assert reviews.status_code == 200
    assert_schema(reviews.json, "ReviewList")
    assert [(r["decision"], r["from_status"], r["comment"]) for r in reviews.json["items"]] == [
        ("submitted", "draft", None),
        ("rejected", "review", "Too long."),
        ("submitted", "draft", "Shorter now."),
        ("approved", "review", None),
    ]
    assert reviews.json["items"][1]["reviewer_id"] != owner.user_id


@pytest.mark.parametrize(
    ("setup", "path", "kwargs", "status", "code"),
    [
        ("draft", "approve", {}, 409, "conflict"),
        ("approved", "submit", {}, 409, "conflict"),
        ("review", "reject", {"json": {}}, 422, "validation_failed"),
        ("review", "reject", {"json": {"comment": 5}}, 422, "validation_failed"),
        ("review", "approve", {"json": {"comment": "x" * 2001}}, 422, "validation_failed"),
        ("review", "approve", {"data": "[1]", "content_type": "application/json"}, 400, "bad_request"),
        ("review", "approve", {"data": "{", "content_type": "application/json"}, 400, "bad_request"),
    ],
)
def test_refusals_are_json_errors_and_change_nothing(
    api, make, owner, editor_key, unchanged, setup, path, kwargs, status, code
):
    content = make.content(owner, status=setup)
    with unchanged():
        response = api("POST", f"/contents/{content.id}/{path}", key_override=editor_key, **kwargs)
    assert (response.status_code, response.json["error"]["code"]) == (status, code)


def test_the_author_cannot_approve_their_own_content_when_another_writer_exists(
    api, make, owner, editor_key, unchanged
):
    content = make.content(owner, status="review")
    with unchanged():
        response = api("POST", f"/contents/{content.id}/approve")
    assert response.status_code == 403
    assert response.json["error"]["message"] == "you wrote this content; another owner or editor must approve it"


def test_a_viewer_key_cannot_decide(api, make, owner, viewer_key, unchanged):
    content = make.content(owner, status="review")
    with unchanged():
        for verb in ("submit", "approve", "reject"):
            assert api("POST", f"/contents/{content.id}/{verb}", key_override=viewer_key).status_code == 403
    assert api("GET", f"/contents/{content.id}/reviews", key_override=viewer_key).status_code == 200


def test_another_workspaces_content_is_404(api, make, outsider, unchanged):
    _, stranger = outsider
    content = make.content(stranger, status="review")
    with unchanged():
        for verb in ("submit", "approve", "reject"):
            assert api("POST", f"/contents/{content.id}/{verb}", json={"comment": "x"}).status_code == 404
    assert api("GET", f"/contents/{content.id}/reviews").status_code == 404
