"""Settings → Password: a signed-in user changes their own password; every other session ends, this one stays."""

from __future__ import annotations

import re

import pytest

from tests.web.views.ada_browsers import NEW_PASSWORD, PASSWORD, signed_in
from webapp.domain.accounts import password_reset, passwords
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, User


@pytest.fixture
def ada(make):
    return make.user("ada@example.test")


def change(browser, current=PASSWORD, new=NEW_PASSWORD, confirmation=None):
    data = {
        "current_password": current,
        "new_password": new,
        "confirmation": new if confirmation is None else confirmation,
    }
    return browser.post("/settings/password", data=data)


def password_is(password: str) -> bool:
    db.session.expire_all()
    return passwords.verify(db.session.query(User).filter_by(email="ada@example.test").one().password_hash, password)[0]


def test_the_settings_page_has_a_labelled_change_password_form(app, ada):
    html = signed_in(app).get("/settings/").get_data(as_text=True)

    assert 'action="/settings/password"' in html
    for field, label in [
        ("current_password", "Current password"),
        ("new_password", "New password"),
        ("confirmation", "Confirm new password"),
    ]:
        assert f'<label for="{field}">{label}</label>' in html
        assert re.search(rf'<input [^>]*id="{field}" [^>]*type="password"', html)
    assert ">Change password</button>" in html


def test_changing_the_password_keeps_this_browser_signed_in_and_the_new_password_works(app, ada):
    laptop = signed_in(app)

    response = change(laptop)

    assert response.status_code == 303 and response.headers["Location"] == "/settings/"
    page = laptop.get("/settings/")
    assert page.status_code == 200 and "every other browser and device is signed out" in page.get_data(as_text=True)
    assert password_is(NEW_PASSWORD)
    fresh = app.test_client()
    assert fresh.post("/signin", data={"email": "ada@example.test", "password": PASSWORD}).status_code == 422
    assert fresh.post("/signin", data={"email": "ada@example.test", "password": NEW_PASSWORD}).status_code == 303


def test_a_second_browser_signed_in_before_the_change_is_signed_out(app, ada):
    laptop, phone = signed_in(app), signed_in(app)

    assert change(laptop).status_code == 303

    assert laptop.get("/").status_code == 200
    response = phone.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")


def test_a_remember_me_cookie_from_before_the_change_no_longer_signs_in(app, ada):
    phone = signed_in(app, remember=True)
    old_cookie = phone.get_cookie("remember_token", domain="herald.test").value
    laptop = signed_in(app)

    assert change(laptop).status_code == 303

    returning = app.test_client()  # the phone's browser restarted: only its remember-me cookie is left
    returning.set_cookie("remember_token", old_cookie, domain="herald.test")
    assert returning.get("/").status_code == 302


def test_the_changing_browser_keeps_a_working_remember_me_cookie_when_it_had_one(app, ada):
    laptop = signed_in(app, remember=True)
    old_cookie = laptop.get_cookie("remember_token", domain="herald.test").value

    assert change(laptop).status_code == 303

    new_cookie = laptop.get_cookie("remember_token", domain="herald.test").value
    assert new_cookie != old_cookie
    returning = app.test_client()
    returning.set_cookie("remember_token", new_cookie, domain="herald.test")
    assert returning.get("/").status_code == 200


def test_a_wrong_current_password_is_refused_beside_the_field_and_changes_nothing(app, ada):
    laptop, phone = signed_in(app), signed_in(app)

    response = change(laptop, current="Not-My-Password-1")

    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert '<p class="error" id="current_password-error">Current password is wrong</p>' in html
    assert password_is(PASSWORD)
    assert phone.get("/").status_code == 200 and laptop.get("/").status_code == 200
    assert db.session.query(AuditEvent).filter_by(action="password.changed").count() == 0


@pytest.mark.parametrize(
    ("new", "confirmation", "field", "message"),
    [
        ("short-1", "short-1", "new_password", "must be at least 10 characters"),
        ("onlyletterspassword", "onlyletterspassword", "new_password", "must mix letters with digits or symbols"),
        (PASSWORD, PASSWORD, "new_password", "must differ from the current password"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "confirmation", "does not match the new password"),
    ],
)
def test_the_new_password_follows_the_sign_up_rules_and_must_be_confirmed(app, ada, new, confirmation, field, message):
    laptop = signed_in(app)

    response = change(laptop, new=new, confirmation=confirmation)

    assert response.status_code == 422
    assert f'id="{field}-error">' in response.get_data(as_text=True)
    assert message in response.get_data(as_text=True)
    assert password_is(PASSWORD)


def test_a_change_is_audited_without_the_password(app, ada):
    change(signed_in(app))

    event = db.session.query(AuditEvent).filter_by(action="password.changed").one()
    membership = db.session.query(Membership).filter_by(user_id=ada.id).one()
    assert (event.actor_user_id, event.target_type, event.target_id) == (ada.id, "user", ada.id)
    assert event.workspace_id == membership.workspace_id and event.source == "ui"
    assert PASSWORD not in repr(event.details) and NEW_PASSWORD not in repr(event.details)


def test_guessing_the_current_password_is_rate_limited_like_sign_in(app, ada, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ATTEMPTS", 3)
    laptop = signed_in(app)
    for _ in range(3):
        assert change(laptop, current="Wrong-Guess-123").status_code == 422

    response = change(laptop)  # even the right password waits out the window

    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Current password has been tried too often" in response.get_data(as_text=True)
    assert password_is(PASSWORD)


def test_a_reset_link_asked_for_before_the_change_stops_working(app, ada):
    _, token = password_reset.request_reset("ada@example.test")

    change(signed_in(app))

    assert app.test_client().get(f"/reset/{token}").status_code == 404


def test_signed_out_visitors_cannot_change_a_password(app, ada):
    response = change(app.test_client())

    assert response.status_code == 302 and response.headers["Location"].startswith("/signin")
    assert password_is(PASSWORD)


def test_a_viewer_may_change_their_own_password(app, ada):
    membership = db.session.query(Membership).filter_by(user_id=ada.id).one()
    membership.role = "viewer"
    db.session.commit()

    assert change(signed_in(app)).status_code == 303
    assert password_is(NEW_PASSWORD)
