"""Domain signals fire inside the transaction that records the moment."""

from __future__ import annotations

from webapp.core import signals
from webapp.domain.shared import alerts
from webapp.extensions import db


def test_alert_raised_is_sent_with_the_alert(app, make):
    workspace_id = make.actor().workspace_id
    seen = []

    def receiver(alert):
        seen.append((alert.kind, alert.message))

    signals.alert_raised.connect(receiver)
    try:
        alerts.raise_alert(workspace_id, "missed", "run skipped")
    finally:
        signals.alert_raised.disconnect(receiver)
    assert seen == [("missed", "run skipped")]


def test_suppressed_alert_sends_nothing(app, make):
    workspace_id = make.actor().workspace_id
    alerts.raise_alert(workspace_id, "failure", "first", once_per_s=60)
    db.session.commit()
    seen = []
    signals.alert_raised.connect(seen.append)
    try:
        assert alerts.raise_alert(workspace_id, "failure", "second", once_per_s=60) is None
    finally:
        signals.alert_raised.disconnect(seen.append)
    assert seen == []
