"""Behind trusted reverse proxies (PROXY_FIX_X_FOR), the client's address is the forwarded one; by default it is not."""

from __future__ import annotations

import re

import pytest

from webapp import register_proxy_fix
from webapp.config import ConfigError, load_config
from webapp.extensions import db
from webapp.models import AuditEvent, User

PROXY = {"REMOTE_ADDR": "10.0.0.5"}  # the proxy, as the WSGI server sees it


@pytest.fixture
def proxied(app, monkeypatch):
    """The app as create_app builds it with one trusted proxy (the WSGI stack is put back afterwards)."""
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app)
    monkeypatch.setitem(app.config, "PROXY_FIX_X_FOR", 1)
    monkeypatch.setitem(app.config, "PROXY_FIX_X_PROTO", 1)
    register_proxy_fix(app)
    return app


@pytest.fixture
def member(client, auth):
    auth.sign_up("ada@example.test")
    auth.sign_out()
    return db.session.query(User).filter_by(email="ada@example.test").one()


def _failed_sign_in(client, forwarded_for: str | None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(
        "/signin",
        data={"email": "ada@example.test", "password": "wrong-password-1"},
        headers=headers,
        environ_base=PROXY,
    )


def _failure_ips() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.ip).where(AuditEvent.action == "user.sign_in_failed")))


def test_with_one_trusted_proxy_the_audit_log_records_the_forwarded_client(proxied, client, member):
    # The client's own claim comes first; the proxy appends the address it saw, which is the one believed.
    _failed_sign_in(client, "198.51.100.1, 203.0.113.7")

    assert _failure_ips() == ["203.0.113.7"]


def test_by_default_forwarding_headers_are_ignored(app, client, member):
    assert app.config["PROXY_FIX_X_FOR"] == 0

    _failed_sign_in(client, "203.0.113.7")

    assert _failure_ips() == ["10.0.0.5"]


def test_the_sign_in_throttle_counts_each_forwarded_client_apart(proxied, client, member, monkeypatch):
    monkeypatch.setitem(proxied.config, "LOGIN_ATTEMPTS", 2)

    first = [_failed_sign_in(client, "203.0.113.7").status_code for _ in range(3)]
    other = _failed_sign_in(client, "203.0.113.8").status_code

    assert first == [422, 422, 429]
    assert other == 422


def _feed_url(client) -> str:
    response = client.post("/integrations/calendar", headers={"X-Forwarded-Proto": "https"})
    assert response.status_code == 201
    return re.search(r'<code id="feed-url">([^<]+)</code>', response.get_data(as_text=True)).group(1)


def test_with_a_trusted_proxy_the_forwarded_scheme_makes_links_https(proxied, client, auth):
    client.environ_base.update(PROXY)
    auth.sign_up("ada@example.test")

    assert _feed_url(client).startswith("https://herald.test/")


def test_by_default_the_forwarded_scheme_is_ignored(app, client, auth):
    client.environ_base.update(PROXY)
    auth.sign_up("ada@example.test")

    assert _feed_url(client).startswith("http://herald.test/")


@pytest.mark.parametrize("name", ["PROXY_FIX_X_FOR", "PROXY_FIX_X_PROTO"])
def test_a_negative_proxy_count_is_refused(tmp_path, name):
    with pytest.raises(ConfigError, match=name):
        load_config(str(tmp_path), {"HERALD_ENV": "testing", name: "-1"})
    assert load_config(str(tmp_path), {"HERALD_ENV": "testing", name: "2"})[name] == 2
