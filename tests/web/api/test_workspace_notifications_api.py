"""The workspace's own destination through the API: any member reads it, an owner's key changes it, URL write-only."""

from __future__ import annotations

import pytest

from webapp.extensions import db
from webapp.models import AuditEvent, WorkspaceNotificationSettings

URL = "https://hooks.slack.test/services/T000/B000/team-secret"
PATH = "/workspace/notifications"


def test_a_workspace_without_a_destination_reads_empty(api, assert_schema):
    response = api("GET", PATH)

    assert response.status_code == 200
    assert_schema(response.json, "WorkspaceNotifications")
    assert response.json == {
        "email_address": None,
        "email_available": False,
        "slack_url_set": False,
        "kinds": [],
        "updated_at": None,
    }


def test_an_owner_s_put_stores_it_audits_it_and_never_answers_the_url(api, owner, assert_schema):
    body = {"email_address": "team@example.test", "slack_url": URL, "kinds": ["preflight", "channel_unhealthy"]}

    response = api("PUT", PATH, json=body)

    assert response.status_code == 200
    assert_schema(response.json, "WorkspaceNotifications")
    assert response.json["kinds"] == ["channel_unhealthy", "preflight"] and response.json["slack_url_set"] is True
    assert "team-secret" not in response.text and "team-secret" not in api("GET", PATH).text
    event = db.session.query(AuditEvent).filter_by(action="workspace.notifications_updated").one()
    assert event.workspace_id == owner.workspace_id and "team-secret" not in repr(event.details)


def test_a_put_without_the_url_keeps_it_and_null_removes_it(api):
    api("PUT", PATH, json={"slack_url": URL, "kinds": ["failure"]})

    assert api("PUT", PATH, json={"kinds": ["missed"]}).json["slack_url_set"] is True
    assert api("PUT", PATH, json={"slack_url": None, "kinds": []}).json["slack_url_set"] is False


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_a_member_who_is_not_an_owner_reads_it_but_may_not_change_it(api, member, unchanged, role):
    api("PUT", PATH, json={"slack_url": URL, "kinds": ["failure"]})
    _, key = member(role)

    assert api("GET", PATH, key_override=key).json["slack_url_set"] is True
    with unchanged():
        response = api("PUT", PATH, key_override=key, json={"slack_url": None, "kinds": []})

    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email_address": "nope"}, "email_address"),
        ({"kinds": ["digest"]}, "kinds"),
        ({"slack_url": "ftp://hooks.example/x"}, "slack_url"),
        ({"webhook": URL}, "webhook"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_changes_nothing(api, unchanged, body, field):
    with unchanged():
        response = api("PUT", PATH, json=body)

    assert response.status_code == 422 and field in response.json["error"]["fields"]
    assert db.session.query(WorkspaceNotificationSettings).count() == 0


def test_each_workspace_reads_and_changes_only_its_own(api, outsider):
    api("PUT", PATH, json={"email_address": "team@example.test", "kinds": ["failure"]})
    key, _ = outsider

    assert api("GET", PATH, key_override=key).json["email_address"] is None
    api("PUT", PATH, key_override=key, json={"email_address": "theirs@example.test", "kinds": []})

    assert api("GET", PATH).json["email_address"] == "team@example.test"
    assert db.session.query(WorkspaceNotificationSettings).count() == 2
