"""Alerts arrive live: raising or reading one announces an `alert` event once it commits, never before."""

from __future__ import annotations

import json

from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra.live import events


def alert_events(workspace_id: int) -> list[dict]:
    return [json.loads(payload) for _, payload in events.replay(workspace_id, "0")]


def test_a_pre_flight_alert_is_announced_to_the_workspace_once_committed(ada, make):
    other = make.actor()
    alerts.raise_alert(ada.workspace_id, "preflight", "channel blog has no credentials")
    assert alert_events(ada.workspace_id) == []  # not before the commit: a re-fetch would not find it yet

    db.session.commit()

    assert [e["name"] for e in alert_events(ada.workspace_id)] == ["alert"]
    assert alert_events(other.workspace_id) == []


def test_a_rolled_back_alert_is_never_announced(ada):
    alerts.raise_alert(ada.workspace_id, "preflight", "never mind")
    db.session.rollback()
    db.session.commit()

    assert alert_events(ada.workspace_id) == []


def test_marking_read_is_announced_so_other_tabs_lower_their_count(client, ada):
    alerts.raise_alert(ada.workspace_id, "failure", "it failed")
    db.session.commit()

    client.post("/alerts/read", data={"all": "1"})

    assert [e["name"] for e in alert_events(ada.workspace_id)] == ["alert", "alert"]


def test_the_badge_and_the_alert_center_listen_for_it(client, ada):
    alerts.raise_alert(ada.workspace_id, "failure", "it failed")
    db.session.commit()

    assert 'hx-trigger="load, sse:publication, sse:alert"' in client.get("/").get_data(as_text=True)
    assert 'hx-trigger="sse:publication, sse:alert"' in client.get("/alerts/").get_data(as_text=True)
