"""What the pages offer is what the state machines allow: every status, every action, tried for real.

The views render exactly `lifecycle.actions_for(status)` (publication detail), `lifecycle.schedule_actions_for`
(schedule rows), `schedules.may_queue` (content rows) and `outbound_webhooks.may_redeliver` (the delivery log).
Each table is checked here against the function that would refuse the action, so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.core.errors import Conflict, ValidationFailed
from webapp.domain.integrations import outbound_webhooks, subscriptions
from webapp.domain.publishing import lifecycle, rescheduling, schedules
from webapp.extensions import db
from webapp.models import (
    EditorialStatus,
    PublicationStatus,
    Schedule,
    ScheduleStatus,
    WebhookDelivery,
    utcnow,
)

# The detail page's buttons before they were derived (views/publications.py ACTIONS_FOR): the pages must not change.
SHOWN_BEFORE = {
    "scheduled": ("pause", "cancel"),
    "queued": ("pause", "cancel"),
    "retrying": ("pause", "cancel"),
    "paused": ("resume", "cancel"),
    "failed": ("retry", "delete"),
    "unconfirmed": ("retry", "cancel"),
    "published": ("delete",),
    "cancelled": ("delete",),
    "missed": ("delete",),
}


@pytest.fixture
def actor(make):
    return make.actor(role="owner")


def test_every_transition_has_its_allowed_statuses_and_a_page_endpoint(app):
    assert set(lifecycle.ALLOWED_FROM) == set(lifecycle.TRANSITIONS)
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert {f"publications.{action}" for action in lifecycle.TRANSITIONS} <= endpoints
    assert {f"schedules.{action}" for action in lifecycle.SCHEDULE_ALLOWED_FROM} <= endpoints


@pytest.mark.parametrize("status", [s.value for s in PublicationStatus])
def test_actions_for_a_publication_are_the_transitions_that_do_not_refuse_it(make, actor, status):
    publication = make.publication(actor, make.content(actor))
    allowed = []
    for action, transition in lifecycle.TRANSITIONS.items():
        publication.status = status
        try:
            transition(publication, lifecycle.Work())
        except Conflict:
            pass
        else:
            allowed.append(action)
        db.session.rollback()  # the Work is never committed: nothing changes, in the database or in Redis

    assert lifecycle.actions_for(status) == tuple(allowed)
    assert lifecycle.actions_for(status) == SHOWN_BEFORE.get(status, ())


SCHEDULE_CALLS = {
    "pause": lifecycle.pause_schedule,
    "resume": lifecycle.resume_schedule,
    "cancel": lifecycle.cancel_schedule,
    "clone": rescheduling.clone_schedule,
    "delete": lifecycle.delete_schedule,
}


@pytest.mark.parametrize("status", [s.value for s in ScheduleStatus])
def test_actions_for_a_schedule_are_those_its_functions_carry_out(make, actor, status):
    content, channel = make.content(actor), make.channel(actor)
    assert set(SCHEDULE_CALLS) == set(lifecycle.SCHEDULE_ALLOWED_FROM)
    allowed = []
    for action, call in SCHEDULE_CALLS.items():
        data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
        schedule_id = schedules.create_schedule(actor, data).id
        db.session.get(Schedule, schedule_id).status = status
        db.session.commit()
        try:
            call(actor, schedule_id)
        except Conflict:
            db.session.rollback()
        else:
            allowed.append(action)

    assert lifecycle.schedule_actions_for(status) == tuple(allowed)


@pytest.mark.parametrize("status", [s.value for s in EditorialStatus])
def test_content_is_offered_for_a_queue_exactly_when_the_queue_takes_it(make, actor, status):
    content = make.content(actor, status=status)
    channel = make.channel(actor, rules={"time_slots": ["09:00", "17:30"]})
    try:
        schedules.add_to_queue(actor, channel.id, content.id)
    except ValidationFailed as exc:
        assert set(exc.fields) == {"content_id"}
        taken = False
    else:
        taken = True

    assert schedules.may_queue(status) is taken


@pytest.mark.parametrize("status", ["pending", "sending", "delivered", "failed"])
def test_a_delivery_is_offered_for_redelivery_exactly_when_it_can_be_sent_again(actor, status):
    subscription, _ = subscriptions.create_subscription(actor, "https://example.com/hook", ["publication.published"])
    delivery = WebhookDelivery(
        subscription_id=subscription.id,
        workspace_id=actor.workspace_id,
        event="publication.published",
        event_id=f"event-{status}",
        payload="{}",
        status=status,
        attempts=1,
    )
    db.session.add(delivery)
    db.session.commit()
    try:
        outbound_webhooks.redeliver(actor, delivery.id)
    except Conflict:
        sent_again = False
    else:
        sent_again = True

    assert outbound_webhooks.may_redeliver(status) is sent_again
    assert sent_again is (status in ("delivered", "failed"))  # what the delivery log offered before
