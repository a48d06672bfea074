"""Sentences Herald stored when something happened (an alert, why a publication waits, its own error) read in each
reader's language: on the pages, through the API, in notifications and in the owner's calendar feed, while the stored
text stays English. An instant inside one is shown in the reader's language and timezone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from flask_babel import force_locale
from icalendar import Calendar
from markupsafe import escape
from sqlalchemy import select

from tests.adapters.receiver import Receiver
from tests.domain.publishing.test_recovery import waiting_for_a_person
from webapp.core import phrases
from webapp.domain.accounts import accounts
from webapp.domain.content import approvals, contents
from webapp.domain.integrations import feeds, notifications
from webapp.domain.publishing import (
    channel_rules,
    confirmations,
    failures,
    lifecycle,
    missed_runs,
    occurrence_plan,
    occurrences,
    publisher,
    rescheduling,
    schedules,
    throttle,
)
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Alert, Membership, Notification, Publication, PublicationChange, Role, User, Workspace

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


REPEATED_EN = "repeated failures; last: permanent: HTTP 422"
REPEATED_DE = "wiederholte Fehlschläge; zuletzt: permanent: HTTP 422"
STOPPED_EN = "worker stopped during the call"
STOPPED_DE = "der Worker hat während des Aufrufs angehalten"


def _german_reader(client, auth, timezone: str = "UTC") -> Actor:
    """Dora, signed in on the client, who reads German; an owner in her own workspace."""
    auth.sign_up("dora@example.test", timezone=timezone)
    assert client.post("/settings/language", data={"locale": "de"}).status_code == 303
    user = db.session.scalar(select(User).where(User.email == "dora@example.test"))
    membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
    return Actor(user.id, membership.workspace_id, membership.role, "ui")


def _german_workspace(client, auth) -> int:
    return _german_reader(client, auth).workspace_id


def _repeatedly_failed(app, make, actor: Actor, monkeypatch):
    """A channel of the actor's workspace whose publication failed once too often: it needs intervention."""
    monkeypatch.setitem(app.config, "FAILURE_CONSECUTIVE", 1)
    channel = make.channel(actor, name="Blog")
    publication = make.publication(actor, make.content(actor), channel)
    publication.status, publication.finished_at, publication.last_error = "failed", NOW, "permanent: HTTP 422"
    failures.after_failure(publication)
    db.session.commit()
    assert channel.health_message == REPEATED_EN
    return channel


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
    assert f"unknown_outcome: {STOPPED_DE}" in detail and STOPPED_EN not in detail  # the attempt, as it ended
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


def test_the_api_gives_herald_s_own_attempt_errors_and_channel_health_in_the_key_owners_language(
    app, api, api_key, make, monkeypatch
):
    actor = api_key[1]
    accounts.set_locale(actor, db.session.get(User, actor.user_id), "de")
    pid = waiting_for_a_person(make, actor.workspace_id)
    confirmations.mark_published(actor, pid, "https://example.test/posts/1")
    channel = _repeatedly_failed(app, make, actor, monkeypatch)

    attempts = api("GET", f"/publications/{pid}").json["attempts"]

    assert [a["error_message"] for a in attempts] == [
        STOPPED_DE,
        "bestätigt von einer Person, die den Beitrag auf der Plattform gefunden hat",
    ]
    assert api("GET", f"/channels/{channel.id}").json["health_message"] == REPEATED_DE


def test_the_api_gives_an_instant_in_the_key_owners_language_and_timezone(api, api_key, make):
    actor = api_key[1]
    user = db.session.get(User, actor.user_id)
    accounts.set_locale(actor, user, "de")
    user.timezone = "Europe/Berlin"
    publication = make.publication(actor, make.content(actor), run_at=NOW + timedelta(hours=1))
    publication.schedule.missed_policy = "skip"
    missed_runs.mark_missed(publication, publication.schedule, NOW + timedelta(hours=3))
    db.session.commit()

    [alert] = api("GET", "/alerts?kind=missed").json["items"]

    assert (
        alert["message"]
        == f"Veröffentlichung #{publication.id} hat 03.03.2031, 11:00 CET verpasst und wurde übersprungen."
    )


def test_the_api_gives_an_occurrences_broken_rules_in_the_key_owners_language(api, api_key, make):
    actor = api_key[1]
    accounts.set_locale(actor, db.session.get(User, actor.user_id), "de")
    channel = make.channel(actor, rules={"daily_limit": 1}, timezone="UTC")
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 9,17 * * *", "timezone": "UTC"}
    schedule = schedules.create_schedule(actor, data, now=NOW)

    items = api("GET", f"/schedules/{schedule.id}/occurrences?count=4").json["items"]

    reasons = {c["reason"] for item in items for c in item["channels"]} - {None}
    assert reasons == {"Tageslimit"}  # the second run of each day finds it taken


