"""SIGNUP=open|invite|closed: who may make an account once the first one exists (the first always may)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.mailbox import smtp_server_fixture  # noqa: F401 - the `smtp_server` fixture
from webapp.config import ConfigError, load_config
from webapp.extensions import db
from webapp.models import User

LINK = re.compile(r"(http://herald\.test/invitations/[A-Za-z0-9_-]+)")


def _users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_the_default_is_invite_only_and_a_wrong_mode_fails_at_start_up(tmp_path):
    assert load_config(str(tmp_path), {"HERALD_ENV": "testing"})["SIGNUP"] == "invite"
    with pytest.raises(ConfigError, match="SIGNUP='sometimes' must be one of open, invite, closed"):
        load_config(str(tmp_path), {"HERALD_ENV": "testing", "SIGNUP": "sometimes"})


@pytest.mark.parametrize("mode", ["invite", "closed"])
def test_the_first_account_of_an_empty_install_can_always_be_made(client, auth, app, monkeypatch, mode):
    monkeypatch.setitem(app.config, "SIGNUP", mode)

    assert "Create your account" in client.get("/signup").get_data(as_text=True)
    response = auth.sign_up("first@example.test")

    assert response.status_code == 303 and _users() == 1


@pytest.mark.parametrize(
    ("mode", "says"),
    [("invite", "Sign-up on this Herald is by invitation"), ("closed", "Sign-up on this Herald is closed")],
)
def test_after_the_first_account_the_page_says_how_to_get_in_and_makes_nothing(
    client, auth, app, monkeypatch, mode, says
):
    auth.sign_up("first@example.test")
    auth.sign_out()
    monkeypatch.setitem(app.config, "SIGNUP", mode)

    page = client.get("/signup")
    response = auth.sign_up("second@example.test")

    assert page.status_code == 200 and says in page.get_data(as_text=True)
    assert 'name="password"' not in page.get_data(as_text=True)
    assert response.status_code == 403 and says in response.get_data(as_text=True)
    assert _users() == 1


def test_open_sign_up_takes_anyone(client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP", "open")
    auth.sign_up("first@example.test")
    auth.sign_out()

    assert auth.sign_up("second@example.test").status_code == 303 and _users() == 2


def _invite(client, auth, email: str) -> str:
    auth.sign_up("owner@example.test")
    response = client.post("/members/invitations", data={"email": email, "role": "editor"})
    auth.sign_out()
    return LINK.search(response.get_data(as_text=True)).group(1).removeprefix("http://herald.test")


def test_under_invite_an_invitation_makes_the_invited_account(client, auth, app, monkeypatch):
    path = _invite(client, auth, "new@example.test")
    monkeypatch.setitem(app.config, "SIGNUP", "invite")

    response = client.post(path, data={"password": "Correct-Horse-42!", "timezone": "UTC"})

    assert response.status_code == 303 and _users() == 2


def test_closed_sign_up_refuses_an_invitation_that_would_make_an_account(client, auth, app, monkeypatch):
    path = _invite(client, auth, "new@example.test")
    monkeypatch.setitem(app.config, "SIGNUP", "closed")

    page = client.get(path)
    response = client.post(path, data={"password": "Correct-Horse-42!", "timezone": "UTC"})

    assert "this Herald makes none by sign-up" in page.get_data(as_text=True)
    assert response.status_code == 403 and _users() == 1


def test_sign_ups_from_one_address_are_throttled(client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_ATTEMPTS_PER_ADDRESS", 2)
    for n in range(2):
        auth.sign_up(f"user{n}@example.test")
        auth.sign_out()

    refused = auth.sign_up("third@example.test")

    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 3600
    assert "too many sign-ups from your address" in refused.get_data(as_text=True)
    assert _users() == 2


# Open sign-up with a mail server: confirmed by email, every address answered alike.


@pytest.fixture
def open_with_mail(client, auth, app, monkeypatch, smtp_server):
    monkeypatch.setitem(app.config, "SIGNUP", "open")
    auth.sign_up("first@example.test")  # accounts exist: from now on sign-up confirms by email
    auth.sign_out()
    return smtp_server


def _sign_up(client, email: str):
    return client.post("/signup", data={"email": email, "password": "Correct-Horse-42!", "timezone": "Europe/Paris"})


def _delivered():
    from tests.mailbox import deliver_queued_mail

    deliver_queued_mail()


def test_a_new_and_a_taken_address_get_the_same_answer_and_their_owners_are_told_by_email(client, open_with_mail):
    new, taken = _sign_up(client, "newcomer@example.test"), _sign_up(client, "first@example.test")
    _delivered()

    assert new.status_code == taken.status_code == 200
    for response, email in ((new, "newcomer@example.test"), (taken, "first@example.test")):
        assert f"Check your inbox: we sent a message to {email}" in response.get_data(as_text=True)
    assert "already" not in new.get_data(as_text=True) + taken.get_data(as_text=True)
    assert _users() == 1  # nothing is made until the link is followed
    subjects = {m["To"]: m["Subject"] for m in open_with_mail.messages}
    assert subjects == {
        "newcomer@example.test": "Finish creating your Herald account",
        "first@example.test": "You already have a Herald account",
    }


def test_the_emailed_link_makes_the_account_with_the_password_chosen_and_works_once(client, open_with_mail, auth):
    _sign_up(client, "newcomer@example.test")
    _delivered()
    [message] = [m for m in open_with_mail.messages if m["To"] == "newcomer@example.test"]
    path = re.search(r"https?://[^/\s]+(/signup/finish/\S+)", message.get_content()).group(1)

    page = client.get(path)
    assert page.status_code == 200 and "newcomer@example.test" in page.get_data(as_text=True)
    assert _users() == 1  # a GET changes nothing
    made = client.post(path)

    assert made.status_code == 303 and _users() == 2
    user = db.session.query(User).filter_by(email="newcomer@example.test").one()
    assert user.timezone == "Europe/Paris"
    auth.sign_out()
    assert auth.sign_in("newcomer@example.test", "Correct-Horse-42!").status_code == 303
    auth.sign_out()
    assert client.get(path).status_code == 404  # spent


def test_a_bad_password_is_refused_beside_the_field_before_anything_is_sent(client, open_with_mail):
    response = client.post("/signup", data={"email": "x@example.test", "password": "short", "timezone": "UTC"})
    _delivered()

    assert response.status_code == 422 and open_with_mail.messages == []
