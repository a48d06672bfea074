"""SIGNUP=open|invite|closed: who may make an account once the first one exists (the first always may)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

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
