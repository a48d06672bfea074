"""Sign up, sign in, sign out through the forms."""

import pytest

from webapp.extensions import db
from webapp.models import Membership, User, Workspace


def test_sign_up_creates_the_user_their_workspace_and_signs_them_in(client, auth):
    response = auth.sign_up("new@example.test", timezone="Europe/Paris")

    assert response.status_code == 303 and response.headers["Location"] == "/"
    user = db.session.query(User).filter_by(email="new@example.test").one()
    assert user.timezone == "Europe/Paris" and user.password_hash != "Correct-Horse-42!"
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    assert membership.role == "owner" and db.session.get(Workspace, membership.workspace_id)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("email", "password", "timezone", "field", "message"),
    [
        ("taken@example.test", "Another-Pass-9", "UTC", "email", "is already registered"),
        ("weak@example.test", "short1", "UTC", "password", "at least 10 characters"),
        ("weak2@example.test", "onlyletterslong", "UTC", "password", "mix letters with digits"),
        ("not-an-email", "Correct-Horse-42!", "UTC", "email", "must be an email address"),
        ("tz@example.test", "Correct-Horse-42!", "Mars/Base", "timezone", "unknown timezone"),
    ],
)
def test_bad_sign_up_shows_the_error_beside_the_field_and_stores_nothing(
    client, auth, email, password, timezone, field, message
):
    auth.sign_up("taken@example.test")
    auth.sign_out()
    users_before = db.session.query(User).count()

    response = auth.sign_up(email, password, timezone)

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html and message in html
    assert db.session.query(User).count() == users_before


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(client, auth):
    auth.sign_up()
    auth.sign_out()

    response = auth.sign_in(password="Wrong-Password-1")

    assert response.status_code == 422
    assert "email or password is wrong" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_sign_in_then_out(client, auth):
    auth.sign_up()
    auth.sign_out()

    assert auth.sign_in().status_code == 303
    assert client.get("/").status_code == 200
    assert auth.sign_out().headers["Location"] == "/signin"
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("path", ["/", "/channels/", "/contents/", "/schedules/", "/events", "/publications/1"])
def test_pages_require_sign_in(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/signin?next=")


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/%09/evil.example/x",  # a browser drops the tab: //evil.example/x
        "/%0a/evil.example/x",
        "/%5Cevil.example/x",  # a browser reads /\ as //
        "%5C%5Cevil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "settings/",
    ],
)
def test_sign_in_only_redirects_to_local_paths(client, auth, target):
    auth.sign_up()
    auth.sign_out()

    response = client.post(
        f"/signin?next={target}", data={"email": "ada@example.test", "password": "Correct-Horse-42!"}
    )

    assert response.headers["Location"] == "/"


def test_sign_in_goes_on_to_a_local_path_with_its_query(client, auth):
    auth.sign_up()
    auth.sign_out()

    response = client.post(
        "/signin?next=/publications/%3Fstatus%3Dfailed",
        data={"email": "ada@example.test", "password": "Correct-Horse-42!"},
    )

    assert response.headers["Location"] == "/publications/?status=failed"


def test_forms_refuse_a_post_without_a_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = app.test_client().post(
            "/signup", data={"email": "x@example.test", "password": "Correct-Horse-42!", "timezone": "UTC"}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False

    assert response.status_code == 400
    assert db.session.query(User).count() == 0
