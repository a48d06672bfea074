"""The workspace's own channel on the notifications page: an owner's form; others see what is set, never the URL."""

import pytest
from markupsafe import escape

from tests.adapters.receiver import Receiver
from webapp.domain.integrations import notifications
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, User, WorkspaceNotificationSettings

PAGE = "/settings/notifications/"


@pytest.fixture
def team_hook():
    with Receiver() as r:
        yield r


@pytest.fixture
def owner(client, auth, make):
    auth.sign_up("ada@example.test")
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    return make.actor(user)


def _as_member(client, auth, owner, make, role):
    member = make.member(owner, role)
    user = db.session.get(User, member.user_id)
    db.session.query(Membership).filter_by(user_id=user.id).filter(
        Membership.workspace_id != owner.workspace_id
    ).delete()
    user.last_workspace_id = owner.workspace_id
    db.session.commit()
    auth.sign_out()
    auth.sign_in(user.email)
    return member


def test_an_owner_saves_the_team_channel_and_its_url_is_never_shown_back(client, owner, team_hook):
    response = client.post(
        f"{PAGE}workspace",
        data={"email_address": "team@example.test", "slack_url": team_hook.url, "kinds": ["failure", "preflight"]},
    )

    assert response.status_code == 303 and response.headers["Location"].endswith(f"{PAGE}#workspace")
    stored = db.session.query(WorkspaceNotificationSettings).one()
    assert stored.workspace_id == owner.workspace_id and stored.kinds == ["failure", "preflight"]
    page = client.get(PAGE).get_data(as_text=True)
    assert team_hook.url not in page and "A team URL is stored, encrypted" in page
    assert 'value="team@example.test"' in page
    assert db.session.query(AuditEvent).filter_by(action="workspace.notifications_updated").count() == 1


def test_a_bad_address_is_shown_beside_its_field_and_nothing_is_saved(client, owner):
    response = client.post(f"{PAGE}workspace", data={"email_address": "nope", "kinds": ["failure"]})

    assert response.status_code == 422
    assert "must be an email address" in response.get_data(as_text=True)
    assert db.session.query(WorkspaceNotificationSettings).count() == 0


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_a_member_who_is_not_an_owner_sees_what_is_set_and_may_not_change_it(
    client, auth, owner, make, team_hook, role
):
    notifications.update_destination(owner, {"slack_url": team_hook.url, "kinds": ["missed"]})
    _as_member(client, auth, owner, make, role)

    page = client.get(PAGE).get_data(as_text=True)
    assert "<dt>Team webhook</dt><dd>set</dd>" in page and "a run was missed" in page
    assert team_hook.url not in page and "Save the workspace" not in page

    response = client.post(f"{PAGE}workspace", data={"slack_url": "", "remove_slack": "y", "kinds": []})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.query(WorkspaceNotificationSettings).one().slack_url_encrypted is not None


def test_the_page_lists_every_kind_a_person_must_act_on(client, owner):
    page = client.get(PAGE).get_data(as_text=True)

    for label in notifications.KINDS.values():
        assert f"{escape(label)}</label>" in page
