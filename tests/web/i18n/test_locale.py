"""The UI's language: the user's choice, else the browser's Accept-Language, else English; dates in both."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale

from tests.frozen import frozen_clock
from webapp.domain.accounts import accounts
from webapp.extensions import db
from webapp.models import AuditEvent, User
from webapp.web import i18n

NOW = datetime(2031, 1, 1, 8, 0, 5, tzinfo=UTC)
_clock = frozen_clock(NOW)


def html_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("header", "lang"),
    [("de-DE,de;q=0.9,en;q=0.5", "de"), ("fr-CA", "fr"), ("es", "es"), ("pt-BR,pt", "en"), (None, "en")],
)
def test_a_visitor_gets_the_best_language_the_browser_asks_for(client, header, lang):
    response = client.get("/signin", headers={"Accept-Language": header} if header else {})

    assert f'<html lang="{lang}"' in html_of(response)


def test_a_user_who_picks_french_gets_french_pages_whatever_the_browser_says(client, auth):
    auth.sign_up()

    response = client.post("/settings/language", data={"locale": "fr"}, headers={"Accept-Language": "de"})

    assert response.status_code == 303
    user = db.session.query(User).one()
    assert user.locale == "fr"
    assert db.session.query(AuditEvent).filter_by(action="user.locale_changed").count() == 1
    page = html_of(client.get("/settings/", headers={"Accept-Language": "de"}))
    assert '<html lang="fr"' in page and "Les pages s’affichent désormais en Français." in page
    assert 'value="fr" selected' in page or 'selected value="fr"' in page


def test_no_choice_goes_back_to_the_browsers_language(client, auth):
    auth.sign_up()
    client.post("/settings/language", data={"locale": "fr"})

    client.post("/settings/language", data={"locale": ""})

    assert db.session.query(User).one().locale is None
    assert '<html lang="es"' in html_of(client.get("/settings/", headers={"Accept-Language": "es"}))


def test_an_unknown_language_is_refused_beside_the_field_and_changes_nothing(client, auth):
    auth.sign_up()

    response = client.post("/settings/language", data={"locale": "xx"})

    assert response.status_code == 422 and 'id="locale-error"' in html_of(response)
    assert db.session.query(User).one().locale is None


def test_one_users_language_is_theirs_alone(client, auth, app, make):
    other = make.user("bea@example.test")
    auth.sign_up()
    client.post("/settings/language", data={"locale": "de"})

    assert db.session.get(User, other.id).locale is None


def test_the_language_form_needs_its_csrf_token(app, client, auth):
    auth.sign_up()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/settings/language", data={"locale": "de"})
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code in (400, 422)
    assert db.session.query(User).one().locale is None


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("en", "2031-01-01 09:00:05 CET"),
        ("de", "01.01.2031, 09:00:05 CET"),
        ("fr", "01/01/2031, 09:00:05 CET"),
        ("es", "1/1/2031, 9:00:05 CET"),
    ],
)
def test_times_are_shown_in_the_users_language_and_zone(client, auth, lang, shown):
    auth.sign_up(timezone="Europe/Paris")
    client.post("/settings/language", data={"locale": lang})
    client.post("/settings/api-keys", data={"name": "deploy"})  # created now, shown in the keys table

    assert shown in html_of(client.get("/settings/"))


@pytest.mark.parametrize(
    ("lang", "weekday_time", "day", "duration"),
    [
        ("en", "Wed 01 Jan 08:00 UTC", "Wednesday 01 January 2031", "12.5 s"),
        ("de", "Mi., 1. Jan., 08:00 UTC", "Mittwoch, 1. Januar 2031", "12,5 s"),
        ("fr", "mer. 1 janv., 08:00 UTC", "mercredi 1 janvier 2031", "12,5 s"),
        ("es", "mié, 1 ene, 8:00 UTC", "miércoles, 1 de enero de 2031", "12,5 s"),
    ],
)
def test_the_format_filters_speak_the_request_language(app, lang, weekday_time, day, duration):
    with app.test_request_context("/", headers={"Accept-Language": lang}):  # a visitor: times in UTC
        assert i18n.format_instant(NOW, "weekday_time") == weekday_time
        assert i18n.format_day(NOW.date()) == day
        assert i18n.format_duration_ms(12_500) == duration
        assert i18n.format_duration_ms(950) == "950 ms"


def test_the_shipped_languages_are_the_ones_a_user_may_choose():
    assert tuple(i18n.LANGUAGES) == accounts.LOCALES


def test_a_word_filtered_in_a_template_follows_each_request_not_the_first_one_that_compiled_it(app):
    # Jinja would fold `"paused" | term` into the template once, in the language of the request that compiled it.
    template = app.jinja_env.from_string('{{ "paused" | term }} {{ 1500 | count }}')

    with app.test_request_context():
        with force_locale("de"):
            assert template.render() == "pausiert 1.500"
        assert template.render() == "paused 1,500"
