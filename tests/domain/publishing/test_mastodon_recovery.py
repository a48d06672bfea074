"""An unconfirmed Mastodon publication: found among the account's statuses (same text, since its first attempt)
and confirmed, never posted twice, even on a server that ignores Idempotency-Key; its next attempt uploads
its images anew, so a retry never moves an image off a status that did go out."""

from __future__ import annotations

from datetime import timedelta

from tests.adapters.fakes.mastodon import FakeMastodon, mastodon_fixture  # noqa: F401 - the `mastodon` fixture
from tests.media_files import image_bytes
from webapp.adapters.base import RemoteMedia
from webapp.adapters.mastodon import MastodonAdapter
from webapp.domain.channels import channels
from webapp.domain.content import media
from webapp.domain.publishing import publisher, recovery, schedules
from webapp.extensions import db
from webapp.models import Attempt, Media, Publication, utcnow


def _unconfirmed_on(mastodon: FakeMastodon, make, minutes_ago: int = 1) -> Publication:
    actor = make.actor()
    channel = channels.create_channel(
        actor,
        name="Social",
        platform="mastodon",
        settings={"url": mastodon.url},
        credentials={"access_token": mastodon.access_token},
    )
    content = make.content(actor, title="Launch", body="Launch day is here", status="approved")
    schedule = schedules.create_schedule(
        actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    )
    [publication] = schedules.publications_of(schedule)
    started = utcnow() - timedelta(minutes=minutes_ago)
    db.session.add(Attempt(publication_id=publication.id, number=1, started_at=started, outcome="unknown_outcome"))
    publication.status, publication.attempts_count = "unconfirmed", 1
    db.session.commit()
    return publication


def test_a_status_that_did_go_out_is_found_by_its_text_and_confirmed(make, mastodon):
    mastodon.ignores_idempotency_key = True  # GoToSocial, Takahē: a second send would post twice
    publication = _unconfirmed_on(mastodon, make)
    adapter = MastodonAdapter({"url": mastodon.url}, {"access_token": mastodon.access_token})
    posted = adapter.publish(publisher.build_request(publication))  # the first attempt reached the server

    assert recovery.resolve_unconfirmed()["confirmed"] == 1

    db.session.expire_all()
    publication = db.session.get(Publication, publication.id)
    assert (publication.status, publication.external_id) == ("published", posted.external_id)
    assert len(mastodon.statuses) == 1


def test_a_status_that_never_arrived_is_sent_again_once(make, mastodon):
    publication = _unconfirmed_on(mastodon, make)

    assert recovery.resolve_unconfirmed()["resent"] == 1
    assert db.session.get(Publication, publication.id).status == "scheduled"


def _with_an_upload(publication: Publication) -> None:
    item = db.session.query(Media).filter_by(content_id=publication.content_id).first()
    media.UploadLedger(publication.id).record(item.id, RemoteMedia("m-1", None))


def test_after_an_unknown_outcome_a_mastodon_publication_uploads_its_images_anew(make, mastodon, media_folder):
    publication = _unconfirmed_on(mastodon, make)
    media.add_media(_owner_of(publication), publication.content_id, image_bytes("PNG"), "a.png", "A square")
    _with_an_upload(publication)

    assert media.forget_uploads_after_unknown_outcome(publication) == 1
    db.session.commit()
    assert media.UploadLedger(publication.id).get(_media_id(publication)) is None


def test_a_webhook_publication_keeps_its_uploads(make, media_folder):
    actor = make.actor()
    content = make.content(actor, status="approved")
    item = media.add_media(actor, content.id, image_bytes("PNG"), "a.png", "A square")
    schedule = schedules.create_schedule(
        actor,
        {"content_id": content.id, "channel_ids": [make.channel(actor).id], "run_at": utcnow() + timedelta(hours=1)},
    )
    [publication] = schedules.publications_of(schedule)
    media.UploadLedger(publication.id).record(item.id, RemoteMedia("m-1", None))

    assert media.forget_uploads_after_unknown_outcome(publication) == 0
    assert media.UploadLedger(publication.id).get(item.id) == RemoteMedia("m-1", None)


def _owner_of(publication: Publication):
    from webapp.domain.shared.actor import Actor
    from webapp.models import Membership

    membership = db.session.query(Membership).filter_by(workspace_id=publication.workspace_id).first()
    return Actor(membership.user_id, publication.workspace_id, "owner", "ui")


def _media_id(publication: Publication) -> int:
    return db.session.query(Media).filter_by(content_id=publication.content_id).one().id
