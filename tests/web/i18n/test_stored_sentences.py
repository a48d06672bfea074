"""Sentences Herald stored when something happened (an alert, why a publication waits, its own error) read in each
reader's language: on the pages, through the API and in notifications, while the stored text stays English."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import select

from tests.adapters.receiver import Receiver
from tests.domain.publishing.test_recovery import waiting_for_a_person
from webapp.core import phrases
from webapp.domain.accounts import accounts
from webapp.domain.integrations import notifications
from webapp.domain.publishing import channel_rules, failures, occurrence_plan, publisher, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Alert, Membership, Notification, Publication, User

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    # From a fixed instant, ticking: the recovery helper tells a stale row from a fresh one by a few microseconds.
    with time_machine.travel(NOW, tick=True):
        yield


WAITING_EN = (
    "waiting for you: webhook cannot be asked whether the post arrived. Check the platform, then retry it, "
    "mark it published, or cancel it."
)
WAITING_DE = (
    "wartet auf Sie: webhook kann nicht gefragt werden, ob der Beitrag angekommen ist. Prüfen Sie die Plattform, "
    "dann versuchen Sie es erneut, markieren Sie sie als veröffentlicht oder brechen Sie sie ab."
)
ORPHAN_EN = "unknown_outcome: the worker stopped during the platform call"
ORPHAN_DE = "unknown_outcome: der Worker hat während des Aufrufs der Plattform angehalten"
AUTH_EN = "held: the channel's credentials were rejected (401 bad password); fix them and resume the channel"
AUTH_DE = (
    "zurückgehalten: Die Zugangsdaten des Kanals wurden abgelehnt (401 bad password); korrigieren Sie sie und "
    "setzen Sie den Kanal fort"
)


def _german_workspace(client, auth) -> int:
    auth.sign_up("dora@example.test")
    assert client.post("/settings/language", data={"locale": "de"}).status_code == 303
    user = db.session.scalar(select(User).where(User.email == "dora@example.test"))
    return db.session.scalar(select(Membership.workspace_id).where(Membership.user_id == user.id))


def _held_for_credentials(make, workspace_id: int) -> Publication:
    """A publication of the workspace held because its channel's credentials were rejected (as a 401 would)."""
    actor = make.actor()
    publication = make.publication(actor, make.content(actor), make.channel(actor, name="Blog"))
    for record in (publication, publication.schedule, publication.channel, publication.content):
        record.workspace_id = workspace_id
    failures.on_auth_error(publication, "401 bad password")
    db.session.commit()
    return publication


def test_a_german_reader_sees_the_stored_sentences_in_german_while_the_columns_keep_english(client, auth, make):
    workspace_id = _german_workspace(client, auth)
    pid = waiting_for_a_person(make, workspace_id)  # its worker died, and a webhook cannot be asked
    held = _held_for_credentials(make, workspace_id)

    unconfirmed = db.session.get(Publication, pid)
    assert (unconfirmed.hold_reason, unconfirmed.last_error) == (WAITING_EN, ORPHAN_EN)
    assert held.hold_reason == AUTH_EN
    detail = client.get(f"/publications/{pid}").get_data(as_text=True)
    assert str(escape(WAITING_DE)) in detail and str(escape(ORPHAN_DE)) in detail  # status line, timeline, error
    assert WAITING_EN not in detail and "the worker stopped" not in detail
    monitor = client.get("/publications/?status=paused").get_data(as_text=True)
    assert str(escape(AUTH_DE)) in monitor and "credentials were rejected" not in monitor
    alerts_page = client.get("/alerts/").get_data(as_text=True)
    assert str(escape(f"Der Ausgang von Veröffentlichung #{pid} ist unbekannt: {WAITING_DE}")) in alerts_page
    assert str(escape("Kanal Blog hat seine Zugangsdaten abgelehnt: 401 bad password.")) in alerts_page
    assert "outcome is unknown" not in alerts_page and "rejected its credentials" not in alerts_page


