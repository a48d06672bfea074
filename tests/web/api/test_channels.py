"""Channels through /api/v1/channels: create, read, update, delete; credentials never leave the server."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.models import Channel

from .helpers import webhook_body

SECRET = "wh-secret-value-1234"


@pytest.fixture
def channel(api):
    return api("POST", "/channels", json=webhook_body()).json


def test_creating_a_webhook_channel_answers_201_with_the_channel(api):
    response = api("POST", "/channels", json=webhook_body(timezone="Europe/Paris"))
    assert response.status_code == 201
    body = response.json
    assert isinstance(body["id"], int)
    assert body["name"] == "Blog hook"
    assert body["platform"] == "webhook"
    assert body["settings"] == {"url": "https://hooks.example.test/herald"}
    assert body["timezone"] == "Europe/Paris"
    assert body["health"] == "unknown"


def test_a_created_channel_shows_credentials_set_and_never_the_secret(api):
    response = api("POST", "/channels", json=webhook_body())
    assert response.json["credentials"] == {"set": True}
    assert SECRET not in response.get_data(as_text=True)


def test_the_secret_is_stored_encrypted(api, channel):
    stored = db.session.get(Channel, channel["id"]).credentials_encrypted
    assert SECRET not in stored


def test_the_timezone_defaults_to_utc(api):
    assert api("POST", "/channels", json=webhook_body()).json["timezone"] == "UTC"


def test_a_channel_keeps_its_rules(api):
    rules = {"daily_limit": 3, "weekdays": ["mon", "fri"], "time_slots": ["09:00"], "min_spacing_minutes": 30}
    response = api("POST", "/channels", json=webhook_body(rules=rules))
    assert response.status_code == 201
    assert response.json["rules"] == rules


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"settings": {"url": "ftp://x"}}, "settings.url"),
        ({"settings": {"url": "not a url"}}, "settings.url"),
        ({"settings": {}}, "settings.url"),
        ({"credentials": {}}, "credentials.secret"),
        ({"credentials": {"secret": "  "}}, "credentials.secret"),
        ({"platform": "myspace"}, "platform"),
        ({"platform": None}, "platform"),
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"name": 42}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"settings": "https://hooks.example.test"}, "settings"),
        ({"credentials": ["secret"]}, "credentials"),
        ({"rules": ["daily_limit"]}, "rules"),
        ({"rules": {"colour": "red"}}, "rules"),
        ({"rules": {"daily_limit": "lots"}}, "rules.daily_limit"),
        ({"rules": {"daily_limit": 0}}, "rules.daily_limit"),
        ({"rules": {"weekdays": ["funday"]}}, "rules.weekdays"),
        ({"rules": {"time_slots": ["25:00"]}}, "rules.time_slots"),
    ],
)
def test_an_invalid_channel_is_422_naming_the_field_and_nothing_is_stored(api, unchanged, overrides, field):
    with unchanged():
        response = api("POST", "/channels", json=webhook_body(**overrides))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["fields"]


def test_a_missing_name_is_422(api, unchanged):
    body = webhook_body()
    del body["name"]
    with unchanged():
        response = api("POST", "/channels", json=body)
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"name": "is required"}


def test_a_bad_url_error_names_settings_url(api):
    response = api("POST", "/channels", json=webhook_body(settings={"url": "ftp://x"}))
    assert response.json["error"]["fields"] == {"settings.url": "must be an http(s) URL"}


def test_a_second_channel_with_the_same_name_is_422(api, channel, unchanged):
    with unchanged():
        response = api("POST", "/channels", json=webhook_body())
    assert response.status_code == 422
    assert response.json["error"]["fields"] == {"name": "is already used by another channel"}


def test_the_list_holds_the_workspace_s_channels_by_name_in_the_envelope(api):
    for name in ("Zeta", "Alpha"):
        api("POST", "/channels", json=webhook_body(name=name))
    response = api("GET", "/channels")
    assert response.status_code == 200
    assert [c["name"] for c in response.json["items"]] == ["Alpha", "Zeta"]
    assert response.json["total"] == 2
    assert response.json["page"] == 1


def test_the_list_never_shows_a_secret(api, channel):
    assert SECRET not in api("GET", "/channels").get_data(as_text=True)


def test_getting_a_channel_answers_what_creating_it_did(api, channel):
    response = api("GET", f"/channels/{channel['id']}")
    assert response.status_code == 200
    assert response.json == channel


def test_an_unknown_channel_is_404(api):
    response = api("GET", "/channels/4242")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_patch_renames_a_channel(api, channel):
    response = api("PATCH", f"/channels/{channel['id']}", json={"name": "Renamed"})
    assert response.status_code == 200
    assert response.json["name"] == "Renamed"
    assert api("GET", f"/channels/{channel['id']}").json["name"] == "Renamed"


def test_patch_replaces_credentials_without_echoing_them(api, channel):
    response = api("PATCH", f"/channels/{channel['id']}", json={"credentials": {"secret": "brand-new-secret-99"}})
    assert response.status_code == 200
    assert response.json["credentials"] == {"set": True}
    assert "brand-new-secret-99" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"settings": {"url": "ftp://x"}}, "settings.url"),
        ({"name": ""}, "name"),
        ({"platform": "ghost"}, "platform"),
        ({"timezone": "Nowhere/Land"}, "timezone"),
        ({"credentials": {"secret": ""}}, "credentials.secret"),
    ],
)
def test_an_invalid_patch_is_422_and_changes_nothing(api, channel, unchanged, changes, field):
    with unchanged():
        response = api("PATCH", f"/channels/{channel['id']}", json=changes)
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]
    assert api("GET", f"/channels/{channel['id']}").json == channel


def test_deleting_a_channel_answers_204_and_it_is_gone(api, channel):
    response = api("DELETE", f"/channels/{channel['id']}")
    assert response.status_code == 204
    assert response.get_data() == b""
    assert api("GET", f"/channels/{channel['id']}").status_code == 404
