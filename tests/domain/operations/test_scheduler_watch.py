"""The `scheduler_silent` alert: raised once in every workspace when the scheduler has been silent a minute,
resolved when its heartbeat returns, and told to the owners who asked for it."""

from __future__ import annotations

import time

from webapp.domain.operations import scheduler_watch
from webapp.extensions import db
from webapp.infra.liveness import heartbeat_key
from webapp.infra.queues import get_redis
from webapp.models import Alert, Notification, NotificationSettings

NOW = 2_000_000_000.0  # an explicit instant (2033): the watcher is told the time, it never reads the wall clock


def _tick_at(unix: float) -> None:
    """What the scheduler's tick writes: the time of its heartbeat (the key expires when it stops)."""
    get_redis().set(heartbeat_key(), f"{unix:.3f}", ex=30)


def _alerts() -> list[Alert]:
    db.session.expire_all()
    return db.session.query(Alert).filter_by(kind="scheduler_silent").order_by(Alert.workspace_id).all()


def test_nothing_is_raised_before_any_scheduler_has_ticked(make, monkeypatch):
    make.actor()

    assert scheduler_watch.check(now=NOW) is None
    assert _alerts() == []


def test_a_minute_of_silence_raises_one_alert_per_workspace_once_and_its_return_resolves_them(make, monkeypatch):
    first, second = make.actor(), make.actor()
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: NOW - float(get_redis().get(heartbeat_key())))
    _tick_at(NOW - 5)
    assert scheduler_watch.check(now=NOW) is None  # a few seconds is a restart, not an outage

    _tick_at(NOW - 75)  # the last tick was 75 s ago
    assert scheduler_watch.check(now=NOW) == "raised"
    assert scheduler_watch.check(now=NOW + 15) is None  # once per silence, however many checks

    raised = _alerts()
    assert [a.workspace_id for a in raised] == sorted([first.workspace_id, second.workspace_id])
    assert all("silent for 75 s" in a.message and a.resolved_at is None for a in raised)

    _tick_at(NOW + 20)
    assert scheduler_watch.check(now=NOW + 20) == "resolved"
    assert all(a.resolved_at is not None for a in _alerts())


def test_a_heartbeat_that_expired_counts_from_the_last_one_seen(make, monkeypatch):
    make.actor()
    ages = iter([5.0, None])
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: next(ages))
    scheduler_watch.check(now=NOW)  # seen 5 s before NOW

    assert scheduler_watch.check(now=NOW + 90) == "raised"  # the key is gone; silent since NOW - 5


def test_the_owners_who_asked_are_told_and_nobody_else(make, monkeypatch):
    owner = make.actor(role="owner")
    editor = make.member(owner, "editor")
    for actor in (owner, editor):
        db.session.add(NotificationSettings(user_id=actor.user_id, email_enabled=True, kinds=["scheduler_silent"]))
    db.session.commit()
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: 120.0)
    get_redis().set(scheduler_watch._keys()[0], f"{NOW - 120:.3f}")

    assert scheduler_watch.check(now=NOW) == "raised"

    told = {(n.user_id, n.workspace_id) for n in db.session.query(Notification).filter_by(kind="scheduler_silent")}
    assert (owner.user_id, owner.workspace_id) in told
    assert (editor.user_id, owner.workspace_id) not in told  # an editor there is not told (they own their own)


def test_the_alert_page_shows_a_resolved_alert_as_resolved(client, auth, monkeypatch):
    auth.sign_up("ada@example.test")
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: 120.0)
    get_redis().set(scheduler_watch._keys()[0], f"{time.time() - 120:.3f}")
    scheduler_watch.check()
    monkeypatch.setattr(scheduler_watch, "last_heartbeat_age", lambda: 0.5)
    scheduler_watch.check()

    html = client.get("/alerts/?status=resolved").get_data(as_text=True)  # off the open work list

    assert "The scheduler has been silent" in html and "resolved" in html
