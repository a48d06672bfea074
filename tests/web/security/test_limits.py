"""Oversized request bodies are refused with 413 and a clear error, and nothing is written."""

from __future__ import annotations

import pytest


@pytest.fixture
def limit(app):
    return app.config["MAX_CONTENT_LENGTH"]


def test_an_oversized_api_body_is_a_json_413(api, limit, unchanged):
    body = '{"title": "' + "x" * limit + '"}'
    with unchanged():
        response = api("POST", "/contents", data=body, content_type="application/json")
    assert response.status_code == 413
    error = response.json["error"]
    assert error["code"] == "request_entity_too_large"
    assert f"{limit // 1024 // 1024} MiB" in error["message"]


def test_an_oversized_form_is_a_413_page(client, auth, limit, unchanged):
    auth.sign_up()
    with unchanged():
        response = client.post("/contents/", data={"title": "t", "body": "x" * limit})
    assert response.status_code == 413
    assert "text/html" in response.content_type
    assert f"{limit // 1024 // 1024} MiB" in response.get_data(as_text=True)


def test_a_body_just_under_the_limit_is_read(api, limit):
    body = '{"title": "' + "x" * 100 + '", "body": "' + "y" * (limit // 2) + '"}'
    assert api("POST", "/contents", data=body, content_type="application/json").status_code == 201
