"""Pre-flight: publications due soon that would fail raise one alert each, and nothing else changes."""

from datetime import timedelta

import pytest

from tests.adapters.factories import content, publish_request
from tests.adapters.fakes.mastodon import FakeMastodon
from tests.adapters.receiver import Receiver
from webapp import jobs
from webapp.adapters.wordpress import WordPressAdapter
from webapp.domain.channels import channels
from webapp.domain.publishing import preflight, schedules
from webapp.extensions import db
from webapp.models import Alert, Publication, Workspace, utcnow
from webapp.processes import periodic


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def _schedule(actor, channel, content_record, minutes: int = 5) -> Publication:
    data = {
        "content_id": content_record.id,
        "channel_ids": [channel.id],
        "run_at": utcnow() + timedelta(minutes=minutes),
    }
    return schedules.publications_of(schedules.create_schedule(actor, data))[0]


def _snapshot(publication: Publication) -> tuple:
    db.session.refresh(publication)
    return (publication.status, publication.dispatch_seq, publication.updated_at, publication.hold_reason)


def _alerts() -> list[Alert]:
    return list(db.session.query(Alert).filter_by(kind="preflight").order_by(Alert.id))


def test_a_healthy_publication_raises_nothing(make, receiver):
    actor = make.actor()
    publication = _schedule(actor, make.channel(actor, url=receiver.url), make.content(actor, status="approved"))
    before = _snapshot(publication)

    assert preflight.run() == 0

    assert _alerts() == []
    assert _snapshot(publication) == before
    assert receiver.requests == []  # nothing is sent, not even a ping


def test_a_draft_in_a_workspace_requiring_approval_is_named_in_an_alert(make, receiver):
    actor = make.actor()
    db.session.get(Workspace, actor.workspace_id).require_approval = True
    db.session.commit()
    publication = _schedule(actor, make.channel(actor, url=receiver.url), make.content(actor, status="draft"))
    before = _snapshot(publication)

    assert preflight.run() == 1

    [alert] = _alerts()
    assert (alert.workspace_id, alert.publication_id, alert.channel_id) == (
        actor.workspace_id,
        publication.id,
        publication.channel_id,
    )
    assert f"Publication #{publication.id}" in alert.message
    assert "content is 'draft' and this workspace requires approval" in alert.message
    assert _snapshot(publication) == before


def _toots(actor, fake: FakeMastodon):
    """A Mastodon channel on the fake instance."""
    return channels.create_channel(
        actor,
        name="toots",
        platform="mastodon",
        settings={"url": fake.url},
        credentials={"access_token": fake.access_token},
    )


def test_a_mastodon_status_over_the_instances_limit_is_caught_before_it_is_due(make):
    actor = make.actor()
    long_text = "word " * 120  # 600 characters, the instance allows 500
    with FakeMastodon(max_characters=500) as fake:
        channel = _toots(actor, fake)
        publication = _schedule(actor, channel, make.content(actor, status="approved", body=long_text))

        assert preflight.run() == 1

        assert [r.method for r in fake.requests] == ["GET"]  # the instance's limit read; nothing posted
    [alert] = _alerts()
    assert alert.publication_id == publication.id
    assert "this instance allows 500" in alert.message


def test_a_mastodon_status_within_a_raised_limit_passes(make):
    actor = make.actor()
    with FakeMastodon(max_characters=1000) as fake:
        channel = _toots(actor, fake)
        _schedule(actor, channel, make.content(actor, status="approved", body="word " * 120))

        assert preflight.run() == 0


def test_an_unhealthy_channel_is_reported_for_each_publication_due_on_it(make, receiver):
    actor = make.actor()
    channel = make.channel(actor, url=receiver.url)
    channel.health, channel.health_message = "unhealthy", "HTTP 401: bad signature"
    db.session.commit()
    approved = make.content(actor, status="approved")
    first, second = _schedule(actor, channel, approved), _schedule(actor, channel, approved, minutes=8)

    assert preflight.run() == 2

    assert [a.publication_id for a in _alerts()] == [first.id, second.id]
    assert all("channel" in a.message and "is unhealthy: HTTP 401: bad signature" in a.message for a in _alerts())


def test_credentials_that_no_longer_decrypt_are_reported(make, receiver):
    actor = make.actor()
    channel = make.channel(actor, url=receiver.url)
    channel.credentials_encrypted = "gAAAAA-not-a-token"
    db.session.commit()
    _schedule(actor, channel, make.content(actor, status="approved"))

    assert preflight.run() == 1

    assert "cannot be decrypted" in _alerts()[0].message


def test_each_publication_is_alerted_once_however_often_pre_flight_runs(make, receiver):
    actor = make.actor()
    channel = make.channel(actor, url=receiver.url)
    channel.health = "needs_intervention"
    db.session.commit()
    _schedule(actor, channel, make.content(actor, status="approved"))

    assert [preflight.run(), preflight.run(), jobs.preflight_job()] == [1, 0, 0]


def test_publications_beyond_the_horizon_wait_for_a_later_run(make, receiver, app, monkeypatch):
    monkeypatch.setitem(app.config, "PREFLIGHT_MINUTES", 10)
    actor = make.actor()
    channel = make.channel(actor, url=receiver.url)
    channel.health = "unhealthy"
    db.session.commit()
    publication = _schedule(actor, channel, make.content(actor, status="approved"), minutes=30)

    assert preflight.run() == 0
    assert preflight.run(publication.due_at - timedelta(minutes=9)) == 1


def test_a_platforms_own_content_check_runs_without_sending(app):
    adapter = WordPressAdapter({"url": "http://127.0.0.1:9"}, {"username": "ada", "app_password": "x" * 24}, timeout=1)

    assert preflight.content_problem(adapter, publish_request(content=content(title="  "))) == (
        "content has no title; this platform requires one"
    )
    assert preflight.content_problem(adapter, publish_request()) is None


def test_pre_flight_is_a_periodic_job_that_can_be_turned_off(app):
    wanted = {d.id: d for d in periodic.definitions(app.config)}
    assert wanted["herald-periodic-preflight"].func == "webapp.jobs.preflight_job"
    assert wanted["herald-periodic-preflight"].interval_s == app.config["PREFLIGHT_INTERVAL_S"] == 60

    off = periodic.definitions({**app.config, "PREFLIGHT_INTERVAL_S": 0})
    assert "herald-periodic-preflight" not in {d.id for d in off}
