"""Forgot password: one answer for every email, a single-use link by email or in the log, rate-limited."""

from __future__ import annotations

import logging
import re

import pytest

from tests.mailbox import (
    deliver_queued_mail,
    smtp_server_fixture,  # noqa: F401 - the `smtp_server` fixture
)
from webapp.domain.accounts import accounts
from webapp.extensions import db
from webapp.models import AuditEvent, PasswordReset

PASSWORD, NEW_PASSWORD = "Correct-Horse-42!", "Brand-New-Pass-7"
LOGGED_LINK = re.compile(r"password reset link for (\S+) \(not emailed\): (\S+)")


@pytest.fixture
def ada(make):
    return make.user("ada@example.test")


def ask(client, email: str):
    return client.post("/forgot", data={"email": email})


def logged_links(caplog) -> dict[str, str]:
    return dict(m.groups() for r in caplog.records if (m := LOGGED_LINK.search(r.getMessage())))


def local(link: str) -> str:
    return "/reset/" + link.rsplit("/reset/", 1)[1]


def test_the_sign_in_page_links_to_the_labelled_forgot_form(client):
    assert 'href="/forgot"' in client.get("/signin").get_data(as_text=True)

    html = client.get("/forgot").get_data(as_text=True)

    assert '<label for="email">Email</label>' in html and "Send reset link" in html


def test_known_and_unknown_emails_get_the_same_answer(client, ada, caplog):
    known, unknown = ask(client, "ada@example.test"), ask(client, "nobody@example.test")

    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert "If an account exists for that email" in known.get_data(as_text=True)
    assert list(logged_links(caplog)) == ["ada@example.test"]
    assert db.session.query(PasswordReset).count() == 1


def test_without_smtp_the_link_is_logged_and_sets_a_new_password_once(client, ada, caplog):
    with caplog.at_level(logging.WARNING, logger="herald.sessions"):
        ask(client, "ada@example.test")
    path = local(logged_links(caplog)["ada@example.test"])

    page = client.get(path)
    assert page.status_code == 200 and '<label for="password">New password</label>' in page.get_data(as_text=True)
    response = client.post(path, data={"password": NEW_PASSWORD})

    assert (response.status_code, response.headers["Location"]) == (303, "/signin")
    assert client.post("/signin", data={"email": "ada@example.test", "password": PASSWORD}).status_code == 422
    assert client.post("/signin", data={"email": "ada@example.test", "password": NEW_PASSWORD}).status_code == 303
    spent = client.get(path)
    assert spent.status_code == 404 and "already used" in spent.get_data(as_text=True)
    assert client.post(path, data={"password": "Third-Password-9"}).status_code == 404
    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert "user.password_reset_requested" in actions and "user.password_reset" in actions


def test_with_smtp_the_link_goes_by_email_to_the_public_url_and_is_not_logged(client, ada, smtp_server, caplog):
    ask(client, "ada@example.test")
    deliver_queued_mail()

    [message] = smtp_server.messages
    assert message["To"] == "ada@example.test" and message["Subject"] == "Reset your Herald password"
    link = re.search(r"https://herald\.example\.test/reset/\S+", message.get_content()).group(0)
    assert logged_links(caplog) == {}
    assert client.post(local(link), data={"password": NEW_PASSWORD}).status_code == 303
    assert accounts.authenticate("ada@example.test", NEW_PASSWORD) is not None


def test_a_weak_new_password_is_refused_beside_the_field(client, ada, caplog):
    ask(client, "ada@example.test")
    path = local(logged_links(caplog)["ada@example.test"])

    response = client.post(path, data={"password": "password"})

    assert response.status_code == 422 and 'id="password-error"' in response.get_data(as_text=True)
    assert accounts.authenticate("ada@example.test", PASSWORD) is not None


def test_a_made_up_link_is_404_with_a_way_to_ask_again(client):
    response = client.get("/reset/made-up")

    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True) and 'href="/forgot"' in response.get_data(as_text=True)


def test_reset_requests_are_rate_limited_per_email(client, app, ada, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_ATTEMPTS", 2)

    statuses = [ask(client, "ada@example.test").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    refused = ask(client, "ada@example.test")
    assert int(refused.headers["Retry-After"]) > 0 and "too many reset requests" in refused.get_data(as_text=True)
    assert db.session.query(PasswordReset).count() == 2


def test_reset_requests_are_rate_limited_per_address_across_emails(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "PASSWORD_RESET_ATTEMPTS", 2)

    statuses = [ask(client, f"probe{n}@example.test").status_code for n in range(3)]

    assert statuses == [200, 200, 429]


def test_a_signed_in_user_can_use_a_link_and_is_signed_out(client, auth, caplog):
    auth.sign_up("ada@example.test")
    ask(client, "ada@example.test")
    path = local(logged_links(caplog)["ada@example.test"])

    assert client.post(path, data={"password": NEW_PASSWORD}).status_code == 303
    assert client.get("/").status_code == 302


def test_a_forged_host_header_never_becomes_part_of_a_reset_link(client, ada, caplog, app, monkeypatch):
    # Anyone may ask a reset for any email: the link the operator is handed must not point where the asker says.
    monkeypatch.setitem(app.config, "PUBLIC_URL", "")
    client.post("/forgot", data={"email": "ada@example.test"}, headers={"Host": "evil.example"})

    link = logged_links(caplog)["ada@example.test"]
    assert link.startswith("/reset/") and "evil.example" not in caplog.text
    assert "prefix it with Herald's address, or set PUBLIC_URL" in caplog.text


def test_with_public_url_the_logged_link_is_whole_whatever_the_host(client, ada, caplog, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://herald.example.test")
    client.post("/forgot", data={"email": "ada@example.test"}, headers={"Host": "evil.example"})

    assert logged_links(caplog)["ada@example.test"].startswith("https://herald.example.test/reset/")
