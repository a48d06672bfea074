"""A workspace's own destination: set by an owner, audited, told the kinds it chose, and nobody else's."""

import pytest

from tests.adapters.receiver import Receiver
from tests.mailbox import deliver_queued_mail, smtp_server_fixture  # noqa: F401
from webapp.core.errors import Forbidden, ValidationFailed
from webapp.domain.integrations import notifications
from webapp.domain.integrations.notifications import sender
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.models import AuditEvent, Notification, WorkspaceNotificationSettings


@pytest.fixture
def team_hook():
    with Receiver() as r:
        yield r


def _set(actor, **data):
    return notifications.update_destination(actor, {"kinds": ["failure", "channel_unhealthy"], **data})


def test_an_owner_sets_the_destination_the_url_is_stored_encrypted_and_the_change_audited(make, team_hook):
    owner = make.actor(role="owner")

    stored = _set(owner, slack_url=team_hook.url, email_address="team@example.test")

    assert team_hook.url not in stored.slack_url_encrypted
    assert stored.kinds == ["failure", "channel_unhealthy"] and stored.updated_by_id == owner.user_id
    [event] = db.session.query(AuditEvent).filter_by(action="workspace.notifications_updated").all()
    assert event.workspace_id == owner.workspace_id and team_hook.url not in str(event.details)


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_only_an_owner_may_change_it(make, role):
    owner = make.actor(role="owner")
    _set(owner, email_address="team@example.test")
    member = make.member(owner, role)

    with pytest.raises(Forbidden):
        _set(member, email_address="mine@example.test")

    db.session.expire_all()
    assert notifications.read_destination(member).email_address == "team@example.test"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email_address": "not an address"}, "email_address"),
        ({"kinds": ["digest"]}, "kinds"),  # a team has no digest hour
        ({"kinds": "failure"}, "kinds"),
        ({"slack_url": "ftp://hooks.example.test/x"}, "slack_url"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(make, data, field):
    owner = make.actor(role="owner")

    with pytest.raises(ValidationFailed) as caught:
        notifications.update_destination(owner, data)

    assert field in caught.value.fields
    assert db.session.query(WorkspaceNotificationSettings).count() == 0


def test_an_empty_url_removes_it_and_an_absent_one_keeps_it(make, team_hook):
    owner = make.actor(role="owner")
    _set(owner, slack_url=team_hook.url)

    assert _set(owner).slack_url_encrypted is not None
    assert _set(owner, slack_url="").slack_url_encrypted is None


def test_the_workspace_s_webhook_and_team_email_get_its_kinds_now_whatever_anyone_s_quiet_hours(
    make, team_hook, smtp_server, app, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://herald.example.test")
    owner = make.actor(role="owner")
    _set(owner, slack_url=team_hook.url, email_address="team@example.test")
    channel = make.channel(owner, name="blog")
    channel_id = channel.id

    alerts.raise_alert(owner.workspace_id, "channel_unhealthy", "Channel blog rejected", channel_id=channel.id)
    alerts.raise_alert(owner.workspace_id, "missed", "not chosen")
    db.session.commit()
    deliver_queued_mail()

    [request] = team_hook.requests
    assert request.json()["text"] == f"Channel blog rejected\n\nhttps://herald.example.test/channels/{channel_id}#edit"
    [mail] = smtp_server.messages
    assert mail["To"] == "team@example.test" and "Channel blog rejected" in mail["Subject"]
    assert {n.user_id for n in db.session.query(Notification)} == {None}
    assert {n.status for n in db.session.query(Notification)} == {"sent"}


def test_another_workspace_s_alerts_never_reach_this_destination(make, team_hook):
    owner, outsider = make.actor(role="owner"), make.actor(role="owner")
    _set(owner, slack_url=team_hook.url)

    alerts.raise_alert(outsider.workspace_id, "failure", "theirs")
    db.session.commit()
    deliver_queued_mail()

    assert team_hook.requests == [] and db.session.query(Notification).count() == 0
    assert notifications.read_destination(outsider).id is None


def test_a_removed_destination_fails_its_pending_message_with_the_reason(make, team_hook):
    owner = make.actor(role="owner")
    _set(owner, slack_url=team_hook.url)
    alerts.raise_alert(owner.workspace_id, "failure", "x")
    db.session.commit()
    [pending] = db.session.query(Notification).all()
    _set(owner, slack_url="")

    assert sender.deliver(pending.id) == "failed"
    assert "no Slack webhook URL" in db.session.get(Notification, pending.id).last_error