def test_the_live_fragment_of_a_publication_speaks_german_too(client, auth, make):
    workspace_id = _german_workspace(client, auth)
    pid = waiting_for_a_person(make, workspace_id)

    response = client.get(f"/publications/{pid}", headers={"HX-Request": "true", "HX-Target": "detail"})

    assert response.status_code == 200 and str(escape(WAITING_DE)) in response.get_data(as_text=True)


def test_the_api_gives_the_key_owners_language_and_keeps_the_field_names(api, api_key, make):
    actor = api_key[1]
    accounts.set_locale(actor, db.session.get(User, actor.user_id), "de")
    pid = waiting_for_a_person(make, actor.workspace_id)

    publication = api("GET", f"/publications/{pid}").json
    listed = api("GET", "/alerts?kind=unconfirmed").json["items"]

    assert (publication["hold_reason"], publication["last_error"]) == (WAITING_DE, ORPHAN_DE)
    assert [item["message"] for item in listed] == [
        f"Der Ausgang von Veröffentlichung #{pid} ist unbekannt: {WAITING_DE}"
    ]
    assert db.session.scalar(select(Alert.message).where(Alert.kind == "unconfirmed")).endswith(WAITING_EN)


def test_without_a_language_of_its_own_the_api_answers_in_english(api, api_key, make):
    pid = waiting_for_a_person(make, api_key[1].workspace_id)

    publication = api("GET", f"/publications/{pid}").json

    assert (publication["hold_reason"], publication["last_error"]) == (WAITING_EN, ORPHAN_EN)


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_a_french_recipient_is_told_of_a_failure_in_french(make, receiver):
    user = make.user()
    actor = make.actor(user)
    accounts.set_locale(actor, user, "fr")
    notifications.update_settings(actor, {"kinds": ["failure"], "email_enabled": True})
    receiver.respond(422, body={"error": "title too long"})
    channel = make.channel(actor, url=receiver.url, name="Blog")
    publication = make.publication(actor, make.content(actor), channel, run_at=NOW + timedelta(hours=1))
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])

    assert publisher.execute(publication.id) == "failed"

    [told] = db.session.scalars(select(Notification).where(Notification.user_id == user.id))
    said = f"La publication n° {publication.id} sur Blog a échoué : permanent: "
    assert told.subject.startswith(f"Herald : une publication a échoué — {said}")
    assert told.text.startswith(f"{said}HTTP 422 Unprocessable Entity")  # the platform's own words, as it said them
    assert db.session.get(Publication, publication.id).last_error.startswith("permanent: ")
    assert schedules.publications_of(publication.schedule)[0].status == "failed"


def test_a_skipped_runs_alert_names_the_broken_rule_in_the_readers_language(app, make):
    actor = make.actor()
    channel = make.channel(actor, name="Blog", rules={"daily_limit": 1}, timezone="UTC")
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 * * * *", "timezone": "UTC"}
    schedule = schedules.create_schedule(actor, data, now=NOW)
    limit = channel_rules.RULE_NAMES["daily_limit"]
    runs = [(NOW + timedelta(hours=1), limit), (NOW + timedelta(hours=2), limit)]

    occurrence_plan.alert_skips(schedule, occurrence_plan.Plan(None, skipped={channel.id: runs}), [channel])

    alert = db.session.scalar(select(Alert).where(Alert.kind == "conflict"))
    english = f"Schedule #{schedule.id} skipped its run of 3 Mar 10:00 and 1 more run(s) to 3 Mar 11:00 on Blog"
    assert alert.message == f"{english}: daily limit (clash policy {schedule.clash_policy})."
    with force_locale("de"):
        assert phrases.shown(alert, "message") == (
            f"Zeitplan #{schedule.id} hat seine Ausführung vom 3. März, 10:00 UTC und 1 weitere Ausführung(en) bis "
            f"3. März, 11:00 UTC auf Blog übersprungen: Tageslimit (Konfliktregel {schedule.clash_policy})."
        )
