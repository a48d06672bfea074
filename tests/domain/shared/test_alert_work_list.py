"""Alerts as a work list: resolve and reopen (who, when, audited), and alerts that resolve themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.frozen import frozen_clock
from webapp.core.errors import Conflict, Forbidden, NotFound
from webapp.domain.channels import channels
from webapp.domain.operations import bulk
from webapp.domain.publishing import channel_control, reconcile
from webapp.domain.shared import alert_causes, alerts
from webapp.extensions import db
from webapp.models import Alert, AuditEvent, Channel, PublicationStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_clock = frozen_clock(NOW)


@pytest.fixture
def owner(make):
    return make.actor(source="ui")


def _alert(actor, kind="failure", **target) -> Alert:
    alert = alerts.raise_alert(actor.workspace_id, kind, f"{kind} happened", **target)
    db.session.commit()
    return alert


def _state(alert_id: int) -> tuple:
    db.session.expire_all()
    alert = db.session.get(Alert, alert_id)
    return alert.resolved_at, alert.resolved_by_id


def test_a_person_resolves_an_alert_with_their_name_and_the_time_and_it_is_audited(owner):
    alert = _alert(owner)

    alerts.resolve(owner, alert.id)

    assert _state(alert.id) == (NOW, owner.user_id)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alert.resolved")).one()
    assert (event.target_type, event.target_id, event.actor_user_id) == ("alert", alert.id, owner.user_id)


def test_reopening_puts_it_back_on_the_work_list_and_is_audited(owner):
    alert = _alert(owner)
    alerts.resolve(owner, alert.id)

    alerts.reopen(owner, alert.id)

    assert _state(alert.id) == (None, None)
    assert alerts.open_count(owner) == 1
    assert db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.target_type == "alert").order_by(AuditEvent.id)
    ).all() == [
        "alert.resolved",
        "alert.reopened",
    ]


def test_resolving_a_resolved_alert_or_reopening_an_open_one_is_a_conflict(owner):
    alert = _alert(owner)
    with pytest.raises(Conflict):
        alerts.reopen(owner, alert.id)
    alerts.resolve(owner, alert.id)
    with pytest.raises(Conflict):
        alerts.resolve(owner, alert.id)


def test_another_workspace_s_alert_is_not_found_and_a_viewer_may_not_resolve(owner, make):
    alert = _alert(owner)
    with pytest.raises(NotFound):
        alerts.resolve(make.actor(), alert.id)
    with pytest.raises(Forbidden):
        alerts.resolve(make.member(owner, "viewer"), alert.id)
    assert _state(alert.id) == (None, None)


def test_the_list_filters_open_and_resolved(owner):
    done, waiting = _alert(owner), _alert(owner, "missed")
    alerts.resolve(owner, done.id)

    assert [a.id for a in alerts.list_alerts(owner, status="open")] == [waiting.id]
    assert [a.id for a in alerts.list_alerts(owner, status="resolved")] == [done.id]
    assert {a.id for a in alerts.list_alerts(owner, status="all")} == {done.id, waiting.id}


def test_a_resolved_cause_that_comes_back_raises_a_new_alert_despite_the_cool_off(owner):
    first = alerts.raise_alert(owner.workspace_id, "preflight", "no credentials", once_per_s=3600)
    db.session.commit()
    assert alerts.raise_alert(owner.workspace_id, "preflight", "no credentials", once_per_s=3600) is None
    alerts.resolve(owner, first.id)

    assert alerts.raise_alert(owner.workspace_id, "preflight", "no credentials", once_per_s=3600) is not None


# --- resolving themselves ------------------------------------------------------------------------------


def test_a_publication_published_after_an_earlier_attempt_resolves_its_alerts_by_itself(owner, make):
    publication = make.publication(owner, make.content(owner))
    failure = _alert(owner, publication_id=publication.id, channel_id=publication.channel_id)
    conflict = _alert(owner, "conflict", channel_id=publication.channel_id)

    publication.attempts_count, publication.status = 2, PublicationStatus.PUBLISHED.value
    db.session.commit()

    assert _state(failure.id) == (NOW, None)  # no one's name: it resolved itself
    assert _state(conflict.id) == (None, None)  # not a cause a publish ends


def test_a_first_attempt_publish_costs_no_query_and_the_sweep_resolves_a_pre_flight_warning(owner, make):
    publication = make.publication(owner, make.content(owner))
    warning = _alert(owner, "preflight", publication_id=publication.id, channel_id=publication.channel_id)

    publication.attempts_count, publication.status = 1, PublicationStatus.PUBLISHED.value
    db.session.commit()
    assert _state(warning.id) == (None, None)

    assert reconcile.reconcile()["alerts_resolved"] == 1  # the reconciler's periodic sweep
    assert _state(warning.id) == (NOW, None)
    assert alert_causes.resolve_stale() == 0


def test_cancelling_publications_resolves_their_alerts_in_one_statement(owner, make):
    content = make.content(owner)
    first, second = make.publication(owner, content), make.publication(owner, content)
    ids = [_alert(owner, "preflight", publication_id=p.id).id for p in (first, second)]

    result = bulk.run_bulk(owner, "cancel", ids=[first.id, second.id])

    assert result["changed"] == 2
    assert [_state(i) for i in ids] == [(NOW, None), (NOW, None)]


def test_a_channel_that_checks_healthy_again_resolves_its_health_alerts(owner, make):
    channel = make.channel(owner)
    channel.health = "unhealthy"
    db.session.commit()
    unhealthy = _alert(owner, "channel_unhealthy", channel_id=channel.id)
    stuck = _alert(owner, "needs_intervention", channel_id=channel.id)

    db.session.get(Channel, channel.id).health = "healthy"
    db.session.commit()

    assert [_state(unhealthy.id), _state(stuck.id)] == [(NOW, None), (NOW, None)]


def test_new_credentials_resolve_the_rejected_credentials_alert(owner, make):
    channel = make.channel(owner)
    rejected = _alert(owner, "channel_unhealthy", channel_id=channel.id)

    channels.update_channel(owner, channel.id, {"credentials": {"secret": "a-new-one"}})

    assert _state(rejected.id) == (NOW, None)


def test_resuming_a_paused_channel_resolves_its_held_alert_and_deleting_one_resolves_all(owner, make):
    channel = make.channel(owner)
    channel_control.pause_channel(owner, channel.id)
    held = _alert(owner, "channel_held", channel_id=channel.id)
    channel_control.resume_channel(owner, channel.id)
    assert _state(held.id) == (NOW, None)

    conflict = _alert(owner, "conflict", channel_id=channel.id)
    channel_control.delete_channel(owner, channel.id)
    assert _state(conflict.id) == (NOW, None)


def test_a_channel_held_by_its_circuit_resolves_once_it_publishes_again_but_not_while_paused(owner, make):
    content = make.content(owner)
    tripped, paused = make.publication(owner, content), make.publication(owner, content, channel=make.channel(owner))
    channel_control.pause_channel(owner, paused.channel_id)
    held = {p.id: _alert(owner, "channel_held", channel_id=p.channel_id).id for p in (tripped, paused)}
    assert alert_causes.resolve_stale() == 0  # nothing has gone through since

    for publication in (tripped, paused):
        publication.attempts_count, publication.status = 1, PublicationStatus.PUBLISHED.value
        publication.finished_at = NOW + timedelta(minutes=1)
    db.session.commit()

    assert alert_causes.resolve_stale() == 1  # the circuit closed: a publish went through after the alert
    db.session.commit()
    assert _state(held[tripped.id]) == (NOW, None)
    assert _state(held[paused.id]) == (None, None)  # still paused: still held
