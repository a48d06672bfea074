"""Content through /api/v1/contents: create, filtered and paginated lists, update, delete."""

from __future__ import annotations

import pytest

from webapp.models import EditorialStatus


@pytest.fixture
def content(api):
    return api("POST", "/contents", json={"title": "Spring launch", "body": "We ship on Monday."}).json


def test_creating_content_answers_201_with_the_defaults(api):
    response = api("POST", "/contents", json={"title": "Hello"})
    assert response.status_code == 201
    body = response.json
    assert isinstance(body["id"], int)
    assert (body["title"], body["body"], body["excerpt"], body["tags"]) == ("Hello", "", None, [])
    assert (body["status"], body["content_type"], body["body_format"]) == ("draft", "article", "markdown")


def test_creating_content_keeps_the_given_fields_with_tags_trimmed_and_unique(api):
    response = api(
        "POST",
        "/contents",
        json={
            "title": "  Release notes  ",
            "body": "Body",
            "excerpt": "Short",
            "content_type": "newsletter",
            "tags": ["news", " news ", "eng"],
            "status": "review",
        },
    )
    body = response.json
    assert (body["title"], body["excerpt"], body["content_type"], body["status"]) == (
        "Release notes",
        "Short",
        "newsletter",
        "review",
    )
    assert body["tags"] == ["news", "eng"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "   "}, "title"),
        ({}, "title"),
        ({"title": "x" * 301}, "title"),
        ({"title": 7}, "title"),
        ({"title": "ok", "status": "published"}, "status"),
        ({"title": "ok", "content_type": "essay"}, "content_type"),
        ({"title": "ok", "body_format": "rtf"}, "body_format"),
        ({"title": "ok", "tags": "a,b"}, "tags"),
        ({"title": "ok", "tags": [""]}, "tags"),
        ({"title": "ok", "tags": ["x" * 61]}, "tags"),
        ({"title": "ok", "body": 5}, "body"),
        ({"title": "ok", "excerpt": "x" * 2001}, "excerpt"),
    ],
)
def test_invalid_content_is_422_naming_the_field_and_nothing_is_stored(api, unchanged, values, field):
    with unchanged():
        response = api("POST", "/contents", json=values)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["fields"]


def test_an_empty_title_is_reported_as_required(api):
    response = api("POST", "/contents", json={"title": ""})
    assert response.json["error"]["fields"] == {"title": "is required"}


def test_the_list_is_the_pagination_envelope(api, content):
    response = api("GET", "/contents")
    assert response.status_code == 200
    assert response.json == {"items": [content], "page": 1, "per_page": 50, "total": 1}


def test_the_list_filters_by_status(api):
    for status in ("draft", "approved", "approved"):
        api("POST", "/contents", json={"title": f"A {status}", "status": status})
    response = api("GET", "/contents?status=approved")
    assert {c["status"] for c in response.json["items"]} == {"approved"}
    assert response.json["total"] == 2


def test_the_list_filters_by_text_in_the_title_or_body_ignoring_case(api):
    api("POST", "/contents", json={"title": "Winter SALE"})
    api("POST", "/contents", json={"title": "Notes", "body": "the sale starts"})
    api("POST", "/contents", json={"title": "Hiring"})
    response = api("GET", "/contents?q=sale")
    assert sorted(c["title"] for c in response.json["items"]) == ["Notes", "Winter SALE"]


def test_the_list_combines_status_and_text_filters(api):
    api("POST", "/contents", json={"title": "Sale draft"})
    api("POST", "/contents", json={"title": "Sale approved", "status": EditorialStatus.APPROVED.value})
    response = api("GET", "/contents?status=approved&q=sale")
    assert [c["title"] for c in response.json["items"]] == ["Sale approved"]


def test_the_list_pages_with_page_and_per_page(api):
    for n in range(5):
        api("POST", "/contents", json={"title": f"Post {n}"})
    first, last = api("GET", "/contents?per_page=2&page=1").json, api("GET", "/contents?per_page=2&page=3").json
    assert (first["page"], first["per_page"], first["total"], len(first["items"])) == (1, 2, 5, 2)
    assert (last["page"], last["per_page"], last["total"], len(last["items"])) == (3, 2, 5, 1)


def test_pages_do_not_overlap(api):
    for n in range(5):
        api("POST", "/contents", json={"title": f"Post {n}"})
    ids = [c["id"] for page in (1, 2, 3) for c in api("GET", f"/contents?per_page=2&page={page}").json["items"]]
    assert sorted(ids) == sorted(set(ids)) and len(ids) == 5


def test_per_page_200_is_allowed(api):
    assert api("GET", "/contents?per_page=200").json["per_page"] == 200


@pytest.mark.parametrize("query", ["per_page=201", "per_page=0", "page=0", "page=-1", "per_page=abc", "page=1.5"])
def test_paging_out_of_range_is_422(api, query):
    response = api("GET", f"/contents?{query}")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"


def test_getting_content_answers_what_creating_it_did(api, content):
    assert api("GET", f"/contents/{content['id']}").json == content


def test_unknown_content_is_404(api):
    response = api("GET", "/contents/4242")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_patch_changes_only_the_given_fields(api, content):
    response = api("PATCH", f"/contents/{content['id']}", json={"status": "approved"})
    assert response.status_code == 200
    assert response.json["status"] == "approved"
    assert response.json["title"] == content["title"]
    assert response.json["body"] == content["body"]


@pytest.mark.parametrize(
    ("changes", "field"), [({"title": ""}, "title"), ({"status": "gone"}, "status"), ({"tags": None}, "tags")]
)
def test_an_invalid_patch_is_422_and_changes_nothing(api, content, unchanged, changes, field):
    with unchanged():
        response = api("PATCH", f"/contents/{content['id']}", json=changes)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert api("GET", f"/contents/{content['id']}").json == content


def test_deleting_content_answers_204_and_it_is_gone(api, content):
    assert api("DELETE", f"/contents/{content['id']}").status_code == 204
    assert api("GET", f"/contents/{content['id']}").status_code == 404


def test_a_body_key_named_actor_is_ignored_like_any_unknown_key(api):
    response = api("POST", "/contents", json={"title": "Hello", "actor": 1})
    assert response.status_code == 201
