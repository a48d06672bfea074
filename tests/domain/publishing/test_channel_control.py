"""A whole channel: pause and resume it, reset its circuit, delete (archive) it, read its live state."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.adapters.receiver import Receiver
from webapp.core.errors import Conflict, NotFound, ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.publishing import channel_control, failures, publisher, schedules, throttle
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.crypto import decrypt_credentials
from webapp.models import AuditEvent, Channel, ContentVariant, Publication, PublicationChange, utcnow

T0 = 1_900_000_000.0  # 2030-03-17 17:46:40 UTC


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


@pytest.fixture
def owner(make):
    return make.actor()


def _due(make, owner, channel, minutes: int = 30) -> Publication:
    content = make.content(owner, status="approved")
    return make.publication(owner, content, channel, run_at=utcnow() + timedelta(minutes=minutes))


def _queue(publication: Publication) -> None:
    # What the scheduler does when the job falls due: take it out of the sorted set, mark it queued.
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    db.session.refresh(publication)


def _actions(channel_id: int) -> list[str]:
    query = select(AuditEvent.action).where(AuditEvent.target_id == channel_id, AuditEvent.target_type == "channel")
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def test_pausing_holds_the_waiting_publications_and_removes_their_entries(make, owner):
    channel = make.channel(owner)
    waiting = [_due(make, owner, channel, minutes) for minutes in (30, 60)]

    assert channel_control.pause_channel(owner, channel.id) == 2

    db.session.expire_all()
    assert channel.paused_at is not None
    for publication in waiting:
        assert publication.status == "paused"
        assert publication.hold_reason == failures.PAUSE_HOLD
        assert dispatch.scheduled_time(publication) is None
    changes = db.session.scalars(
        select(PublicationChange.detail).where(PublicationChange.publication_id == waiting[0].id)
    )
    assert "the channel is paused" in list(changes)
    assert _actions(channel.id)[-1] == "channel.paused"
    with pytest.raises(Conflict):
        channel_control.pause_channel(owner, channel.id)


def test_a_publication_that_comes_due_while_the_channel_is_paused_is_held_not_sent(make, owner, receiver):
    channel = make.channel(owner, url=receiver.url)
    channel_control.pause_channel(owner, channel.id)
    publication = _due(make, owner, channel)  # scheduled after the pause, so nothing held it yet
    assert publication.status == "scheduled"
    _queue(publication)

    assert publisher.execute(publication.id) == "held"

    db.session.refresh(publication)
    assert (publication.status, publication.hold_reason) == ("paused", failures.PAUSE_HOLD)
    assert publication.attempts_count == 0 and publication.attempts == []
    assert receiver.requests == []


def test_one_publishing_when_the_channel_is_paused_finishes(make, owner, receiver):
    receiver.respond(200, body={"id": "1"})
    channel = make.channel(owner, url=receiver.url)
    publication = _due(make, owner, channel)
    _queue(publication)
    publication.status = "publishing"  # a worker has claimed it
    db.session.commit()

    assert channel_control.pause_channel(owner, channel.id) == 0

    db.session.refresh(publication)
    assert publication.status == "publishing" and publication.hold_reason is None


def test_resuming_releases_what_the_pause_held_back_on_schedule(make, owner, receiver):
    receiver.respond(200, body={"id": "1"})
    channel = make.channel(owner, url=receiver.url)
    held = _due(make, owner, channel)
    channel_control.pause_channel(owner, channel.id)
    came_due = _due(make, owner, channel)
    _queue(came_due)
    publisher.execute(came_due.id)

    assert channel_control.resume_channel(owner, channel.id) == 2

    db.session.expire_all()
    assert channel.paused_at is None
    for publication in (held, came_due):
        assert (publication.status, publication.hold_reason) == ("scheduled", None)
        assert dispatch.scheduled_time(publication) is not None
    assert _actions(channel.id)[-1] == "channel.resumed"
    _queue(held)
    assert publisher.execute(held.id) == "published"


def test_the_held_count_covers_auth_holds_and_pause_holds(make, owner):
    channel = make.channel(owner)
    first, second = _due(make, owner, channel), _due(make, owner, channel, 90)
    failures.on_auth_error(first, "401 bad password")
    db.session.commit()
    assert failures.held_count(channel) == 2  # the auth error holds the channel's other pending one too
    second.hold_reason = "something else"
    db.session.commit()
    assert failures.held_count(channel) == 1


def test_deleting_a_channel_with_pending_publications_is_refused_unless_they_are_cancelled(make, owner):
    channel = make.channel(owner, name="Blog")
    pending = _due(make, owner, channel)
    channel.health = "unhealthy"
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        channel_control.delete_channel(owner, channel.id)
    assert refused.value.extra == {"pending": 1, "publishing": 0}
    db.session.rollback()
    assert channels.get_channel(owner, channel.id).archived_at is None
    assert db.session.get(Publication, pending.id).status == "scheduled"

    assert channel_control.delete_channel(owner, channel.id, cancel_pending=True) == 1

    db.session.expire_all()
    assert pending.status == "cancelled" and dispatch.scheduled_time(pending) is None
    row = db.session.get(Channel, channel.id)
    assert row.archived_at is not None and row.name == f"Blog (deleted #{channel.id})"
    assert row.health == "unknown"  # the dashboard's "channels needing attention" no longer counts it
    assert "channel.deleted" in _actions(channel.id)


def test_a_deleted_channel_leaves_every_list_but_its_history_stays_and_its_name_is_free(make, owner, receiver):
    receiver.respond(200, body={"id": "1"})
    channel = make.channel(owner, name="Blog", url=receiver.url)
    published = _due(make, owner, channel)
    _queue(published)
    publisher.execute(published.id)
    make.content(owner, variants=[{"channel_id": channel.id, "body": "for the blog"}])

    channel_control.delete_channel(owner, channel.id)

    assert channels.list_channels(owner) == [] and channels.channel_choices(owner) == []
    with pytest.raises(NotFound):
        channels.get_channel(owner, channel.id)
    db.session.expire_all()
    assert db.session.get(Publication, published.id).status == "published"
    assert db.session.get(Publication, published.id).channel.name == f"Blog (deleted #{channel.id})"
    assert db.session.scalars(select(ContentVariant).where(ContentVariant.channel_id == channel.id)).all() == []
    assert make.channel(owner, name="Blog").name == "Blog"


def test_a_deleted_channel_takes_no_new_schedule_variant_or_health_row(make, owner):
    from webapp.domain.content import contents
    from webapp.domain.operations import diagnostics

    kept, deleted = make.channel(owner, name="Kept"), make.channel(owner, name="Gone")
    content = make.content(owner)
    channel_control.delete_channel(owner, deleted.id)
    run_at = utcnow() + timedelta(hours=1)

    with pytest.raises(ValidationFailed) as refused:
        schedules.create_schedule(owner, {"content_id": content.id, "channel_ids": [deleted.id], "run_at": run_at})
    assert refused.value.fields["channel_ids"] == f"unknown channel id(s): {deleted.id}"
    with pytest.raises(ValidationFailed) as refused:
        contents.update_content(owner, content.id, {"variants": [{"channel_id": deleted.id, "body": "x"}]})
    assert "variants[0]" in refused.value.fields
    assert [row["channel"].id for row in diagnostics.channel_reports(owner)] == [kept.id]


def test_a_publication_being_sent_blocks_the_delete_even_with_cancel(make, owner):
    channel = make.channel(owner)
    publication = _due(make, owner, channel)
    publication.status = "publishing"
    db.session.commit()

    with pytest.raises(Conflict) as refused:
        channel_control.delete_channel(owner, channel.id, cancel_pending=True)

    assert refused.value.extra == {"pending": 1, "publishing": 1}
    assert "being sent right now" in refused.value.message


def test_another_workspace_cannot_pause_reset_or_delete(make, owner):
    channel = make.channel(owner)
    stranger = make.actor()
    for action in (channel_control.pause_channel, channel_control.reset_breaker, channel_control.delete_channel):
        with pytest.raises(NotFound):
            action(stranger, channel.id)
    with pytest.raises(NotFound):
        channel_control.resume_channel(stranger, channel.id)


def test_the_state_reads_an_open_circuit_and_a_reset_closes_it_and_releases_its_waiters(make, owner, app, monkeypatch):
    monkeypatch.setattr(throttle, "clock", lambda: T0)
    monkeypatch.setitem(app.config, "BREAKER_FAILURES", 2)
    monkeypatch.setitem(app.config, "BREAKER_COOLOFF_S", 300)
    channel = make.channel(owner)
    waiting = _due(make, owner, channel)
    throttle.failed(channel.id)
    assert channel_control.state(channel).limits.failures == 1
    throttle.failed(channel.id)
    _queue(waiting)
    assert publisher.execute(waiting.id) == "waiting"

    state = channel_control.state(channel, T0 + 10)
    assert (state.limits.breaker, state.limits.open_until) == ("open", datetime.fromtimestamp(T0 + 300, UTC))
    assert state.circuit_waiting == 1
    assert channel_control.state(channel, T0 + 301).limits.breaker == "half-open"

    assert channel_control.reset_breaker(owner, channel.id, now=utcnow()) == 1

    db.session.expire_all()
    assert channel_control.state(channel, T0 + 10).limits.breaker == "closed"
    assert waiting.status == "retrying" and waiting.hold_reason is None
    assert dispatch.scheduled_time(waiting) is not None
    assert _actions(channel.id)[-1] == "channel.breaker_reset"


def test_the_state_says_how_many_wait_for_the_rate_limit_and_when_the_next_token_is(make, owner, monkeypatch):
    monkeypatch.setattr(throttle, "clock", lambda: T0)
    channel = make.channel(owner, rules={"rate_per_minute": 1})
    first, second = _due(make, owner, channel), _due(make, owner, channel)
    throttle.take_token(f"channel:{channel.id}", 1, T0)  # someone used the one token of this minute
    _queue(second)

    assert publisher.execute(second.id) == "waiting"

    state = channel_control.state(channel, T0 + 15)
    assert state.rate_waiting == 1 and state.limits.rate_per_minute == 1
    assert state.limits.tokens == pytest.approx(-0.75)
    assert state.limits.next_token_at == datetime.fromtimestamp(T0 + 120, UTC)  # one owed to the waiter, then ours
    assert state.pending == {"scheduled": 1, "retrying": 1}
    assert first.status == "scheduled"


def test_an_edit_with_merged_credentials_keeps_the_keys_it_does_not_give(make, owner):
    channel = channels.create_channel(
        owner,
        name="WP",
        platform="wordpress",
        settings={"url": "https://blog.example.test"},
        credentials={"username": "ada", "app_password": "old-pass-1234"},
    )

    channels.update_channel(
        owner, channel.id, {"credentials": {"app_password": "new-pass-5678"}}, merge_credentials=True
    )

    assert decrypt_credentials(channel.credentials_encrypted) == {"username": "ada", "app_password": "new-pass-5678"}
    with pytest.raises(ValidationFailed):  # without merging, the API's PATCH replaces them whole: username missing
        channels.update_channel(owner, channel.id, {"credentials": {"app_password": "x-pass-0000"}})


def test_resuming_goes_through_a_person_s_resume_timeline_and_missed_run_policy_included(make, owner):
    channel = make.channel(owner)
    content = make.content(owner, status="approved")
    at = datetime(2031, 5, 4, 9, 0, tzinfo=UTC)
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        kept = make.publication(owner, content, channel, run_at=at + timedelta(days=1))
        skip = schedules.create_schedule(
            owner,
            {
                "content_id": content.id,
                "channel_ids": [channel.id],
                "run_at": at,
                "missed_policy": "skip",
                "grace_minutes": 5,
            },
        )
        [late] = schedules.publications_of(skip)
        channel_control.pause_channel(owner, channel.id)
    with time_machine.travel(at + timedelta(hours=1), tick=False):  # the skip schedule's run is past its grace
        assert channel_control.resume_channel(owner, channel.id) == 2

    db.session.expire_all()
    assert (kept.status, late.status) == ("scheduled", "missed")
    details = db.session.scalars(select(PublicationChange.detail).where(PublicationChange.publication_id == kept.id))
    assert "resumed with its channel" in list(details)


def test_nothing_is_ever_sent_to_a_deleted_channel(make, owner, receiver):
    channel = make.channel(owner, url=receiver.url)
    stray = _due(make, owner, channel)
    channels.archive(owner, channel, utcnow())  # as if a publication slipped past the delete's cancel
    db.session.commit()
    _queue(stray)

    assert publisher.execute(stray.id) == "held"

    assert receiver.requests == []