def test_a_channels_repeated_failures_read_in_german_on_the_channels_and_health_pages(
    app, client, auth, make, monkeypatch
):
    _repeatedly_failed(app, make, _german_reader(client, auth), monkeypatch)

    for page in ("/channels/", "/health"):
        html = client.get(page).get_data(as_text=True)
        assert REPEATED_DE in html and "repeated failures" not in html, page


def test_the_planners_timeline_note_reads_in_german_with_its_times_in_the_readers_zone(client, auth, make):
    actor = _german_reader(client, auth, timezone="Europe/London")
    channel = make.channel(actor, name="Blog", rules={"min_spacing_minutes": 120}, timezone="Europe/Paris")
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "cron": "0 9 * * *", "timezone": "Europe/Paris"}
    schedule = schedules.create_schedule(actor, {**data, "clash_policy": "move"}, now=NOW)  # first run: 4 March
    other = {"content_id": content.id, "channel_ids": [channel.id], "run_at": datetime(2031, 3, 5, 7, 30, tzinfo=UTC)}
    schedules.create_schedule(actor, {**other, "allow_conflicts": True}, now=NOW)  # 08:30 Paris, on 5 March
    first = schedules.publications_of(schedule)[0]

    [moved] = schedules.advance_due([schedule.id], now=first.due_at + timedelta(seconds=1))

    change = db.session.scalar(select(PublicationChange).where(PublicationChange.publication_id == moved.id))
    assert change.detail == "5 Mar 09:00: moved to 10:30, min spacing"  # English, in the schedule's zone
    page = client.get(f"/publications/{moved.id}").get_data(as_text=True)
    assert "5. März, 08:00 GMT: verschoben auf 09:30 GMT, Mindestabstand" in page  # Dora's zone
    assert "moved to" not in page


def test_a_missed_runs_alert_gives_its_due_time_in_the_readers_language_and_zone(client, auth, make):
    actor = _german_reader(client, auth, timezone="Europe/Berlin")
    publication = make.publication(actor, make.content(actor), run_at=NOW + timedelta(hours=1))
    publication.schedule.missed_policy = "skip"

    assert missed_runs.mark_missed(publication, publication.schedule, NOW + timedelta(hours=3))
    db.session.commit()

    alert = db.session.scalar(select(Alert).where(Alert.kind == "missed"))
    assert alert.message == f"Publication #{publication.id} missed 2031-03-03 10:00 UTC and was skipped."
    page = client.get("/alerts/").get_data(as_text=True)
    assert f"Veröffentlichung #{publication.id} hat 03.03.2031, 11:00 CET verpasst" in page


def test_a_rescheduled_publications_timeline_reads_in_german_with_its_new_time_in_the_readers_zone(client, auth, make):
    actor = _german_reader(client, auth, timezone="Europe/Berlin")
    publication = make.publication(actor, make.content(actor), run_at=NOW + timedelta(hours=1))

    rescheduling.reschedule(actor, publication.schedule_id, {"run_at": NOW + timedelta(days=1)}, now=NOW)

    change = db.session.scalar(select(PublicationChange).where(PublicationChange.publication_id == publication.id))
    assert change.detail == "rescheduled: due 2031-03-04 09:00:00 UTC"
    page = client.get(f"/publications/{publication.id}").get_data(as_text=True)
    assert "neu geplant: fällig am 04.03.2031, 10:00:00 CET" in page and "rescheduled" not in page


def test_a_rate_limit_wait_reads_in_the_readers_language_with_its_end_in_their_zone(
    app, client, auth, make, monkeypatch
):
    actor = _german_reader(client, auth, timezone="Europe/Berlin")
    monkeypatch.setitem(app.config, "RATE_PER_MINUTE", {"webhook": 1})
    channel = make.channel(actor, name="Blog")
    assert throttle.admit(channel).allowed
    waiting = throttle.admit(channel)  # the bucket is empty: a minute's wait
    publication = make.publication(actor, make.content(actor), channel)
    publication.status, publication.hold_reason = "retrying", waiting.reason
    db.session.commit()

    assert publication.hold_reason == f"waiting for rate limit until {waiting.until:%H:%M:%S} UTC"
    page = client.get(f"/publications/{publication.id}").get_data(as_text=True)
    berlin = waiting.until + timedelta(hours=1)
    assert f"wartet wegen des Ratenlimits bis {berlin:%H:%M:%S} CET" in page and "waiting for rate" not in page


