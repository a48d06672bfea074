"""Bearer keys, roles and request bodies: who may call the API, and what a refused request leaves behind."""

from __future__ import annotations

from collections import defaultdict

import pytest
from sqlalchemy import select

from webapp.domain.accounts import accounts
from webapp.domain.content import content_templates
from webapp.extensions import db
from webapp.models import ApiKey, utcnow
from webapp.web.api.openapi import document

from .helpers import webhook_body

UNAUTHORIZED = 'Bearer realm="herald"'
MISSING_ID = 999_999


def test_a_request_without_a_key_is_401_with_a_bearer_challenge(client, unchanged):
    with unchanged():
        response = client.post("/api/v1/channels", json=webhook_body())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == UNAUTHORIZED
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    "header",
    ["Bearer hrd_not-a-real-key", "Bearer ", "Basic dXNlcjpwYXNz", "hrd_no-scheme", "Token abc"],
)
def test_a_bad_or_malformed_key_is_401_and_nothing_is_stored(client, api_key, unchanged, header):
    with unchanged():
        response = client.post("/api/v1/channels", json=webhook_body(), headers={"Authorization": header})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == UNAUTHORIZED


def test_the_scheme_name_is_case_insensitive(client, api_key):
    response = client.get("/api/v1/channels", headers={"Authorization": f"bearer {api_key[0]}"})
    assert response.status_code == 200


def test_a_revoked_key_is_401(client, api_key):
    db.session.scalar(select(ApiKey)).revoked_at = utcnow()
    db.session.commit()
    response = client.get("/api/v1/channels", headers={"Authorization": f"Bearer {api_key[0]}"})
    assert response.status_code == 401


def test_a_key_records_when_it_was_last_used(api):
    api("GET", "/channels")
    assert db.session.scalar(select(ApiKey)).last_used_at is not None


def test_a_key_acts_in_its_own_workspace(api, make, owner):
    mine = make.channel(owner, name="Mine")
    assert [c["id"] for c in api("GET", "/channels").json["items"]] == [mine.id]


@pytest.fixture
def records(make, owner, schedule_for):
    """A channel, a content item and a schedule with its publication in the owner's workspace, ids by URL name."""
    channel, content = make.channel(owner), make.content(owner)
    schedule, _ = schedule_for(owner, content, [channel])
    template = content_templates.save_as_template(owner, content.id, {"name": "Weekly"})
    return {"channel_id": channel.id, "content_id": content.id, "schedule_id": schedule.id, "template_id": template.id}


def state(api, records) -> list:
    return [api("GET", f"/{name.removesuffix('_id')}s/{id_}").json for name, id_ in records.items()]


OPERATIONS = [(method.upper(), path, op) for path, item in document()["paths"].items() for method, op in item.items()]
# Reads that go by POST: a preview saves nothing, and a connection check only probes the platform.
READS_BY_POST = {"preview_schedule", "check_channel"}
# A viewer may still manage what is theirs alone (their own notification settings, dashboard, language, timezone).
VIEWER_SELF_SERVICE = {"update_notification_settings", "put_dashboard_layout", "reset_dashboard_layout", "update_me"}
WRITES = [
    (m, p) for m, p, op in OPERATIONS if m != "GET" and op["operationId"] not in READS_BY_POST | VIEWER_SELF_SERVICE
]
# An import takes a JSON array or object, or CSV: tests/web/api/test_transfer.py covers its bodies.
NOT_AN_OBJECT_BODY = {"import_records"}
# Every operation with a JSON body, with malformed JSON, a non-object, and (where a body is required) nothing.
NOT_OBJECTS = [
    (m, p, raw)
    for m, p, op in OPERATIONS
    if "application/json" in op.get("requestBody", {}).get("content", {})  # a multipart upload is not JSON
    and op["operationId"] not in NOT_AN_OBJECT_BODY
    for raw in ("{broken", "[1]", "")
    if raw or op["requestBody"]["required"]
]


@pytest.mark.parametrize("path", ["/channels", "/contents", "/schedules", "/publications", "/metrics"])
def test_a_viewer_may_read(api, viewer_key, records, path):
    assert api("GET", path, key_override=viewer_key).status_code == 200


@pytest.mark.parametrize(("method", "path"), WRITES, ids=[f"{m} {p}" for m, p in WRITES])
def test_a_viewer_s_write_is_403_and_changes_nothing(api, viewer_key, records, unchanged, method, path):
    before = state(api, records)
    with unchanged():
        # Ids without a record here (templates, media, bulk runs) are refused before they are looked up.
        response = api(
            method, path.format_map(defaultdict(lambda: MISSING_ID, records)), key_override=viewer_key, json={}
        )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert state(api, records) == before


def test_a_viewer_made_with_make_actor_is_refused_in_their_own_workspace(client, make, unchanged):
    user = make.user()
    make.actor(user, role="viewer")
    _, key = accounts.create_api_key(user)
    with unchanged():
        response = client.post("/api/v1/contents", json={"title": "x"}, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "path", "raw"), NOT_OBJECTS, ids=[f"{m} {p} {r!r}" for m, p, r in NOT_OBJECTS])
def test_a_body_that_is_not_a_json_object_is_400_and_nothing_is_stored(api, records, unchanged, method, path, raw):
    with unchanged():
        # The body is refused before any id is looked up, so ids without a record here do as well as real ones.
        url = path.format_map(defaultdict(lambda: MISSING_ID, records))
        response = api(method, url, data=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json == {"error": {"code": "bad_request", "message": "The request body must be a JSON object."}}
