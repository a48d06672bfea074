"""A person marks an unconfirmed publication published, at the address where they found the post."""

from __future__ import annotations

import pytest

from tests.domain.publishing.test_recovery import _stuck_publishing
from webapp.core.errors import Conflict, NotFound, ValidationFailed
from webapp.domain.publishing import confirmations, recovery
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, Publication, PublicationChange


def _unconfirmed(make) -> tuple[Actor, Publication]:
    pid = _stuck_publishing(make)
    recovery.mark_orphans()
    recovery.resolve_unconfirmed()  # a webhook: held for a person
    publication = db.session.get(Publication, pid)
    membership = db.session.query(Membership).filter_by(workspace_id=publication.workspace_id).first()
    return Actor(membership.user_id, publication.workspace_id, "owner", "ui"), publication


def test_marking_published_records_the_address_an_attempt_the_audit_and_the_timeline(make):
    actor, publication = _unconfirmed(make)

    confirmations.mark_published(actor, publication.id, " https://blog.example/2031/launch ")

    db.session.expire_all()
    publication = db.session.get(Publication, publication.id)
    assert (publication.status, publication.external_url) == ("published", "https://blog.example/2031/launch")
    assert publication.hold_reason is None and publication.last_error is None
    assert publication.attempts[-1].outcome == "published"
    assert "confirmed by a person" in publication.attempts[-1].error_message
    assert (
        db.session.query(AuditEvent).filter_by(action="publication.marked_published").one().target_id == publication.id
    )
    [change] = db.session.query(PublicationChange).filter_by(publication_id=publication.id).all()
    assert (change.status, change.detail) == ("published", "marked published")


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "ftp://x.example/p", "https://", "x" * 10])
def test_a_bad_address_is_refused_by_field_and_changes_nothing(make, url):
    actor, publication = _unconfirmed(make)

    with pytest.raises(ValidationFailed) as refused:
        confirmations.mark_published(actor, publication.id, url)

    assert set(refused.value.fields) == {"url"}
    db.session.rollback()
    assert db.session.get(Publication, publication.id).status == "unconfirmed"


def test_only_an_unconfirmed_publication_can_be_marked_published(make):
    actor, publication = _unconfirmed(make)
    confirmations.mark_published(actor, publication.id, "https://blog.example/p")

    with pytest.raises(Conflict, match="is published; only an unconfirmed publication"):
        confirmations.mark_published(actor, publication.id, "https://blog.example/p")


def test_another_workspace_cannot_mark_it(make):
    _, publication = _unconfirmed(make)
    stranger = make.actor()

    with pytest.raises(NotFound):
        confirmations.mark_published(stranger, publication.id, "https://blog.example/p")
