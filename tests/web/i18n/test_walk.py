"""A French user walks the URL map: every page whose templates are translated shows no English UI text.

Pages that render a template still pending (catalogs.PENDING) are listed, not checked; when a template leaves
PENDING, every page that renders it is checked from then on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.frozen import frozen_clock
from tests.web.i18n.catalogs import PENDING, visible_text
from tests.web.url_map import page_paths
from webapp.domain.publishing import failures, recovery
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Membership, User

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
_clock = frozen_clock(NOW)

# Words that are English and not French: one of them in a page's text is an untranslated string.
ENGLISH = frozenset(
    [
        "the",
        "and",
        "your",
        "you",
        "with",
        "this",
        "that",
        "not",
        "yet",
        "are",
        "is",
        "was",
        "has",
        "have",
        "will",
        "been",
        "from",
        "for",
        "of",
        "to",
        "it",
        "by",
        "or",
        "any",
        "every",
        "each",
        "which",
        "when",
        "there",
        "their",
        "they",
        "who",
        "what",
        "here",
        "only",
        "into",
        "than",
        "after",
        "before",
        "until",
        "also",
        "more",
        "none",
        "new",
        "save",
        "sign",
        "create",
        "edit",
        "delete",
        "show",
        "hide",
        "all",
        "next",
        "previous",
        "back",
        "please",
    ]
)
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")  # any script's letters: "signé" is one French word, not "sign"
# What a page quotes verbatim is data, not UI text: a payload exactly as sent, a header name, a key.
VERBATIM = re.compile(r"<(pre|code)\b[^>]*>.*?</\1>", re.S)


def english(text: str) -> bool:
    return any(word.lower() in ENGLISH for word in WORD.findall(text))


def sign_up_french(client, auth) -> Actor:
    auth.sign_up("amelie@example.test", timezone="Europe/Paris")
    assert client.post("/settings/language", data={"locale": "fr"}).status_code == 303
    user = db.session.query(User).filter_by(email="amelie@example.test").one()
    membership = db.session.query(Membership).filter_by(user_id=user.id).one()
    return Actor(user.id, membership.workspace_id, "owner", "ui")


def records(make, actor: Actor) -> dict[str, int]:
    """One record of each kind a page is about, named in French (names people type are never translated).

    With what Herald itself writes on them: a publication whose worker died (its error, why it waits for a person),
    one held for its channel's rejected credentials, and the alerts both raise.
    """
    channel = make.channel(actor, name="Canal principal")
    content = make.content(actor, title="Lancement du printemps", body="Bonjour")
    publication = make.publication(actor, content, channel, run_at=NOW + timedelta(days=1))
    publication.status, publication.updated_at = "publishing", NOW - timedelta(days=1)  # its worker died mid-call
    db.session.commit()
    recovery.mark_orphans(NOW)
    recovery.resolve_unconfirmed()  # a webhook cannot be asked: it waits for a person, with an alert
    held = make.publication(actor, content, channel, run_at=NOW + timedelta(days=2))
    failures.on_auth_error(held, "401 mot de passe refusé")
    db.session.commit()
    return {
        "channel_id": channel.id,
        "content_id": content.id,
        "schedule_id": publication.schedule_id,
        "publication_id": publication.id,
    }


def test_a_french_user_sees_no_english_on_any_translated_page(app, client, auth, make, monkeypatch):
    actor = sign_up_french(client, auth)
    ids = records(make, actor)
    checked, pending, english_left = [], {}, {}

    rendered: list[str] = []
    load = app.jinja_env.get_template

    def remember(name, *args, **kwargs):  # every template a page renders, extends, includes or imports
        rendered.append(name if isinstance(name, str) else name.name)
        return load(name, *args, **kwargs)

    monkeypatch.setattr(app.jinja_env, "get_template", remember)
    for path in page_paths(app, ids):
        rendered.clear()
        response = client.get(path)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        if waiting := sorted(set(rendered) & PENDING):
            pending[path] = waiting
            continue
        checked.append(path)
        if found := visible_text(VERBATIM.sub("", response.get_data(as_text=True)), english):
            english_left[path] = found

    assert english_left == {}
    assert pending == {}  # every template is translated: every page is checked
    assert {
        "/",
        "/alerts/",
        "/analytics/",
        "/channels/",
        f"/channels/{ids['channel_id']}",
        "/contents/",
        f"/contents/{ids['content_id']}/edit",
        f"/contents/{ids['content_id']}/review",
        "/integrations/",
        "/settings/",
        "/settings/notifications/",
        "/workspaces/new",
    } <= set(checked), f"checked {checked}"


def test_a_french_browser_signs_in_up_and_resets_in_french(client):
    for path in ("/signin", "/signup", "/forgot"):
        response = client.get(path, headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and '<html lang="fr"' in html
        assert visible_text(html, english) == [], path


def test_with_accept_language_de_the_sign_in_page_is_german(client):
    html = client.get("/signin", headers={"Accept-Language": "de"}).get_data(as_text=True)

    assert '<html lang="de"' in html
    assert "<h1>Anmelden</h1>" in html and "Passwort vergessen?" in html and "Konto anlegen" in html
    assert "Forgot your password?" not in html


def test_with_accept_language_de_the_dashboard_is_german(client, auth, make):
    auth.sign_up("dora@example.test")  # no language chosen: the browser's

    html = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).get_data(as_text=True)

    assert '<html lang="de"' in html
    assert "Kennzahlen" in html and "aktive Zeitpläne" in html and "Handlungsbedarf und Systemstatus" in html
    assert "Noch nichts geplant." in html and "0 Kanäle brauchen einen Eingriff" in html
    assert visible_text(html, english) == []


def test_a_wrong_password_is_told_in_the_browsers_language(client, auth):
    auth.sign_up("ada@example.test")
    auth.sign_out()

    response = client.post(
        "/signin", data={"email": "ada@example.test", "password": "nope"}, headers={"Accept-Language": "es"}
    )

    assert "el correo o la contraseña no son correctos" in response.get_data(as_text=True)
