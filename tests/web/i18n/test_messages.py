"""Messages outside templates in the reader's language: API errors (codes stay), the profile's language through the
API, form errors from the domain, flashes, and notifications in each recipient's language."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from webapp.domain.accounts import accounts
from webapp.domain.integrations import notifications
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.models import AuditEvent, Membership, Notification, Schedule, User


def _schedule_body(make, actor) -> dict:
    channel = make.channel(actor)
    # An unknown content id and a priority that is none: a 422 whatever the date.
    return {"content_id": 2**31 - 1, "channel_ids": [channel.id], "run_at": "2031-01-01T09:00:00Z", "priority": "x"}


def _schedules() -> int:
    return db.session.scalar(select(func.count()).select_from(Schedule))


@pytest.mark.parametrize(
    ("language", "message", "content_id", "priority"),
    [
        (None, "Some fields are not valid.", "unknown content id", "must be one of critical, high, normal, low"),
        ("fr", "Certains champs ne sont pas valides.", "identifiant de contenu inconnu", "doit être l’une des valeurs"),
        ("de", "Einige Felder sind ungültig.", "unbekannte Inhalts-ID", "muss einer der Werte"),
        ("es", "Algunos campos no son válidos.", "identificador de contenido desconocido", "debe ser uno de"),
    ],
)
def test_an_api_validation_error_speaks_the_browsers_language_and_keeps_its_code(
    api, api_key, make, language, message, content_id, priority
):
    body = _schedule_body(make, api_key[1])
    headers = {"Accept-Language": language} if language else {}

    response = api("POST", "/schedules", json=body, headers=headers)

    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["message"], error["fields"]["content_id"]) == (
        "validation_failed",
        message,
        content_id,
    )
    assert (
        error["fields"]["priority"].startswith(priority)
        and "critical, high, normal, low" in error["fields"]["priority"]
    )
    assert _schedules() == 0


def test_the_keys_users_language_wins_over_the_browsers(api, api_key, make):
    user = db.session.get(User, api_key[1].user_id)
    accounts.set_locale(api_key[1], user, "de")

    response = api("POST", "/schedules", json=_schedule_body(make, api_key[1]), headers={"Accept-Language": "fr"})

    assert response.json["error"]["message"] == "Einige Felder sind ungültig."


def test_an_unauthenticated_call_is_refused_in_the_browsers_language_with_the_same_code(client):
    response = client.get("/api/v1/schedules", headers={"Accept-Language": "es"})

    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.json["error"]["message"] == "Envía una clave de API como 'Authorization: Bearer <key>'."


def test_a_conflict_and_a_not_found_are_translated_too(api, api_key):
    response = api("GET", "/schedules/999999", headers={"Accept-Language": "fr"})

    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"] == "planification introuvable"


def test_unknown_routes_and_methods_answer_in_the_language(api):
    response = api("GET", "/no-such-thing", headers={"Accept-Language": "de"})

    assert response.status_code == 404
    assert response.json["error"] == {"code": "not_found", "message": "An dieser Adresse wurde nichts gefunden."}


@pytest.mark.parametrize(
    ("path", "field", "problem"),
    [
        ("/alerts?status=bogus", "status", "doit être l’une des valeurs"),
        ("/audit?target=channel:x", "target", "doit être un type d’enregistrement"),
        ("/schedules/1/occurrences?count=0", "count", "doit être un nombre entier de 1 à"),
    ],
)
def test_the_api_layers_own_refusals_speak_the_language_too(api, api_key, path, field, problem):
    response = api("GET", path, headers={"Accept-Language": "fr"})

    assert response.status_code == 422 and response.json["error"]["code"] == "validation_failed"
    assert response.json["error"]["message"] == "Certains champs ne sont pas valides."
    assert response.json["error"]["fields"][field].startswith(problem)


# --- the profile's language and timezone: GET and PATCH /me


def test_a_key_reads_and_changes_its_users_language_and_timezone(api, api_key):
    assert api("GET", "/me").json["locale"] is None

    response = api("PATCH", "/me", json={"locale": "fr", "timezone": "Europe/Paris"})

    assert response.status_code == 200
    assert (response.json["locale"], response.json["timezone"]) == ("fr", "Europe/Paris")
    user = db.session.get(User, api_key[1].user_id)
    assert (user.locale, user.timezone) == ("fr", "Europe/Paris")
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_id == user.id)))
    assert {"user.locale_changed", "user.timezone_changed"} <= actions
    assert api("GET", "/me").json == {"id": user.id, "email": user.email, "locale": "fr", "timezone": "Europe/Paris"}
    # From now on its errors are French whatever the browser asks for.
    refused = api("PATCH", "/me", json={"locale": "xx"}, headers={"Accept-Language": "en"})
    assert refused.json["error"]["message"] == "Certains champs ne sont pas valides."


def test_an_empty_language_goes_back_to_the_browsers(api, api_key):
    api("PATCH", "/me", json={"locale": "de"})

    response = api("PATCH", "/me", json={"locale": ""})

    assert response.json["locale"] is None


def test_an_unknown_language_or_timezone_is_a_422_that_changes_nothing(api, api_key):
    response = api("PATCH", "/me", json={"locale": "xx", "timezone": "Europe/Paris"})

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_failed" and set(error["fields"]) == {"locale"}
    assert api("PATCH", "/me", json={"locale": "de", "timezone": "Mars/Olympus"}).status_code == 422
    assert api("PATCH", "/me", json={"nickname": "x"}).json["error"]["fields"] == {"nickname": "is not a profile field"}
    user = db.session.get(User, api_key[1].user_id)
    assert (user.locale, user.timezone) == (None, "UTC")


def test_a_viewer_sets_their_own_language_and_nobody_elses(make, client, api_key):
    viewer = make.user()
    make.actor(viewer, role="viewer")
    _, key = accounts.create_api_key(viewer)

    response = client.patch("/api/v1/me", json={"locale": "es"}, headers={"Authorization": f"Bearer {key}"})

    assert response.status_code == 200 and db.session.get(User, viewer.id).locale == "es"
    assert db.session.get(User, api_key[1].user_id).locale is None


def test_the_profile_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert {"get", "patch"} <= set(paths["/me"])


# --- pages: a domain's form error and a flash in the user's language


def test_a_form_error_from_the_domain_shows_in_french_beside_its_field(client, auth):
    auth.sign_up()
    client.post("/settings/language", data={"locale": "fr"})

    response = client.post("/settings/timezone", data={"timezone": "Mars/Olympus"})

    assert response.status_code == 422
    assert "fuseau horaire inconnu « Mars/Olympus »" in response.get_data(as_text=True)


def test_a_form_error_escapes_what_the_user_typed(client, auth):
    auth.sign_up()

    response = client.post("/settings/timezone", data={"timezone": "<b>x</b>"})

    page = response.get_data(as_text=True)
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page


# --- notifications: each recipient's language


def _wants_failures(make, locale: str | None):
    user = make.user()
    actor = make.actor(user)
    if locale:
        accounts.set_locale(actor, user, locale)
    notifications.update_settings(actor, {"kinds": ["failure"], "email_enabled": True})
    return user, actor


def _subjects(**where) -> list[str]:
    return list(db.session.scalars(select(Notification.subject).filter_by(**where)))


def test_a_german_user_gets_a_german_notification_subject(app, make):
    user, actor = _wants_failures(make, "de")

    alerts.raise_alert(actor.workspace_id, "failure", "Post 1 failed on blog")
    db.session.commit()

    assert _subjects(user_id=user.id) == ["Herald: eine Veröffentlichung ist fehlgeschlagen — Post 1 failed on blog"]


def test_each_recipient_reads_their_own_language_and_a_user_without_one_english(app, make):
    german, actor = _wants_failures(make, "de")
    english = make.user()
    db.session.add(Membership(workspace_id=actor.workspace_id, user_id=english.id, role="editor"))
    db.session.commit()
    notifications.update_settings(make.actor(english), {"kinds": ["failure"], "email_enabled": True})

    alerts.raise_alert(actor.workspace_id, "failure", "boom")
    db.session.commit()

    assert _subjects(user_id=english.id) == ["Herald: a publication failed — boom"]
    assert _subjects(user_id=german.id)[0].startswith("Herald: eine Veröffentlichung")


def test_the_workspace_destination_speaks_the_language_of_the_owner_who_set_it(app, make):
    user = make.user()
    owner = make.actor(user)
    accounts.set_locale(owner, user, "fr")
    notifications.update_destination(owner, {"email_address": "team@example.test", "kinds": ["failure"]})

    alerts.raise_alert(owner.workspace_id, "failure", "boom")
    db.session.commit()

    assert _subjects(user_id=None, workspace_id=owner.workspace_id) == ["Herald : une publication a échoué — boom"]


def test_a_test_notification_and_the_digest_speak_the_users_language(app, make):
    user, actor = _wants_failures(make, "es")

    [made] = notifications.sender.send_test(user.id)

    assert made.subject == "Herald: una notificación de prueba"
    assert made.text.startswith("Una prueba de Herald")
