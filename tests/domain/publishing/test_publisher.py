"""One attempt of a publication: claim, call the platform, record the outcome."""

from datetime import timedelta

import pytest

from tests.adapters.receiver import Receiver
from webapp.adapters.sentence import Sentence
from webapp.adapters.signing import verify
from webapp.core.phrases import Phrase
from webapp.domain.publishing import publisher, redaction, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Alert, Publication, Workspace, utcnow


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _publication(make, receiver_url, *, status="approved", actor=None, **schedule):
    actor = actor or make.actor()
    channel = make.channel(actor, url=receiver_url, secret="topsecret-value")
    content = make.content(actor, status=status, title="Hello <world>")
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    data.update(schedule)
    created = schedules.create_schedule(actor, data)
    return schedules.publications_of(created)[0]


def _queue(publication: Publication) -> None:
    # What the scheduler does when the job falls due: take it out of the sorted set, mark it queued.
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    db.session.refresh(publication)


def test_a_queued_publication_is_published_once_with_a_signed_request(make, receiver):
    receiver.respond(200, body={"id": 99, "url": "http://receiver.test/p/99"})
    publication = _publication(make, receiver.url)
    _queue(publication)

    assert publisher.execute(publication.id) == "published"

    db.session.refresh(publication)
    assert publication.status == "published"
    assert (publication.external_id, publication.external_url) == ("99", "http://receiver.test/p/99")
    assert publication.started_at is not None and publication.finished_at >= publication.started_at
    assert publication.lateness_ms is not None
    assert [(a.number, a.outcome, a.http_status) for a in publication.attempts] == [(1, "published", 200)]
    [request] = receiver.requests
    assert request.headers["Idempotency-Key"] == publication.idempotency_key
    assert verify(
        "topsecret-value",
        request.headers["X-Herald-Timestamp"],
        request.body,
        request.headers["X-Herald-Signature"],
    )
    assert request.json()["content"]["title"] == "Hello <world>"


def test_a_publication_not_queued_is_never_sent(make, receiver):
    publication = _publication(make, receiver.url)  # still `scheduled`

    assert publisher.execute(publication.id) == "skipped"

    assert receiver.requests == []
    db.session.refresh(publication)
    assert publication.status == "scheduled" and publication.attempts_count == 0


def test_a_second_job_for_the_same_publication_does_nothing(make, receiver):
    publication = _publication(make, receiver.url)
    _queue(publication)

    outcomes = [publisher.execute(publication.id), publisher.execute(publication.id)]

    assert outcomes == ["published", "skipped"]
    assert len(receiver.requests) == 1


def test_a_server_error_schedules_a_retry_with_backoff(make, receiver, app):
    receiver.respond(500, body="upstream exploded")
    publication = _publication(make, receiver.url)
    _queue(publication)
    seq_before = publication.dispatch_seq

    assert publisher.execute(publication.id) == "retrying"

    db.session.refresh(publication)
    assert publication.next_attempt_at > utcnow() - timedelta(seconds=1)
    assert publication.dispatch_seq == seq_before + 1
    assert dispatch.scheduled_time(publication) is not None
    [attempt] = publication.attempts
    assert (attempt.outcome, attempt.error_class, attempt.http_status) == ("transient", "transient", 500)
    assert "upstream exploded" in attempt.response_excerpt


def test_retry_after_is_honoured(make, receiver):
    receiver.respond(429, headers={"Retry-After": "120"})
    publication = _publication(make, receiver.url)
    _queue(publication)

    publisher.execute(publication.id)

    db.session.refresh(publication)
    assert publication.status == "retrying"
    assert publication.next_attempt_at - publication.attempts[0].finished_at >= timedelta(seconds=119)


