"""The alerts work list: open-alerts badge, filters, mark as read, links to what failed."""

import pytest

from webapp.extensions import db
from webapp.models import Alert, Membership, User

HX = {"HX-Request": "true"}


@pytest.fixture
def alerts(client, auth):
    auth.sign_up("ada@example.test")
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    workspace_id = db.session.query(Membership).filter_by(user_id=user.id).one().workspace_id
    rows = [
        Alert(workspace_id=workspace_id, kind="failure", message="Post #1 failed: 400", publication_id=None),
        Alert(workspace_id=workspace_id, kind="missed", message="Post #2 missed its time"),
        Alert(workspace_id=workspace_id, kind="channel_unhealthy", message="Blog rejected its credentials"),
    ]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_badge_counts_open_alerts(client, alerts):
    alerts[0].resolved_at = alerts[0].created_at
    db.session.commit()

    html = client.get("/alerts/badge", headers=HX).get_data(as_text=True)

    assert 'aria-label="Alerts, 2 open"' in html and '<span class="badge">2</span>' in html


def test_the_center_filters_by_kind(client, alerts):
    html = client.get("/alerts/?kind=missed").get_data(as_text=True)

    assert "missed its time" in html and "failed: 400" not in html


def test_marking_selected_alerts_read(client, alerts):
    response = client.post("/alerts/read", data={"ids": [str(alerts[0].id)]})

    assert response.status_code == 303
    assert db.session.get(Alert, alerts[0].id).read_at is not None
    assert db.session.get(Alert, alerts[1].id).read_at is None
    assert "3 open" in client.get("/alerts/badge", headers=HX).get_data(as_text=True)  # read is not resolved


def test_marking_all_read(client, alerts):
    client.post("/alerts/read", data={"all": "1"})

    assert db.session.query(Alert).filter(Alert.read_at.is_(None)).count() == 0


def test_another_workspace_cannot_mark_or_see_these_alerts(client, auth, alerts):
    auth.sign_out()
    auth.sign_up("bob@example.test")

    client.post("/alerts/read", data={"all": "1"})

    assert "Nothing needs your attention" in client.get("/alerts/").get_data(as_text=True)
    assert db.session.query(Alert).filter(Alert.read_at.is_(None)).count() == 3


def test_an_alert_about_a_deleted_channel_names_it_without_a_dead_link(client, auth, make):
    from webapp.domain.publishing import channel_control
    from webapp.domain.shared.actor import Actor

    auth.sign_up("ada@example.test")
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    workspace_id = db.session.query(Membership).filter_by(user_id=user.id).one().workspace_id
    actor = Actor(user.id, workspace_id, "owner", "ui")
    live, gone = make.channel(actor, name="Live"), make.channel(actor, name="Gone")
    db.session.add_all(
        [
            Alert(workspace_id=workspace_id, kind="channel_unhealthy", message="Live rejected", channel_id=live.id),
            Alert(workspace_id=workspace_id, kind="channel_unhealthy", message="Gone rejected", channel_id=gone.id),
        ]
    )
    db.session.commit()
    channel_control.delete_channel(actor, gone.id)

    html = client.get("/alerts/?status=all").get_data(as_text=True)

    assert f'href="/channels/{live.id}#platform-fields"' in html
    assert f"channel #{gone.id} (deleted)" in html and f'href="/channels/{gone.id}' not in html
