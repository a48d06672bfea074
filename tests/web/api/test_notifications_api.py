"""Notification settings through the API: the key's own user's, partial PATCH, the webhook URL write-only."""

from __future__ import annotations

import pytest

from webapp.domain.integrations import notifications
from webapp.extensions import db
from webapp.models import AuditEvent, NotificationSettings

URL = "https://hooks.slack.test/services/T000/B000/secret-part"


def test_a_user_without_settings_reads_the_defaults_everything_off(api, assert_schema):
    response = api("GET", "/notifications/settings")

    assert response.status_code == 200
    assert_schema(response.json, "NotificationSettings")
    assert response.json == {
        "email_enabled": False,
        "email_available": False,
        "slack_url_set": False,
        "kinds": [],
        "quiet_start": None,
        "quiet_end": None,
        "digest_hour": 8,
    }


def test_patch_stores_the_settings_and_never_answers_the_webhook_url(api, owner, assert_schema):
    body = {"email_enabled": True, "slack_url": URL, "kinds": ["missed", "failure"], "quiet_start": "22:00",
            "quiet_end": "07:00", "digest_hour": 6}  # fmt: skip

    response = api("PATCH", "/notifications/settings", json=body)

    assert response.status_code == 200
    assert_schema(response.json, "NotificationSettings")
    assert response.json | {"email_available": None} == {
        "email_enabled": True,
        "email_available": None,
        "slack_url_set": True,
        "kinds": ["failure", "missed"],
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "digest_hour": 6,
    }
    assert "secret-part" not in response.text and "secret-part" not in api("GET", "/notifications/settings").text
    stored = notifications.settings_of(owner.user_id)
    assert notifications.slack_url(stored) == URL and URL not in (stored.slack_url_encrypted or "")
    event = db.session.query(AuditEvent).filter_by(action="notifications.updated").one()
    assert event.actor_user_id == owner.user_id and "secret-part" not in repr(event.details)


def test_patch_changes_only_the_fields_it_names(api):
    api("PATCH", "/notifications/settings", json={"slack_url": URL, "kinds": ["failure"], "digest_hour": 9})

    response = api("PATCH", "/notifications/settings", json={"quiet_start": "23:30", "quiet_end": "06:00"})

    assert response.status_code == 200
    assert (response.json["kinds"], response.json["digest_hour"], response.json["slack_url_set"]) == (
        ["failure"],
        9,
        True,
    )
    assert (response.json["quiet_start"], response.json["quiet_end"]) == ("23:30", "06:00")


@pytest.mark.parametrize("removal", ["", None])
def test_an_empty_or_null_webhook_url_removes_it(api, owner, removal):
    api("PATCH", "/notifications/settings", json={"slack_url": URL})

    response = api("PATCH", "/notifications/settings", json={"slack_url": removal})

    assert response.status_code == 200 and response.json["slack_url_set"] is False
    assert notifications.settings_of(owner.user_id).slack_url_encrypted is None


KINDS_PROBLEM = (
    "must be a list of: failure, needs_intervention, missed, unconfirmed, scheduler_silent, channel_unhealthy, "
    "channel_held, preflight, review_requested, digest"
)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"kinds": ["failure", "gossip"]}, "kinds", KINDS_PROBLEM),
        ({"kinds": "failure"}, "kinds", KINDS_PROBLEM),
        ({"email_enabled": "yes"}, "email_enabled", "must be true or false"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start", "must be a time as HH:MM"),
        ({"quiet_start": "22:00"}, "quiet_end", "give both ends of the quiet hours, or neither"),
        ({"quiet_start": "07:00", "quiet_end": "07:00"}, "quiet_end", "must differ from the start"),
        ({"digest_hour": 24}, "digest_hour", "must be an hour from 0 to 23"),
        ({"digest_hour": True}, "digest_hour", "must be an hour from 0 to 23"),
        ({"slack_url": "ftp://hooks.example/x"}, "slack_url", None),
        ({"slack_url": 42}, "slack_url", None),
        ({"webhook": URL}, "webhook", "is not a notification setting"),
    ],
)
def test_bad_settings_answer_422_naming_the_field_and_change_nothing(api, owner, unchanged, body, field, message):
    with unchanged():
        response = api("PATCH", "/notifications/settings", json=body)

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
    assert field in response.json["error"]["fields"]
    if message:
        assert response.json["error"]["fields"][field] == message
    assert db.session.query(NotificationSettings).count() == 0


def test_a_body_that_is_not_an_object_is_400(api):
    assert api("PATCH", "/notifications/settings", json=["failure"]).status_code == 400


def test_settings_belong_to_the_key_s_user_not_to_anyone_else(api, outsider):
    api("PATCH", "/notifications/settings", json={"kinds": ["digest"], "slack_url": URL})
    their_key, _ = outsider

    theirs = api("GET", "/notifications/settings", key_override=their_key)

    assert theirs.json["kinds"] == [] and theirs.json["slack_url_set"] is False


def test_a_viewer_s_key_may_change_its_own_notifications(api, viewer_key):
    response = api("PATCH", "/notifications/settings", key_override=viewer_key, json={"kinds": ["failure"]})

    assert response.status_code == 200 and response.json["kinds"] == ["failure"]
    assert api("GET", "/notifications/settings").json["kinds"] == []  # the owner's own are untouched


def test_the_settings_need_a_key(client):
    assert client.get("/api/v1/notifications/settings").status_code == 401
    assert client.patch("/api/v1/notifications/settings", json={"kinds": []}).status_code == 401