def test_retries_stop_after_the_configured_attempts(make, receiver, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLISH_MAX_ATTEMPTS", 2)
    receiver.respond(503)
    publication = _publication(make, receiver.url)
    for expected in ("retrying", "failed"):
        _queue(publication)
        assert publisher.execute(publication.id) == expected
    assert [a.number for a in publication.attempts] == [1, 2]
    assert db.session.query(Alert).filter_by(publication_id=publication.id, kind="failure").count() == 1


def test_a_validation_error_fails_at_once_with_an_alert(make, receiver):
    receiver.respond(422, body={"error": "title too long"})
    publication = _publication(make, receiver.url)
    _queue(publication)

    assert publisher.execute(publication.id) == "failed"

    db.session.refresh(publication)
    assert publication.last_error.startswith("permanent:")
    assert db.session.query(Alert).filter_by(publication_id=publication.id).count() == 1


def test_an_auth_error_marks_the_channel_unhealthy_and_holds_its_publications(make, receiver):
    receiver.respond(401, body="bad signature")
    actor = make.actor()
    publication = _publication(make, receiver.url, actor=actor)
    later = schedules.create_schedule(
        actor,
        {
            "content_id": publication.content_id,
            "channel_ids": [publication.channel_id],
            "run_at": utcnow() + timedelta(days=1),
        },
    )
    [later_publication] = schedules.publications_of(later)
    _queue(publication)

    assert publisher.execute(publication.id) == "paused"

    db.session.expire_all()
    assert publication.channel.health == "unhealthy"
    assert "credentials were rejected" in publication.hold_reason
    assert later_publication.status == "paused"
    assert dispatch.scheduled_time(later_publication) is None
    assert db.session.query(Alert).filter_by(kind="channel_unhealthy").count() == 1


def test_resuming_the_channel_after_fixing_credentials_carries_on(make, receiver):
    from webapp.domain.publishing import failures

    receiver.respond(401)
    actor = make.actor()
    publication = _publication(make, receiver.url, actor=actor)
    _queue(publication)
    publisher.execute(publication.id)
    receiver.respond(200, body={"id": "ok"})

    assert failures.resume_channel(actor, publication.channel) == 1

    db.session.refresh(publication)
    assert publication.status == "scheduled" and publication.hold_reason is None
    assert publication.channel.health == "unknown"
    assert dispatch.scheduled_time(publication) is not None
    _queue(publication)
    assert publisher.execute(publication.id) == "published"


def test_three_consecutive_failures_put_the_channel_in_needs_intervention_with_one_alert(make, receiver):
    receiver.respond(400, body="rejected")
    actor = make.actor()
    first = _publication(make, receiver.url, actor=actor)
    channel_id = first.channel_id
    for n in range(4):
        schedule = schedules.create_schedule(
            actor,
            {"content_id": first.content_id, "channel_ids": [channel_id], "run_at": utcnow() + timedelta(hours=n + 2)},
        )
        publication = schedules.publications_of(schedule)[0]
        _queue(publication)
        publisher.execute(publication.id)

    channel = db.session.get(Publication, publication.id).channel
    assert channel.health == "needs_intervention"
    assert db.session.query(Alert).filter_by(kind="needs_intervention", channel_id=channel_id).count() == 1


def test_a_timeout_after_sending_leaves_the_publication_unconfirmed(make, receiver, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLISH_TIMEOUT_S", 0.3)
    receiver.delay(2)
    publication = _publication(make, receiver.url)
    _queue(publication)

    assert publisher.execute(publication.id) == "unconfirmed"

    db.session.refresh(publication)
    assert publication.attempts[0].error_class == "unknown_outcome"
    assert dispatch.scheduled_time(publication) is None  # never resent blindly


def test_unapproved_content_is_held_when_the_workspace_requires_approval(make, receiver):
    actor = make.actor()
    db.session.get(Workspace, actor.workspace_id).require_approval = True
    db.session.commit()
    publication = _publication(make, receiver.url, status="draft", actor=actor)
    _queue(publication)

    assert publisher.execute(publication.id) == "held"

    db.session.refresh(publication)
    assert publication.status == "paused" and publication.attempts_count == 0
    assert "requires approval" in publication.hold_reason
    assert receiver.requests == []


def test_stored_errors_have_secrets_redacted():
    assert redaction.redact("401: Bearer abcdef123456 rejected") == "401: Bearer [redacted] rejected"
    assert "hunter2hunter2" not in redaction.redact("password=hunter2hunter2")


def test_an_adapters_sentence_keeps_its_form_with_its_own_words_redacted():
    said = Sentence("could not connect: %(detail)s", detail="401: Bearer abcdef123456 rejected")

    kept = redaction.redact(said)

    assert isinstance(kept, Phrase) and kept.msgid == "could not connect: %(detail)s"
    assert kept == "could not connect: 401: Bearer [redacted] rejected"


def test_a_secret_right_after_a_word_of_the_sentence_is_redacted_as_plain_text():
    said = Sentence("the token: %(value)s", value="abcdef123456")  # the template's "token:" exposes the argument

    kept = redaction.redact(said)

    assert kept == "the token: [redacted]" and not isinstance(kept, Phrase)


# Rate limits and the circuit breaker: a publication held back waits in `retrying` without using an attempt.


@pytest.fixture
def one_a_minute(app, monkeypatch):
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 1})


