"""Settings: profile timezone and API keys."""

from webapp.extensions import db
from webapp.models import ApiKey, User


def test_changing_the_profile_timezone(client, auth):
    auth.sign_up(timezone="UTC")

    response = client.post("/settings/timezone", data={"timezone": "America/New_York"})

    assert response.status_code == 303
    assert db.session.query(User).one().timezone == "America/New_York"


def test_an_unknown_timezone_is_refused_beside_the_field(client, auth):
    auth.sign_up(timezone="UTC")

    response = client.post("/settings/timezone", data={"timezone": "Mars/Olympus"})

    assert response.status_code == 422 and 'id="timezone-error"' in response.get_data(as_text=True)
    assert db.session.query(User).one().timezone == "UTC"


def test_a_new_api_key_is_shown_once_and_works_until_revoked(client, auth, app):
    auth.sign_up()

    created = client.post("/settings/api-keys", data={"name": "deploy"})

    assert created.status_code == 201
    html = created.get_data(as_text=True)
    key = html.split('<code id="new-api-key">')[1].split("</code>")[0]
    assert "session" not in created.headers.get("Set-Cookie", "") or key not in created.headers["Set-Cookie"]
    api = app.test_client()
    assert api.get("/api/v1/channels", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert key not in client.get("/settings/").get_data(as_text=True)  # never shown again

    record = db.session.query(ApiKey).one()
    client.post(f"/settings/api-keys/{record.id}/revoke")

    assert api.get("/api/v1/channels", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert "revoked" in client.get("/settings/").get_data(as_text=True)


def test_another_users_key_cannot_be_revoked(client, auth, make):
    from webapp.domain.accounts import accounts

    other = make.user()
    record, _ = accounts.create_api_key(other)
    auth.sign_up()

    response = client.post(f"/settings/api-keys/{record.id}/revoke")

    assert response.status_code == 404
    assert db.session.get(ApiKey, record.id).revoked_at is None
