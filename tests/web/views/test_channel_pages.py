"""A channel's own page: edit it (credentials never shown back), pause and resume, reset its circuit, delete it."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from webapp.domain.accounts import accounts, workspaces
from webapp.domain.channels import channels
from webapp.domain.publishing import failures, throttle
from webapp.extensions import db
from webapp.infra.crypto import decrypt_credentials
from webapp.infra.live import events
from webapp.models import Alert, AuditEvent, Channel, Membership, Publication

HX = {"HX-Request": "true"}
NOW = datetime(2030, 12, 2, 10, tzinfo=UTC)
OLD_SECRET = "old-secret-value-123"
NEW_SECRET = "new-secret-value-456"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hook(ada, make):
    return make.channel(ada, name="Blog hook", url="http://127.0.0.1:9/hook", secret=OLD_SECRET)


def _form(**overrides) -> dict:
    data = {"name": "Blog hook", "settings.url": "http://127.0.0.1:9/hook", "timezone": "UTC"}
    data.update(overrides)
    return data


def _pending(make, ada, channel, minutes: int = 60) -> Publication:
    content = make.content(ada, status="approved")
    return make.publication(ada, content, channel, run_at=NOW + timedelta(minutes=minutes))


def test_the_list_links_each_channel_to_its_page(client, hook):
    html = client.get("/channels/").get_data(as_text=True)
    assert f'href="/channels/{hook.id}"' in html


def test_the_page_shows_the_edit_form_filled_in_but_never_the_secret(client, hook):
    response = client.get(f"/channels/{hook.id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Blog hook"' in html and 'value="http://127.0.0.1:9/hook"' in html
    assert "New signing secret" in html and "Leave blank to keep the current one" in html
    assert OLD_SECRET not in html and OLD_SECRET[:6] not in html


def test_saving_the_form_changes_name_url_rules_and_secret_with_the_api_s_audit_entry(client, hook):
    response = client.post(
        f"/channels/{hook.id}",
        data=_form(
            name="Renamed hook",
            **{"settings.url": "http://127.0.0.1:9/other", "credentials.secret": NEW_SECRET},
            daily_limit="2",
            rate_per_minute="5",
            weekdays=["mon", "tue"],
        ),
    )

    assert response.status_code == 303 and response.location.endswith(f"/channels/{hook.id}")
    db.session.expire_all()
    assert (hook.name, hook.settings) == ("Renamed hook", {"url": "http://127.0.0.1:9/other"})
    assert hook.rules == {"weekdays": ["mon", "tue"], "daily_limit": 2, "rate_per_minute": 5}
    assert decrypt_credentials(hook.credentials_encrypted) == {"secret": NEW_SECRET}
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (event.action, event.target_id, event.source) == ("channel.updated", hook.id, "ui")
    page = client.get(f"/channels/{hook.id}").get_data(as_text=True)
    assert NEW_SECRET not in page and OLD_SECRET not in page


def test_a_blank_secret_keeps_the_stored_one(client, hook):
    client.post(f"/channels/{hook.id}", data=_form(name="Kept secret", **{"credentials.secret": ""}))
    db.session.expire_all()
    assert hook.name == "Kept secret"
    assert decrypt_credentials(hook.credentials_encrypted) == {"secret": OLD_SECRET}


@pytest.mark.parametrize(
    ("overrides", "field_id", "message"),
    [
        ({"settings.url": "not a url"}, "settings.url-error", "Webhook URL"),
        ({"name": ""}, "name-error", "Name"),
        ({"time_slots": "9am"}, "time_slots-error", "HH:MM"),
        ({"timezone": "Mars/Base"}, "timezone-error", "Timezone"),
    ],
)
def test_a_bad_edit_shows_the_error_beside_the_field_and_changes_nothing(client, hook, overrides, field_id, message):
    response = client.post(
        f"/channels/{hook.id}",
        data=_form(**{"name": "Should not stick", **overrides, "credentials.secret": NEW_SECRET}),
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field_id}"' in html and message in html
    assert NEW_SECRET not in html
    db.session.expire_all()
    assert hook.name == "Blog hook" and decrypt_credentials(hook.credentials_encrypted) == {"secret": OLD_SECRET}


def test_a_name_another_channel_has_is_refused_beside_the_name(client, hook, make, ada):
    make.channel(ada, name="Taken")
    response = client.post(f"/channels/{hook.id}", data=_form(name="Taken"))
    assert response.status_code == 422 and "already used by another channel" in response.get_data(as_text=True)


def test_pause_and_resume_from_the_page_hold_and_release_and_show_the_state(client, hook, make, ada):
    pending = _pending(make, ada, hook)

    response = client.post(f"/channels/{hook.id}/pause", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "paused</span> since" in html and "1 publication is held" in html
    assert "Resume the 1 held publication" in html
    db.session.expire_all()
    assert pending.status == "paused" and pending.hold_reason == failures.PAUSE_HOLD
    assert "paused</span> since" in client.get("/channels/").get_data(as_text=True)  # on its row too

    client.post(f"/channels/{hook.id}/resume")

    db.session.expire_all()
    assert hook.paused_at is None and pending.status == "scheduled"
    assert "Pause channel" in client.get(f"/channels/{hook.id}").get_data(as_text=True)


def test_after_new_credentials_the_page_offers_to_resume_the_held_publications(client, hook, make, ada):
    pending = _pending(make, ada, hook)
    failures.on_auth_error(pending, "401 bad signature")
    db.session.commit()

    response = client.post(
        f"/channels/{hook.id}", data=_form(**{"credentials.secret": NEW_SECRET}), follow_redirects=True
    )

    html = response.get_data(as_text=True)
    assert "1 held publication(s) wait" in html and "Resume the 1 held publication" in html
    client.post(f"/channels/{hook.id}/resume")
    db.session.expire_all()
    assert pending.status == "scheduled" and hook.health == "unknown"


def test_a_held_publication_and_the_channel_alert_link_to_the_channel_page(client, hook, make, ada):
    pending = _pending(make, ada, hook)
    failures.on_auth_error(pending, "401 bad signature")
    db.session.commit()

    detail = client.get(f"/publications/{pending.id}").get_data(as_text=True)
    assert f'<a href="/channels/{hook.id}#edit">fix the credentials</a>' in detail
    assert f'<a href="/channels/{hook.id}">Blog hook</a>' in detail
    assert db.session.query(Alert).filter_by(channel_id=hook.id).count() == 1
    alerts = client.get("/alerts/").get_data(as_text=True)
    assert f'href="/channels/{hook.id}#platform-fields"' in alerts  # the credentials fields themselves


def test_delete_with_pending_publications_is_refused_beside_the_choice_then_done_when_chosen(client, hook, make, ada):
    pending = _pending(make, ada, hook)
    page = client.get(f"/channels/{hook.id}").get_data(as_text=True)
    assert "1 pending publication" in page and "Cancel its 1 pending publication" in page

    refused = client.post(f"/channels/{hook.id}/delete", data={})

    assert refused.status_code == 409
    assert 'id="pending-error"' in refused.get_data(as_text=True)
    db.session.expire_all()
    assert hook.archived_at is None and pending.status == "scheduled"

    done = client.post(f"/channels/{hook.id}/delete", data={"pending": "cancel"})

    assert done.status_code == 303 and done.location.endswith("/channels/")
    db.session.expire_all()
    assert pending.status == "cancelled" and hook.archived_at is not None
    assert "Blog hook" not in client.get("/channels/", headers=HX).get_data(as_text=True)
    assert client.get(f"/channels/{hook.id}").status_code == 404
    detail = client.get(f"/publications/{pending.id}").get_data(as_text=True)
    assert f"Blog hook (deleted #{hook.id})" in detail and f'href="/channels/{hook.id}"' not in detail


def test_an_open_circuit_shows_until_when_and_the_reset_button_closes_it(client, hook, app, monkeypatch):
    monkeypatch.setitem(app.config, "BREAKER_FAILURES", 1)
    monkeypatch.setitem(app.config, "BREAKER_COOLOFF_S", 600)
    throttle.failed(hook.id)

    html = client.get(f"/channels/{hook.id}").get_data(as_text=True)
    assert "open</span> until" in html and "Reset circuit breaker" in html

    client.post(f"/channels/{hook.id}/breaker/reset")

    html = client.get(f"/channels/{hook.id}").get_data(as_text=True)
    assert "circuit:</span>\nclosed" in html and "Reset circuit breaker" not in html


def test_the_live_refresh_gets_only_the_state_or_only_the_rows(client, hook):
    state = client.get(f"/channels/{hook.id}", headers=HX).get_data(as_text=True)
    assert state.lstrip().startswith('<section id="channel-state"') and "Save channel" not in state
    rows = client.get("/channels/", headers=HX).get_data(as_text=True)
    assert rows.lstrip().startswith('<section id="channel-list"') and "Add a channel" not in rows
    page = client.get(f"/channels/{hook.id}").get_data(as_text=True)
    assert f"sse:channel-{hook.id}" in page and "sse:publication" in page


def test_a_viewer_sees_the_state_but_no_form_or_button(client, auth, hook, ada):
    auth.sign_out()
    auth.sign_up("vera@example.test")
    vera = accounts.find_user("vera@example.test")
    db.session.add(Membership(workspace_id=ada.workspace_id, user_id=vera.id, role="viewer"))
    db.session.commit()
    workspaces.switch_workspace(vera, ada.workspace_id)

    html = client.get(f"/channels/{hook.id}").get_data(as_text=True)

    assert "circuit:" in html and "Save channel" not in html and "Delete channel" not in html
    assert client.post(f"/channels/{hook.id}/pause").status_code == 403


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("GET", ""),
        ("POST", ""),
        ("POST", "/pause"),
        ("POST", "/resume"),
        ("POST", "/breaker/reset"),
        ("POST", "/delete"),
    ],
)
def test_another_workspace_s_member_gets_404_on_every_channel_page(client, auth, make, method, suffix):
    owner = make.actor()
    channel = make.channel(owner, name="Theirs")
    auth.sign_up("mallory@example.test")

    response = client.open(f"/channels/{channel.id}{suffix}", method=method, data={"pending": "cancel"})

    assert response.status_code == 404
    row = db.session.get(Channel, channel.id)
    assert (row.name, row.paused_at, row.archived_at) == ("Theirs", None, None)


def test_a_deleted_channel_s_name_is_free_again(client, hook, ada):
    client.post(f"/channels/{hook.id}/delete", data={})
    response = client.post(
        "/channels/",
        data={"name": "Blog hook", "platform": "webhook", "settings.url": "http://127.0.0.1:9/h", "timezone": "UTC",
              "credentials.secret": "another-secret-1"},
    )  # fmt: skip
    assert response.status_code == 303
    assert [c.name for c in channels.list_channels(ada)] == ["Blog hook"]


def test_the_page_says_how_many_wait_for_the_rate_limit_and_when_the_next_token_comes(
    client, hook, make, ada, monkeypatch
):
    monkeypatch.setattr(throttle, "clock", lambda: NOW.timestamp())
    channels.update_channel(ada, hook.id, {"rules": {"rate_per_minute": 2}})
    waiting = _pending(make, ada, hook)
    waiting.status, waiting.hold_reason = "retrying", f"{throttle.RATE_WAIT} 10:00:30 UTC"
    db.session.commit()
    for _ in range(3):  # two tokens a minute: the third is owed
        throttle.take_token(f"channel:{hook.id}", 2, NOW.timestamp())

    html = client.get(f"/channels/{hook.id}").get_data(as_text=True)

    assert "2/min" in html and "1 waiting</span>" in html
    assert 'next token at <time datetime="2030-12-02T10:01:00Z"' in html


def test_saving_or_pausing_tells_live_pages_the_channel_changed(client, hook, ada):
    client.post(f"/channels/{hook.id}", data=_form(name="Announced"))
    client.post(f"/channels/{hook.id}/pause")
    names = [json.loads(payload) for _, payload in events.replay(ada.workspace_id, "0-0")]
    assert [e for e in names if e["name"] == "channel"] == [{"name": "channel", "id": hook.id}] * 2
