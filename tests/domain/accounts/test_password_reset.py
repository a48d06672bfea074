"""Password reset links: hashed, expiring, single-use, void once the password changes or a newer one is made."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from webapp.core.errors import NotFound, ValidationFailed
from webapp.domain.accounts import accounts, password_reset
from webapp.extensions import db
from webapp.models import AuditEvent, PasswordReset, utcnow

NEW_PASSWORD = "Brand-New-Pass-7"


@pytest.fixture
def user(make):
    return make.user("ada@example.test")


def test_an_unknown_email_gets_no_link_and_nothing_is_stored(app):
    assert password_reset.request_reset("nobody@example.test") is None
    assert db.session.query(PasswordReset).count() == 0


def test_a_link_stores_only_its_digest_and_expires(user, app):
    issued_to, token = password_reset.request_reset(" ADA@example.test ", "10.0.0.1")

    record = db.session.scalars(select(PasswordReset)).one()
    assert issued_to == user and record.token_hash == accounts.hash_token(token)
    ttl = timedelta(minutes=app.config["PASSWORD_RESET_TTL_MINUTES"])
    assert ttl - (record.expires_at - record.created_at) < timedelta(seconds=5)
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[-1]
    assert (event.action, event.ip) == ("user.password_reset_requested", "10.0.0.1")


def test_a_link_sets_the_password_once(user):
    _, token = password_reset.request_reset(user.email)

    password_reset.reset_password(token, NEW_PASSWORD, "10.0.0.1")

    assert accounts.authenticate(user.email, NEW_PASSWORD) == user
    assert accounts.authenticate(user.email, "Correct-Horse-42!") is None
    with pytest.raises(NotFound):
        password_reset.reset_password(token, "Another-Pass-8")
    assert accounts.authenticate(user.email, NEW_PASSWORD) == user
    assert db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[-1].action == "user.password_reset"


def test_a_weak_password_is_refused_and_the_link_still_works(user):
    _, token = password_reset.request_reset(user.email)

    with pytest.raises(ValidationFailed) as caught:
        password_reset.reset_password(token, "short")

    assert caught.value.fields == {"password": "must be at least 10 characters"}
    assert password_reset.find_reset(token).used_at is None
    assert accounts.authenticate(user.email, "Correct-Horse-42!") == user


def test_an_expired_link_is_refused(user):
    _, token = password_reset.request_reset(user.email)
    db.session.scalars(select(PasswordReset)).one().expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()

    with pytest.raises(NotFound, match="expired"):
        password_reset.reset_password(token, NEW_PASSWORD)
    assert accounts.authenticate(user.email, "Correct-Horse-42!") == user


def test_a_newer_link_voids_the_older_one(user):
    _, older = password_reset.request_reset(user.email)
    _, newer = password_reset.request_reset(user.email)

    with pytest.raises(NotFound):
        password_reset.find_reset(older)
    assert password_reset.find_reset(newer).user == user


def test_changing_the_password_any_other_way_voids_an_outstanding_link(user):
    _, token = password_reset.request_reset(user.email)
    accounts.set_password(user, "Changed-Elsewhere-3")
    db.session.commit()

    with pytest.raises(NotFound):
        password_reset.reset_password(token, NEW_PASSWORD)
    assert accounts.authenticate(user.email, "Changed-Elsewhere-3") == user


def test_a_made_up_token_is_refused(user):
    password_reset.request_reset(user.email)

    with pytest.raises(NotFound):
        password_reset.find_reset("not-the-token")