def _another(actor, publication: Publication) -> Publication:
    schedule = schedules.create_schedule(
        actor,
        {
            "content_id": publication.content_id,
            "channel_ids": [publication.channel_id],
            "run_at": utcnow() + timedelta(hours=2),
        },
    )
    return schedules.publications_of(schedule)[0]


def test_a_publication_over_the_rate_limit_waits_for_a_token_without_using_an_attempt(make, receiver, one_a_minute):
    receiver.respond(200, body={"id": "1"})
    actor = make.actor()
    first = _publication(make, receiver.url, actor=actor)
    second = _another(actor, first)
    _queue(first)
    assert publisher.execute(first.id) == "published"
    _queue(second)
    seq_before = second.dispatch_seq

    assert publisher.execute(second.id) == "waiting"

    db.session.refresh(second)
    assert second.status == "retrying"
    assert second.attempts == [] and second.attempts_count == 0
    assert second.started_at is None and second.lateness_ms is None
    assert timedelta(seconds=50) < second.next_attempt_at - utcnow() <= timedelta(seconds=61)
    assert second.hold_reason == f"waiting for rate limit until {second.next_attempt_at:%H:%M:%S} UTC"
    assert second.dispatch_seq == seq_before + 1
    assert dispatch.scheduled_time(second) == second.next_attempt_at.timestamp()
    assert len(receiver.requests) == 1


def test_after_the_wait_the_publication_goes_out_as_attempt_one(make, receiver, one_a_minute, monkeypatch):
    from webapp.domain.publishing import throttle

    receiver.respond(200, body={"id": "1"})
    actor = make.actor()
    first = _publication(make, receiver.url, actor=actor)
    second = _another(actor, first)
    for publication in (first, second):
        _queue(publication)
        publisher.execute(publication.id)
    start = throttle.clock()
    monkeypatch.setattr(throttle, "clock", lambda: start + 61)

    _queue(second)
    assert second.hold_reason is None  # queued again: no longer waiting
    assert publisher.execute(second.id) == "published"

    db.session.refresh(second)
    assert [a.number for a in second.attempts] == [1] and second.attempts_count == 1


def test_an_open_circuit_holds_the_channels_publications_without_calling_it(make, receiver, app, monkeypatch):
    monkeypatch.setitem(app.config, "BREAKER_FAILURES", 2)
    receiver.respond(503)
    actor = make.actor()
    first = _publication(make, receiver.url, actor=actor)
    others = [_another(actor, first) for _ in range(2)]
    for publication in (first, others[0]):
        _queue(publication)
        assert publisher.execute(publication.id) == "retrying"

    _queue(others[1])
    assert publisher.execute(others[1].id) == "waiting"

    db.session.refresh(others[1])
    assert others[1].status == "retrying" and others[1].attempts == []
    assert others[1].hold_reason.startswith("channel circuit open until ")
    assert dispatch.scheduled_time(others[1]) == others[1].next_attempt_at.timestamp()
    assert len(receiver.requests) == 2


def test_after_the_cool_off_one_probe_goes_and_its_success_closes_the_circuit(make, receiver, app, monkeypatch):
    from webapp.domain.publishing import throttle

    monkeypatch.setitem(app.config, "BREAKER_FAILURES", 1)
    receiver.respond(503)
    actor = make.actor()
    first = _publication(make, receiver.url, actor=actor)
    second, third = _another(actor, first), _another(actor, first)
    _queue(first)
    publisher.execute(first.id)
    start = throttle.clock()
    monkeypatch.setattr(throttle, "clock", lambda: start + app.config["BREAKER_COOLOFF_S"] + 1)
    receiver.respond(200, body={"id": "2"})

    _queue(second)
    assert publisher.execute(second.id) == "published"
    _queue(third)
    assert publisher.execute(third.id) == "published"


def test_the_monitor_and_the_detail_page_say_why_a_publication_waits(client, auth, make, receiver, one_a_minute):
    from webapp.domain.shared.actor import Actor
    from webapp.models import Membership, User

    auth.sign_up("waiting@example.test")
    user = db.session.query(User).filter_by(email="waiting@example.test").one()
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    actor = Actor(user.id, membership.workspace_id, "owner", "ui")
    receiver.respond(200, body={"id": "1"})
    first = _publication(make, receiver.url, actor=actor)
    second = _another(actor, first)
    for publication in (first, second):
        _queue(publication)
        publisher.execute(publication.id)
    db.session.refresh(second)
    reason = second.hold_reason

    assert reason.startswith("waiting for rate limit until")
    assert reason in client.get("/publications/").get_data(as_text=True)
    assert reason in client.get(f"/publications/{second.id}").get_data(as_text=True)
