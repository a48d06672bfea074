"""A whole channel through the API: pause, resume, circuit reset, live state, and DELETE with pending publications."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.domain.publishing import failures, throttle
from webapp.extensions import db
from webapp.models import AuditEvent, Channel, Publication

from .helpers import soon, webhook_body


@pytest.fixture
def channel(api):
    return api("POST", "/channels", json=webhook_body()).json


@pytest.fixture
def pending(api, channel, make, owner, schedule_for):
    content = make.content(owner, status="approved")
    _, [publication] = schedule_for(owner, content, [db.session.get(Channel, channel["id"])], run_at=soon(hours=2))
    return publication


def _last_action() -> tuple[str, str]:
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return event.action, event.source


def test_pause_holds_the_pending_publications_and_resume_releases_them(api, channel, pending, assert_schema):
    paused = api("POST", f"/channels/{channel['id']}/pause")

    assert paused.status_code == 200 and paused.json["held"] == 1
    assert paused.json["channel"]["paused_at"] is not None
    assert_schema(paused.json, "ChannelPaused")
    assert _last_action() == ("channel.paused", "api")
    db.session.expire_all()
    assert (pending.status, pending.hold_reason) == ("paused", failures.PAUSE_HOLD)
    again = api("POST", f"/channels/{channel['id']}/pause")
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"

    resumed = api("POST", f"/channels/{channel['id']}/resume")

    assert resumed.json["resumed"] == 1 and resumed.json["channel"]["paused_at"] is None
    db.session.expire_all()
    assert pending.status == "scheduled"


def test_delete_with_pending_publications_is_409_with_the_count_and_changes_nothing(api, channel, pending, unchanged):
    with unchanged():
        response = api("DELETE", f"/channels/{channel['id']}")

    assert response.status_code == 409
    error = response.json["error"]
    assert (error["code"], error["pending"], error["publishing"]) == ("conflict", 1, 0)
    assert "?pending=cancel" in error["message"]
    assert api("GET", f"/channels/{channel['id']}").status_code == 200


def test_delete_with_pending_cancel_cancels_them_and_archives_the_channel(api, channel, pending):
    response = api("DELETE", f"/channels/{channel['id']}?pending=cancel")

    assert response.status_code == 204 and response.get_data() == b""
    assert api("GET", f"/channels/{channel['id']}").status_code == 404
    assert api("GET", "/channels").json["total"] == 0
    db.session.expire_all()
    assert pending.status == "cancelled"
    publication = api("GET", f"/publications/{pending.id}").json
    assert publication["channel_id"] == channel["id"] and publication["status"] == "cancelled"
    assert db.session.get(Channel, channel["id"]).name == f"Blog hook (deleted #{channel['id']})"
    assert api("POST", "/channels", json=webhook_body()).status_code == 201  # the name is free again


def test_an_unknown_pending_choice_is_422(api, channel, unchanged):
    with unchanged():
        response = api("DELETE", f"/channels/{channel['id']}?pending=keep")
    assert response.status_code == 422 and "pending" in response.json["error"]["fields"]


def test_the_state_and_the_breaker_reset(api, app, channel, monkeypatch, assert_schema):
    monkeypatch.setitem(app.config, "BREAKER_FAILURES", 1)
    throttle.failed(channel["id"])

    state = api("GET", f"/channels/{channel['id']}/state").json

    assert state["breaker"]["state"] == "open" and state["breaker"]["open_until"].endswith("Z")
    assert_schema(state, "ChannelState")
    reset = api("POST", f"/channels/{channel['id']}/breaker/reset")
    assert reset.status_code == 200 and reset.json["state"]["breaker"] == {
        "state": "closed",
        "open_until": None,
        "failures": 0,
    }
    assert_schema(reset.json, "BreakerReset")
    assert _last_action() == ("channel.breaker_reset", "api")


def test_the_state_counts_pending_and_held_publications(api, channel, pending):
    failures.on_auth_error(db.session.get(Publication, pending.id), "401")
    db.session.commit()
    state = api("GET", f"/channels/{channel['id']}/state").json
    assert state["held"] == 1 and state["pending"] == {"paused": 1}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/breaker/reset"),
        ("GET", "/state"),
        ("DELETE", "?pending=cancel"),
    ],
)
def test_another_workspace_gets_404_on_each_channel_action(api, channel, outsider, unchanged, method, path):
    key, _ = outsider
    with unchanged():
        response = api(method, f"/channels/{channel['id']}{path}", key_override=key)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_viewer_may_read_the_state_but_not_pause(api, channel, viewer_key):
    assert api("GET", f"/channels/{channel['id']}/state", key_override=viewer_key).status_code == 200
    assert api("POST", f"/channels/{channel['id']}/pause", key_override=viewer_key).status_code == 403
