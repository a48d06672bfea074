"""Account security that issue 7 asks for and nothing else tested: session rotation, remember-me, cookie flags,
the remaining security headers, and API keys stored only as digests."""

from __future__ import annotations

import hashlib

import pytest

from webapp.config import load_config
from webapp.extensions import db
from webapp.models import ApiKey

PASSWORD = "Correct-Horse-42!"


def cookies_set(response) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.getlist("Set-Cookie")}


@pytest.fixture
def ada(client, auth):
    auth.sign_up("ada@example.test")
    auth.sign_out()


def test_signing_in_starts_a_fresh_session(client, ada):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker before sign-in"

    client.post("/signin", data={"email": "ada@example.test", "password": PASSWORD})

    with client.session_transaction() as session:
        assert "planted" not in session and session.get("_user_id")


def test_remember_me_sets_a_lasting_httponly_samesite_cookie_that_signs_in_alone(app, client, ada):
    plain = client.post("/signin", data={"email": "ada@example.test", "password": PASSWORD})
    assert "remember_token" not in cookies_set(plain)
    client.post("/signout")

    response = client.post("/signin", data={"email": "ada@example.test", "password": PASSWORD, "remember": "y"})

    cookie = cookies_set(response)["remember_token"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie
    returning = app.test_client()  # a new browser session: no session cookie, only the remember-me one
    returning.set_cookie("remember_token", cookie.split(";", 1)[0].split("=", 1)[1], domain="herald.test")
    assert returning.get("/").status_code == 200


def test_production_sends_both_cookies_over_https_only(tmp_path):
    config = load_config(str(tmp_path), {"HERALD_ENV": "production", "SECRET_KEY": "k" * 32})

    assert config["SESSION_COOKIE_SECURE"] is True and config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True and config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_with_secure_cookies_every_cookie_is_secure_and_hsts_is_sent(app, client, ada, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)

    response = client.post(
        "/signin",
        data={"email": "ada@example.test", "password": PASSWORD, "remember": "y"},
        base_url="https://herald.test",
    )

    assert all("Secure" in cookie for cookie in cookies_set(response).values())
    assert set(cookies_set(response)) >= {"session", "remember_token"}
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_plain_http_development_gets_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/signin").headers


def test_pages_send_the_permissions_and_opener_policies(client):
    headers = client.get("/signin").headers

    assert headers["Permissions-Policy"].startswith("camera=()")
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "object-src 'none'" in headers["Content-Security-Policy"]


def test_an_api_key_is_stored_only_as_its_sha256_digest(client, auth):
    auth.sign_up("ada@example.test")

    html = client.post("/settings/api-keys", data={"name": "deploy"}).get_data(as_text=True)
    key = html.split('<code id="new-api-key">')[1].split("</code>")[0]

    record = db.session.query(ApiKey).one()
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in (record.key_hash, record.prefix, record.name) and key.startswith(record.prefix)


def test_one_address_trying_many_accounts_is_throttled_too(client, app, ada, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ATTEMPTS_PER_ADDRESS", 3)

    statuses = [
        client.post("/signin", data={"email": f"guess{n}@example.test", "password": "Wrong-Password-1"}).status_code
        for n in range(4)
    ]

    assert statuses == [422, 422, 422, 429]
    blocked = client.post("/signin", data={"email": "ada@example.test", "password": PASSWORD})
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    elsewhere = app.test_client()  # another address is not held back by this one
    response = elsewhere.post(
        "/signin", data={"email": "ada@example.test", "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.9.8.7"}
    )
    assert response.status_code == 303
