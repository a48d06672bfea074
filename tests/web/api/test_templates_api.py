"""Content templates through /api/v1/templates: save, list, rename, delete, start (and schedule)."""

from __future__ import annotations

import pytest

from .helpers import webhook_body


@pytest.fixture
def hook(api):
    return api("POST", "/channels", json=webhook_body()).json


@pytest.fixture
def content(api):
    body = {
        "title": "Release notes",
        "body": "## Fixed",
        "tags": ["release"],
        "variants": [{"platform": "ghost", "excerpt": "E"}],
    }
    return api("POST", "/contents", json=body).json


@pytest.fixture
def template(api, content, hook):
    body = {
        "name": "Release",
        "content_id": content["id"],
        "channel_ids": [hook["id"]],
        "schedule": {"after_days": 1, "at": "09:00", "timezone": "Europe/Paris"},
    }
    return api("POST", "/templates", json=body)


def test_saving_a_template_answers_201_with_the_copied_structure(template, hook, assert_schema):
    assert template.status_code == 201
    body = template.json
    assert (body["name"], body["title"], body["body"], body["tags"]) == (
        "Release",
        "Release notes",
        "## Fixed",
        ["release"],
    )
    assert body["channel_ids"] == [hook["id"]]
    assert body["schedule"] == {"after_days": 1, "at": "09:00", "timezone": "Europe/Paris"}
    assert [v["platform"] for v in body["variants"]] == ["ghost"]
    assert_schema(body, "Template")


def test_templates_are_listed_read_renamed_and_deleted(api, template, assert_schema):
    template_id = template.json["id"]
    listed = api("GET", "/templates")
    assert (listed.json["total"], [t["id"] for t in listed.json["items"]]) == (1, [template_id])
    assert_schema(listed.json, "TemplateList")
    assert api("GET", f"/templates/{template_id}").json["name"] == "Release"
    renamed = api("PATCH", f"/templates/{template_id}", json={"name": "Release notes", "schedule": None})
    assert (renamed.status_code, renamed.json["name"], renamed.json["schedule"]) == (200, "Release notes", None)
    assert api("DELETE", f"/templates/{template_id}").status_code == 204
    assert api("GET", f"/templates/{template_id}").status_code == 404


def test_an_invalid_template_is_422_and_nothing_is_written(api, content, unchanged):
    with unchanged():
        response = api("POST", "/templates", json={"name": "", "content_id": content["id"], "schedule": {"cron": "x"}})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) == {"name", "schedule.cron", "schedule.timezone"}


def test_starting_a_template_answers_the_new_content_and_its_schedule(api, template, hook, assert_schema):
    response = api("POST", f"/templates/{template.json['id']}/start", json={"title": "v2.1", "schedule": True})
    assert response.status_code == 201
    assert (response.json["content"]["title"], response.json["content"]["status"]) == ("v2.1", "draft")
    assert response.json["schedule"]["channel_ids"] == [hook["id"]]
    assert response.json["schedule"]["run_at"].endswith(":00:00Z")
    assert len(response.json["schedule"]["publications"]) == 1
    assert_schema(response.json, "TemplateStarted")


def test_starting_without_schedule_answers_a_null_schedule(api, template):
    response = api("POST", f"/templates/{template.json['id']}/start", json={})
    assert (response.status_code, response.json["schedule"]) == (201, None)
    assert response.json["content"]["title"] == "Release notes"


@pytest.mark.parametrize(("body", "field"), [({"title": 5}, "title"), ({"schedule": "yes"}, "schedule")])
def test_a_bad_start_request_is_422(api, template, unchanged, body, field):
    with unchanged():
        response = api("POST", f"/templates/{template.json['id']}/start", json=body)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_a_viewer_may_list_but_not_start(api, template, viewer_key, unchanged):
    assert api("GET", "/templates", key_override=viewer_key).json["total"] == 1
    with unchanged():
        response = api("POST", f"/templates/{template.json['id']}/start", key_override=viewer_key, json={})
    assert response.status_code == 403


def test_another_workspace_s_template_is_404(api, template, outsider):
    response = api("GET", f"/templates/{template.json['id']}", key_override=outsider[0])
    assert response.status_code == 404
    assert api("GET", "/templates", key_override=outsider[0]).json["items"] == []
