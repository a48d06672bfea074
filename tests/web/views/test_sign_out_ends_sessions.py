"""Signing out ends the session server-side: a cookie copied before sign-out, session or remember-me, opens
nothing after it; "sign out everywhere else" in settings ends every other browser's session."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import AuditEvent, SignInSession

from .test_password_change_ends_sessions import ada, signed_in  # noqa: F401 - Ada and her browsers


def _copy_cookies(source, target) -> None:
    """What a thief does with a copied cookie jar: every cookie the browser holds, into another browser."""
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


@pytest.mark.parametrize("remember", [False, True])
def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(app, ada, remember):  # noqa: F811
    laptop = signed_in(app, remember=remember)
    thief = app.test_client()
    _copy_cookies(laptop, thief)
    assert thief.get("/settings/").status_code == 200  # the copy works while the sign-in lasts

    assert laptop.post("/signout").status_code == 303

    assert thief.get("/settings/").status_code == 302
    assert laptop.get("/settings/").status_code == 302
    assert db.session.scalars(select(SignInSession.ended_at)).one() is not None


def test_a_copied_remember_me_cookie_alone_no_longer_signs_in_after_sign_out(app, ada):  # noqa: F811
    laptop = signed_in(app, remember=True)
    remembered = next(c for c in laptop._cookies.values() if c.key == "remember_token")
    laptop.post("/signout")

    thief = app.test_client()
    thief.set_cookie(remembered.key, remembered.value, domain=remembered.domain, path=remembered.path)

    assert thief.get("/settings/").status_code == 302


def test_sign_out_everywhere_else_ends_the_other_browsers_and_keeps_this_one(app, ada):  # noqa: F811
    laptop, phone, tablet = signed_in(app), signed_in(app, remember=True), signed_in(app)
    assert "You are also signed in on 2 other browsers or devices." in laptop.get("/settings/").text

    response = laptop.post("/settings/sessions/end-others", follow_redirects=True)

    assert "Signed out of 2 other browsers and devices; this one stays signed in." in response.text
    assert phone.get("/settings/").status_code == 302 and tablet.get("/settings/").status_code == 302
    assert laptop.get("/settings/").status_code == 200
    assert "You are signed in on this browser only." in laptop.get("/settings/").text
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "user.signed_out_elsewhere")).one()
    assert event.details == {"sessions": 2}


def test_a_get_cannot_sign_anyone_out(app, ada):  # noqa: F811
    laptop, phone = signed_in(app), signed_in(app)

    assert laptop.get("/settings/sessions/end-others").status_code == 405
    assert phone.get("/settings/").status_code == 200
