"""Every alert a person must act on leaves the app: each kind becomes messages, linking to where the fix is made."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.adapters.receiver import Receiver
from tests.mailbox import deliver_queued_mail
from webapp.domain.content import approvals
from webapp.domain.integrations import notifications
from webapp.domain.integrations.notifications import sender
from webapp.domain.operations import scheduler_watch
from webapp.domain.publishing import channel_control, failures, preflight, publisher, throttle
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.queues import get_redis
from webapp.models import Alert, Notification, User, utcnow

BASE = "https://herald.example.test"
HOOK = "https://hooks.example.test/services/T0/B0/x"


def _wants(actor, *kinds, **values):
    return notifications.update_settings(actor, {"kinds": list(kinds), "slack_url": HOOK, **values})


def _told(kind: str) -> list[Notification]:
    db.session.expire_all()
    return db.session.query(Notification).filter_by(kind=kind).order_by(Notification.id).all()


def _run(publication) -> str:
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    return publisher.execute(publication.id)


@pytest.fixture(autouse=True)
def public_url(app, monkeypatch):
    """Links start with the configured base URL (PUBLIC_URL)."""
    monkeypatch.setitem(app.config, "PUBLIC_URL", BASE)


@pytest.fixture
def platform():
    with Receiver() as r:
        yield r


def test_rejected_credentials_are_told_with_a_link_to_the_channel_s_edit_form(make, platform):
    actor = make.actor()
    _wants(actor, "channel_unhealthy")
    platform.respond(401, body={"error": "bad signature"})
    channel = make.channel(actor, url=platform.url, name="blog")
    publication = make.publication(actor, make.content(actor), channel)

    assert _run(publication) == "paused"

    [told] = _told("channel_unhealthy")
    assert told.link == f"{BASE}/channels/{channel.id}#edit"
    assert "Channel blog rejected its credentials" in told.subject and told.text.endswith(told.link)


def test_the_channel_page_has_the_anchor_the_messages_link_to(client, auth, make):
    auth.sign_up("ada@example.test")
    user = db.session.query(User).filter_by(email="ada@example.test").one()
    channel = make.channel(make.actor(user))

    html = client.get(f"/channels/{channel.id}").get_data(as_text=True)

    assert 'id="edit"' in html and 'autocomplete="new-password"' in html  # the edit form, its credentials field


def test_a_post_due_on_a_paused_channel_is_held_and_told_once_per_cool_off(make):
    actor = make.actor()
    _wants(actor, "channel_held")
    channel = make.channel(actor, name="shop")
    first = make.publication(actor, make.content(actor), channel)
    second = make.publication(actor, make.content(actor), channel)
    channel_control.pause_channel(actor, channel.id)
    for publication in (first, second):  # came due while paused (pausing held the ones waiting then)
        publication.status, publication.hold_reason = "queued", None
    db.session.commit()

    assert publisher.execute(first.id) == "held" and publisher.execute(second.id) == "held"

    [told] = _told("channel_held")
    assert told.link == f"{BASE}/channels/{channel.id}#edit"
    assert "Channel shop is paused: its due posts are held" in told.text


def test_an_open_circuit_holds_the_channel_and_is_told_but_a_rate_limit_wait_is_not(make, monkeypatch):
    actor = make.actor()
    _wants(actor, "channel_held")
    channel = make.channel(actor, name="blog")
    publication = make.publication(actor, make.content(actor), channel)
    waits = iter([f"{throttle.RATE_WAIT} 10:00:00 UTC", f"{throttle.CIRCUIT_WAIT} until 10:05:00 UTC"])
    monkeypatch.setattr(
        throttle,
        "admit",
        lambda *a, **k: throttle.Admission(until=utcnow() + timedelta(minutes=1), reason=next(waits)),
    )

    assert _run(publication) == "waiting"
    assert _told("channel_held") == []
    publication.status = "queued"
    db.session.commit()
    assert publisher.execute(publication.id) == "waiting"

    [told] = _told("channel_held")
    assert "circuit open" in told.text and told.link.endswith(f"/channels/{channel.id}#edit")


def test_a_pre_flight_problem_links_to_the_content_and_names_the_schedule(make):
    actor = make.actor()
    _wants(actor, "preflight")
    channel = make.channel(actor, name="blog")
    publication = make.publication(actor, make.content(actor), channel, run_at=utcnow() + timedelta(minutes=3))
    channel.health, channel.health_message = "needs_intervention", "repeated failures"
    db.session.commit()

    assert preflight.run() == 1

    [told] = _told("preflight")
    assert told.link == f"{BASE}/contents/{publication.content_id}/edit"
    assert f"Its schedule: {BASE}/schedules/{publication.schedule_id}/edit" in told.text


@pytest.mark.parametrize("kind", ["unconfirmed", "missed", "failure"])
def test_a_publication_s_alert_links_to_the_publication(make, kind):
    actor = make.actor()
    _wants(actor, kind)
    publication = make.publication(actor, make.content(actor))

    alerts.publication_alert(publication, kind, f"Publication #{publication.id}: {kind}")
    db.session.commit()

    [told] = _told(kind)
    assert told.link == f"{BASE}/publications/{publication.id}"


def test_a_channel_needing_intervention_links_to_the_channel(make):
    actor = make.actor()
    _wants(actor, "needs_intervention")
    channel = make.channel(actor)

    alerts.raise_alert(actor.workspace_id, "needs_intervention", "keeps failing", channel_id=channel.id)
    db.session.commit()

    assert _told("needs_intervention")[0].link == f"{BASE}/channels/{channel.id}#edit"


def test_a_review_request_reaches_the_members_who_may_approve_it_and_links_to_its_review(make):
    author = make.actor(role="owner")
    editor, other_owner, viewer = (make.member(author, role) for role in ("editor", "owner", "viewer"))
    for actor in (author, editor, other_owner, viewer):
        _wants(actor, "review_requested")
    content = make.content(author, title="Launch day")

    approvals.submit(author, content)
    db.session.commit()

    told = _told("review_requested")
    assert {n.user_id for n in told} == {editor.user_id, other_owner.user_id}
    assert all(n.link == f"{BASE}/contents/{content.id}/review" for n in told)
    assert "“Launch day” was submitted for review" in told[0].text
    assert db.session.query(Alert).filter_by(kind="review_requested").count() == 1


def test_an_edit_after_approval_asks_for_a_review_again(make, app):
    author = make.actor(role="owner")
    reviewer = make.member(author, "editor")
    _wants(reviewer, "review_requested")
    approvals.set_require_approval(author, True)
    content = make.content(author)
    approvals.submit(author, content)
    approvals.approve(reviewer, content)
    db.session.commit()

    approvals.reopen_after_edit(author, content, "approved", ["body"])
    db.session.commit()

    told = _told("review_requested")
    assert len(told) == 2 and "edited after approval (body)" in told[-1].text


def test_a_review_request_is_not_told_in_another_workspace(make):
    author, outsider = make.actor(), make.actor()
    _wants(outsider, "review_requested")

    approvals.submit(author, make.content(author))
    db.session.commit()

    assert _told("review_requested") == []


def test_the_scheduler_s_silence_and_its_return_are_told_to_the_owner_with_the_health_page(make, monkeypatch):
    owner = make.actor(role="owner")
    _wants(owner, "scheduler_silent")
    now = 2_000_000_000.0
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: 120.0)
    get_redis().set(scheduler_watch._keys()[0], f"{now - 120:.3f}")
    assert scheduler_watch.check(now=now) == "raised"
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: 0.5)

    assert scheduler_watch.check(now=now + 30) == "resolved"

    silent, back = _told("scheduler_silent")
    assert silent.link == back.link == f"{BASE}/health"
    assert "silent for 120 s" in silent.text
    assert back.subject == "Herald: the scheduler is back" and "being queued again" in back.text


# Noon on a winter Monday in Paris (as in test_notifications): quiet from 11:00 to 13:00 local.
NOON_IN_PARIS = datetime(2027, 1, 11, 11, 0, tzinfo=UTC)


@time_machine.travel(NOON_IN_PARIS, tick=False)
@pytest.mark.parametrize("kind", ["review_requested", "channel_unhealthy", "preflight", "channel_held"])
def test_the_new_kinds_wait_for_the_end_of_quiet_hours(make, kind):
    paris = ZoneInfo("Europe/Paris")
    owner = make.actor(make.user(timezone="Europe/Paris"), role="owner")
    reviewer = make.member(owner, "editor")
    db.session.get(User, reviewer.user_id).timezone = "Europe/Paris"
    for actor in (owner, reviewer):
        _wants(actor, kind, quiet_start="11:00", quiet_end="13:00")
    if kind == "review_requested":
        approvals.submit(owner, make.content(owner))
    else:
        alerts.raise_alert(owner.workspace_id, kind, "x", channel_id=make.channel(owner).id)
    db.session.commit()

    [held, *_] = _told(kind)
    ends = held.next_attempt_at.astimezone(paris)
    assert held.status == "pending" and ends == datetime(2027, 1, 11, 13, 0, tzinfo=paris)
    assert sender.tick(NOON_IN_PARIS)["enqueued"] == 0
    assert sender.tick(held.next_attempt_at)["enqueued"] >= 1


def test_a_held_message_is_delivered_by_the_worker_with_its_absolute_link(make, platform):
    actor = make.actor()
    notifications.update_settings(actor, {"kinds": ["channel_held"], "slack_url": platform.url})
    channel = make.channel(actor, name="blog")
    channel_id = channel.id

    failures.channel_held(make.publication(actor, make.content(actor), channel), failures.PAUSE_HOLD)
    db.session.commit()
    deliver_queued_mail()

    [request] = platform.requests
    assert request.json()["text"].endswith(f"{BASE}/channels/{channel_id}#edit")
