"""Unknown outcomes are settled by asking the platform, never by a blind resend."""

from datetime import timedelta

from webapp.adapters.base import PublishResult, TransientError
from webapp.domain.publishing import lifecycle, publisher, recovery, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Alert, Publication, utcnow


def _stuck_publishing(make, minutes_ago: int = 10) -> int:
    actor = make.actor()
    channel = make.channel(actor)
    content = make.content(actor)
    schedule = schedules.create_schedule(
        actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    )
    [publication] = schedules.publications_of(schedule)
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    claimed = publisher._claim(publication.id, utcnow())
    db.session.add(publisher.Attempt(publication_id=claimed.id, number=1, started_at=utcnow()))
    claimed.updated_at = utcnow() - timedelta(minutes=minutes_ago)
    db.session.commit()
    return claimed.id


def waiting_for_a_person(make, workspace_id: int) -> int:
    """An unconfirmed webhook publication of the workspace, held by the reconciler for a person; its id."""
    pid = _stuck_publishing(make)
    publication = db.session.get(Publication, pid)
    for record in (publication, publication.schedule, publication.channel, publication.content):
        record.workspace_id = workspace_id
    publication.updated_at = utcnow() - timedelta(minutes=10)  # its worker died long ago
    db.session.commit()
    recovery.mark_orphans()
    recovery.resolve_unconfirmed()
    return pid


class _LookupAdapter:
    supports_lookup = True

    def __init__(self, found=None, error=None):
        self.found, self.error, self.asked = found, error, []

    def find_existing(self, request):
        self.asked.append(request.idempotency_key)
        if self.error:
            raise self.error
        return self.found


def test_a_publishing_row_whose_worker_died_becomes_unconfirmed(make):
    pid = _stuck_publishing(make)

    assert recovery.mark_orphans() == 1

    publication = db.session.get(Publication, pid)
    assert publication.status == "unconfirmed"
    assert publication.attempts[0].outcome == "unknown_outcome"


def test_a_recent_publishing_row_is_left_alone(make):
    pid = _stuck_publishing(make, minutes_ago=0)

    assert recovery.mark_orphans() == 0
    assert db.session.get(Publication, pid).status == "publishing"


def test_an_unconfirmed_publication_found_on_the_platform_is_published_without_resending(make, monkeypatch):
    pid = _stuck_publishing(make)
    recovery.mark_orphans()
    adapter = _LookupAdapter(found=PublishResult("123", "http://site/p/123", 200, None))
    monkeypatch.setattr(recovery, "adapter_for", lambda channel, timeout: adapter)

    assert recovery.resolve_unconfirmed() == {"confirmed": 1, "resent": 0, "undecided": 0, "held": 0}

    publication = db.session.get(Publication, pid)
    assert (publication.status, publication.external_id) == ("published", "123")
    assert adapter.asked == [publication.idempotency_key]
    assert dispatch.scheduled_time(publication) is None


def test_an_unconfirmed_publication_the_platform_does_not_have_is_sent_again_under_its_key(make, monkeypatch):
    pid = _stuck_publishing(make)
    recovery.mark_orphans()
    monkeypatch.setattr(recovery, "adapter_for", lambda channel, timeout: _LookupAdapter(found=None))

    assert recovery.resolve_unconfirmed()["resent"] == 1

    publication = db.session.get(Publication, pid)
    assert publication.status == "scheduled" and publication.dispatch_seq == 2
    assert dispatch.scheduled_time(publication) is not None


def test_a_lookup_that_fails_keeps_the_publication_unconfirmed(make, monkeypatch):
    pid = _stuck_publishing(make)
    recovery.mark_orphans()
    adapter = _LookupAdapter(error=TransientError("platform down"))
    monkeypatch.setattr(recovery, "adapter_for", lambda channel, timeout: adapter)

    assert recovery.resolve_unconfirmed()["undecided"] == 1
    assert db.session.get(Publication, pid).status == "unconfirmed"


def test_a_webhook_publication_is_never_resent_blindly_it_waits_for_a_person_with_one_alert(make):
    pid = _stuck_publishing(make)
    key = db.session.get(Publication, pid).idempotency_key
    recovery.mark_orphans()

    assert recovery.resolve_unconfirmed()["held"] == 1
    assert recovery.resolve_unconfirmed() == {"confirmed": 0, "resent": 0, "undecided": 0, "held": 0}  # asked once

    publication = db.session.get(Publication, pid)
    assert publication.status == "unconfirmed" and dispatch.scheduled_time(publication) is None
    assert publication.hold_reason.startswith("waiting for you: webhook cannot be asked whether the post arrived")
    [alert] = db.session.query(Alert).filter_by(kind="unconfirmed").all()
    assert alert.publication_id == pid and "retry it, mark it published, or cancel it" in alert.message

    # A person retries: same key, the hold is gone (a second unknown outcome would alert again).
    work = lifecycle.Work()
    lifecycle.retry_publication(publication, work)
    work.commit()
    publication = db.session.get(Publication, pid)
    assert publication.status == "queued" and publication.idempotency_key == key and publication.hold_reason is None


def test_after_the_last_attempt_a_lookup_that_finds_nothing_holds_instead_of_resending(make, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLISH_MAX_ATTEMPTS", 1)
    pid = _stuck_publishing(make)
    recovery.mark_orphans()
    monkeypatch.setattr(recovery, "adapter_for", lambda channel, timeout: _LookupAdapter(found=None))

    assert recovery.resolve_unconfirmed()["held"] == 1

    publication = db.session.get(Publication, pid)
    assert publication.status == "unconfirmed" and "1 attempts made, none confirmed" in publication.hold_reason
    assert dispatch.scheduled_time(publication) is None