def test_a_timeline_entry_for_what_a_person_did_reads_in_the_readers_language(client, auth, make):
    actor = _german_reader(client, auth)
    publication = make.publication(actor, make.content(actor), run_at=NOW + timedelta(hours=1))

    lifecycle.pause_schedule(actor, publication.schedule_id)
    lifecycle.resume_schedule(actor, publication.schedule_id)

    changes = db.session.scalars(
        select(PublicationChange)
        .where(PublicationChange.publication_id == publication.id)
        .order_by(PublicationChange.id)
    )
    assert [c.detail for c in changes] == ["paused with its schedule", "resumed with its schedule"]
    page = client.get(f"/publications/{publication.id}").get_data(as_text=True)
    assert "pausiert mit ihrem Zeitplan" in page and "fortgesetzt mit ihrem Zeitplan" in page
    assert "with its schedule" not in page


def test_a_moved_occurrences_timeline_entry_reads_in_german_with_its_times_in_the_readers_zone(client, auth, make):
    actor = _german_reader(client, auth, timezone="Europe/Berlin")
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [make.channel(actor).id], "cron": "0 12 * * *", "timezone": "UTC"}
    schedule = schedules.create_schedule(actor, data, now=NOW)
    [publication] = schedules.publications_of(schedule)  # 3 March, 12:00 UTC

    occurrences.move(actor, schedule.id, {"at": "2031-03-03T12:00:00Z", "to": "2031-03-03T14:00:00Z"}, now=NOW)

    change = db.session.scalars(select(PublicationChange).where(PublicationChange.publication_id == publication.id))
    assert [c.detail for c in change] == ["occurrence of 2031-03-03T12:00:00Z moved to 2031-03-03T14:00:00Z"]
    page = client.get(f"/publications/{publication.id}").get_data(as_text=True)
    assert "Termin vom 03.03.2031, 13:00:00 CET verschoben auf 03.03.2031, 15:00:00 CET" in page


def test_the_review_alert_names_the_edited_parts_in_the_readers_language(make):
    author = make.actor()
    reviewer = make.member(author, Role.EDITOR.value)
    db.session.get(Workspace, author.workspace_id).require_approval = True
    content = make.content(author, title="Start")
    approvals.submit(author, content)
    approvals.approve(reviewer, content)
    db.session.commit()

    contents.update_content(author, content.id, {"title": "Launch", "content_type": "announcement"})

    alert = db.session.scalars(select(Alert).where(Alert.kind == "review_requested").order_by(Alert.id)).all()[-1]
    assert alert.message == "“Launch” was edited after approval (title, content type): review it."
    with force_locale("fr"):
        assert "(titre, type de contenu)" in phrases.shown(alert, "message")


def test_the_review_history_gives_herald_s_note_on_a_reopening_in_the_readers_language(client, auth, make):
    author = _german_reader(client, auth)
    db.session.get(Workspace, author.workspace_id).require_approval = True
    content = make.content(author, title="Start")
    approvals.submit(author, content)
    approvals.approve(make.member(author, Role.EDITOR.value), content)
    db.session.commit()

    contents.update_content(author, content.id, {"title": "Launch", "body": "New"})

    assert approvals.history(author, content)[-1].comment == "edited after approval: title, body"
    page = client.get(f"/contents/{content.id}/review").get_data(as_text=True)
    assert "nach der Freigabe bearbeitet: Titel, Text" in page and "edited after approval" not in page


def test_a_calendar_feed_speaks_its_owners_language_whoever_fetches_it(app, client, auth, make):
    actor = _german_reader(client, auth)
    publication = make.publication(
        actor, make.content(actor), make.channel(actor, name="Blog"), NOW + timedelta(days=1)
    )
    failures.on_auth_error(publication, "401 bad password")
    db.session.commit()
    token = feeds.regenerate(actor)

    anonymous = app.test_client()  # a calendar app: no session, and a language of its own
    feed = anonymous.get(f"/integrations/calendar/{token}.ics", headers={"Accept-Language": "fr"})

    [event] = Calendar.from_ical(feed.get_data(as_text=True)).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == f"Veröffentlichung #{publication.id} auf Blog: pausiert\n{AUTH_DE}"


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
    said = f"La publication n° {publication.id} sur Blog a échoué : permanent : "  # the error, its class kept
    assert told.subject.startswith(f"Herald : une publication a échoué — {said}")
    assert told.text.startswith(f"{said}HTTP 422 Unprocessable Entity")  # the platform's own words, as it said them
    assert db.session.get(Publication, publication.id).last_error.startswith("permanent: ")  # stored in English
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
