"""A password reset ends every other session and remember-me cookie of the account, on every device."""

from __future__ import annotations

import logging
import re

import pytest

from tests.web.views.ada_browsers import NEW_PASSWORD, signed_in
from webapp.domain.accounts import accounts
from webapp.extensions import db
from webapp.models import SignInSession, User

LOGGED_LINK = re.compile(r"password reset link for \S+ \(not emailed\): \S*?(/reset/\S+)")


@pytest.fixture
def ada(make):
    return make.user("ada@example.test")


def reset_password_elsewhere(app, caplog) -> None:
    """Ask for a reset link and use it from yet another, signed-out browser."""
    stranger = app.test_client()
    with caplog.at_level(logging.WARNING, logger="herald.sessions"):
        stranger.post("/forgot", data={"email": "ada@example.test"})
    path = LOGGED_LINK.search(caplog.text).group(1)
    assert stranger.post(path, data={"password": NEW_PASSWORD}).status_code == 303


def test_a_browser_signed_in_before_a_reset_is_signed_out_after_it(app, ada, caplog):
    laptop = signed_in(app)

    reset_password_elsewhere(app, caplog)

    response = laptop.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_a_remember_me_cookie_from_before_a_reset_no_longer_signs_in(app, ada, caplog):
    phone = signed_in(app, remember=True)
    remember = phone.get_cookie("remember_token", domain="herald.test").value

    reset_password_elsewhere(app, caplog)

    returning = app.test_client()  # the phone's browser restarted: only the remember-me cookie is left
    returning.set_cookie("remember_token", remember, domain="herald.test")
    assert returning.get("/").status_code == 302


def test_signing_in_with_the_new_password_works_everywhere_again(app, ada, caplog):
    signed_in(app)
    reset_password_elsewhere(app, caplog)

    fresh = app.test_client()
    assert fresh.post("/signin", data={"email": "ada@example.test", "password": NEW_PASSWORD}).status_code == 303
    assert fresh.get("/").status_code == 200


def test_sessions_that_did_not_see_a_password_change_stay_signed_in(app, ada, make):
    laptop, bob = signed_in(app, remember=True), make.user("bob@example.test")
    bob.password_hash = "changed for someone else"
    db.session.commit()

    assert laptop.get("/").status_code == 200


def test_the_session_id_names_the_user_the_password_and_the_sign_in(app, ada):
    laptop = signed_in(app)
    with laptop.session_transaction() as session:
        user_id, digest, token = session["_user_id"].split(".")

    user = db.session.get(User, int(user_id))
    assert user.email == "ada@example.test" and digest == user.password_digest()
    assert user.password_hash not in session["_user_id"]
    row = db.session.query(SignInSession).one()
    assert row.user_id == user.id and row.token_hash == accounts.hash_token(token) and token not in row.token_hash


@pytest.mark.parametrize(
    ("session_id", "status"),
    [
        ("{id}.{digest}.{token}", 200),
        ("{id}.{digest}", 302),  # a cookie from before sign-ins were recorded
        ("{id}.{digest}.", 302),
        ("{id}.{digest}.{token}x", 302),
        ("{id}", 302),
        ("{id}.", 302),
        ("{id}.0000.{token}", 302),
        ("{id}.{digest}x.{token}", 302),
        ("x.{digest}.{token}", 302),
    ],
)
def test_only_a_session_id_with_the_current_digest_and_an_open_sign_in_signs_in(app, ada, session_id, status):
    browser = signed_in(app)
    with browser.session_transaction() as session:  # keeps the session's other keys (strong protection's `_id`)
        token = session["_user_id"].rsplit(".", 1)[1]
        session["_user_id"] = session_id.format(id=ada.id, digest=ada.password_digest(), token=token)

    assert browser.get("/").status_code == status
