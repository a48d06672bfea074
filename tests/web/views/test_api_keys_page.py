"""The API keys section of Settings: each key's name, when it was last used, and revoking it; the per-key rate limit."""

from __future__ import annotations

import re

from webapp.extensions import db
from webapp.models import ApiKey


def _row(html: str, name: str) -> str:
    """Return the table row of the key with this name."""
    rows = re.findall(r"<tr>.*?</tr>", html, flags=re.S)
    [row] = [r for r in rows if f"<td>{name}</td>" in r]
    return row


def _new_key(client, name: str) -> str:
    created = client.post("/settings/api-keys", data={"name": name})
    assert created.status_code == 201
    return re.search(r'<code id="new-api-key">([^<]+)</code>', created.get_data(as_text=True)).group(1)


def test_each_key_is_listed_by_its_name_with_when_it_was_last_used(client, auth, app):
    auth.sign_up()
    deploy, backup = _new_key(client, "deploy script"), _new_key(client, "nightly backup")
    unused_row = _row(client.get("/settings/").get_data(as_text=True), "deploy script")
    assert "<time" not in unused_row.split("</td>", 4)[3]  # never used: a dash

    assert app.test_client().get("/api/v1/channels", headers={"Authorization": f"Bearer {deploy}"}).status_code == 200

    html = client.get("/settings/").get_data(as_text=True)
    used = db.session.query(ApiKey).filter_by(name="deploy script").one().last_used_at
    last_used_cell = _row(html, "deploy script").split("</td>", 4)[3]
    assert f'<time datetime="{used:%Y-%m-%dT%H:%M:%SZ}"' in last_used_cell
    assert "<time" not in _row(html, "nightly backup").split("</td>", 4)[3]
    assert backup not in html and deploy not in html  # keys are shown once, at creation


def test_a_key_needs_a_name(client, auth):
    auth.sign_up()

    response = client.post("/settings/api-keys", data={"name": "   "})

    assert response.status_code == 422
    assert db.session.query(ApiKey).count() == 0


def test_revoking_one_key_leaves_the_others_working(client, auth, app):
    auth.sign_up()
    kept, revoked = _new_key(client, "kept"), _new_key(client, "revoked")
    record = db.session.query(ApiKey).filter_by(name="revoked").one()

    client.post(f"/settings/api-keys/{record.id}/revoke")

    api = app.test_client()
    assert api.get("/api/v1/channels", headers={"Authorization": f"Bearer {revoked}"}).status_code == 401
    assert api.get("/api/v1/channels", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    assert "revoked</span>" in _row(client.get("/settings/").get_data(as_text=True), "revoked")


def test_the_rate_limit_counts_each_key_apart(client, auth, app, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", 2)
    auth.sign_up()
    first, second = _new_key(client, "first"), _new_key(client, "second")
    api = app.test_client()

    def status(key: str) -> int:
        return api.get("/api/v1/channels", headers={"Authorization": f"Bearer {key}"}).status_code

    assert [status(first) for _ in range(3)] == [200, 200, 429]
    assert status(second) == 200  # the same user's other key has its own allowance
