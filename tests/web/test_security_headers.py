"""Security headers, sign-in throttling, API rate limits, sign-ins in the audit log."""

from webapp.extensions import db
from webapp.models import AuditEvent


def test_every_page_has_a_strict_csp_and_the_other_headers(client):
    response = client.get("/signin")

    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_the_icon_browsers_ask_for_by_themselves_is_served_signed_out(client):
    response = client.get("/favicon.ico")

    assert (response.status_code, response.location) == (302, "/static/favicon.svg")


def test_pages_carry_no_inline_script(client, auth):
    auth.sign_up()

    html = client.get("/").get_data(as_text=True)

    assert "<script>" not in html and "onclick=" not in html and "hx-on" not in html


def test_sign_in_is_throttled_per_email_and_address(client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ATTEMPTS", 3)
    auth.sign_up()
    auth.sign_out()

    statuses = [auth.sign_in(password="Wrong-Password-1").status_code for _ in range(4)]

    assert statuses == [422, 422, 422, 429]
    blocked = auth.sign_in()  # even the right password waits out the window
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0


def test_sign_ins_and_failed_ones_are_audited(client, auth):
    auth.sign_up()
    auth.sign_out()
    auth.sign_in(password="Wrong-Password-1")
    auth.sign_in()

    actions = [e.action for e in db.session.query(AuditEvent).order_by(AuditEvent.id)]
    assert actions[-2:] == ["user.sign_in_failed", "user.signed_in"]


def test_the_session_cookie_is_httponly_and_samesite(client, auth):
    response = auth.sign_up()

    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_an_api_key_over_its_rate_limit_gets_429_with_retry_after(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 2)

    statuses = [api("GET", "/channels").status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    response = api("GET", "/channels")
    assert response.json["error"]["code"] == "rate_limited" and int(response.headers["Retry-After"]) >= 1


def test_an_oversized_body_is_refused(api, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1000)

    response = api("POST", "/contents", data=b'{"title": "' + b"x" * 5000 + b'"}', content_type="application/json")

    assert response.status_code == 413
    assert response.json["error"]["code"] == "request_entity_too_large"
