"""Notifications by email (a real local SMTP server) and Slack-compatible webhook (a real local receiver)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.adapters.receiver import Receiver
from tests.mailbox import deliver_queued_mail, smtp_server_fixture  # noqa: F401
from webapp.core.errors import ValidationFailed
from webapp.domain.integrations import notifications
from webapp.domain.integrations.notifications import sender
from webapp.domain.publishing import publisher, schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Notification, NotificationSettings, User, utcnow
from webapp.processes import periodic


@pytest.fixture
def slack():
    with Receiver() as r:
        yield r


@pytest.fixture
def platform():
    with Receiver() as r:
        r.respond(422, body={"error": "rejected"})
        yield r


def _failing_publication(make, actor, url):
    channel = make.channel(actor, url=url, name="blog")
    content = make.content(actor, status="approved")
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    [publication] = schedules.publications_of(schedules.create_schedule(actor, data))
    return publication


def _fail(publication):
    dispatch.unschedule_publication(publication)
    publisher.mark_queued([publication.id])
    assert publisher.execute(publication.id) == "failed"


def _settings(actor, **values):
    data = {"kinds": ["failure", "missed", "needs_intervention"], **values}
    return notifications.update_settings(actor, data)


def test_a_failure_is_emailed_with_a_link_straight_to_the_publication(make, platform, smtp_server):
    user = make.user(email="ada@example.test")
    actor = make.actor(user)
    _settings(actor, email_enabled=True)
    publication = _failing_publication(make, actor, platform.url)
    publication_id = publication.id

    _fail(publication)
    deliver_queued_mail()  # the worker's job ends its session: read ids, not the objects, after it

    [message] = smtp_server.messages
    assert message["To"] == "ada@example.test"
    assert message["Subject"].startswith("Herald: a publication failed — Publication #")
    body = message.get_content()
    assert f"https://herald.example.test/publications/{publication_id}" in body
    assert "failed: permanent" in body
    assert db.session.query(Notification).one().status == "sent"


def test_a_failure_is_posted_to_the_slack_webhook_whose_url_is_stored_encrypted(make, platform, slack, app):
    actor = make.actor()
    stored = _settings(actor, slack_url=slack.url).slack_url_encrypted
    publication = _failing_publication(make, actor, platform.url)
    publication_id = publication.id

    _fail(publication)
    deliver_queued_mail()

    assert slack.url not in stored
    [request] = slack.requests
    text = request.json()["text"]
    assert set(request.json()) == {"text"}
    assert text.startswith(f"Publication #{publication_id} on blog failed")
    assert f"/publications/{publication_id}" in text


def test_nothing_is_sent_for_a_kind_turned_off_or_to_another_workspace(make, platform, slack):
    actor, outsider = make.actor(), make.actor()
    _settings(actor, slack_url=slack.url, kinds=["missed"])
    _settings(outsider, slack_url=slack.url)

    _fail(_failing_publication(make, actor, platform.url))

    assert db.session.query(Notification).count() == 0


def test_without_any_settings_a_user_gets_nothing(make, platform):
    actor = make.actor()

    _fail(_failing_publication(make, actor, platform.url))

    assert db.session.query(Notification).count() == 0


# Noon on a winter Monday in Paris: the quiet hour either side of now is not cut by midnight or a DST change,
# as it would be (a run at 01:30 the night clocks spring forward would be quiet until 03:00, not 02:30).
@time_machine.travel(datetime(2027, 1, 11, 11, 0, tzinfo=UTC), tick=False)
def test_a_failure_inside_quiet_hours_is_held_until_they_end_then_sent(make, platform, slack):
    user = make.user(timezone="Europe/Paris")
    actor = make.actor(user)
    local_now = utcnow().astimezone(ZoneInfo("Europe/Paris"))
    start = (local_now - timedelta(hours=1)).strftime("%H:%M")
    end = (local_now + timedelta(hours=1)).strftime("%H:%M")
    _settings(actor, slack_url=slack.url, quiet_start=start, quiet_end=end)

    _fail(_failing_publication(make, actor, platform.url))
    deliver_queued_mail()

    notification = db.session.query(Notification).one()
    assert notification.status == "pending" and slack.requests == []
    ends = notification.next_attempt_at.astimezone(ZoneInfo("Europe/Paris"))
    assert ends.strftime("%H:%M") == end and ends > local_now
    assert sender.tick(utcnow())["enqueued"] == 0

    assert sender.tick(notification.next_attempt_at + timedelta(seconds=1))["enqueued"] == 1
    sender.deliver(notification.id, now=notification.next_attempt_at + timedelta(seconds=1))
    assert len(slack.requests) == 1


@pytest.mark.parametrize(
    ("start", "end", "local", "ends_at"),
    [
        ("22:00", "07:00", "2027-01-10 23:30", "2027-01-11 07:00"),
        ("22:00", "07:00", "2027-01-11 06:59", "2027-01-11 07:00"),
        ("22:00", "07:00", "2027-01-11 07:00", None),
        ("12:00", "14:00", "2027-01-11 13:00", "2027-01-11 14:00"),
        ("12:00", "14:00", "2027-01-11 11:59", None),
        # Quiet until 03:00 on the night clocks spring forward (02:00 → 03:00 in Paris).
        ("22:00", "03:00", "2027-03-28 01:30", "2027-03-28 03:00"),
    ],
)
def test_quiet_hours_are_read_in_the_user_s_timezone(start, end, local, ends_at):
    tz = ZoneInfo("Europe/Paris")
    settings = NotificationSettings(quiet_start=start, quiet_end=end)
    now = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=tz).astimezone(UTC)

    until = notifications.quiet_until(settings, tz, now)

    assert (until.astimezone(tz).strftime("%Y-%m-%d %H:%M") if until else None) == ends_at


def test_the_daily_digest_goes_out_once_at_the_user_s_local_hour(make, platform, slack):
    user = make.user(timezone="America/New_York")
    actor = make.actor(user)
    _fail(_failing_publication(make, actor, platform.url))
    now = utcnow()
    local_hour = now.astimezone(ZoneInfo("America/New_York")).hour
    _settings(actor, slack_url=slack.url, kinds=["digest"], digest_hour=(local_hour + 1) % 24)

    assert notifications.due_digests(now) == 0  # not its hour yet

    _settings(actor, slack_url=slack.url, kinds=["digest"], digest_hour=local_hour)
    assert notifications.due_digests(now) == 1
    assert notifications.due_digests(now + timedelta(minutes=1)) == 0  # once per local day
    deliver_queued_mail()

    [request] = slack.requests
    text = request.json()["text"]
    assert "the last 24 hours: 0 published, 1 failed, 0 missed." in text
    assert "Unread alerts: 1." in text
    assert text.rstrip().endswith("/")  # the dashboard


def test_a_webhook_that_errors_is_retried_later_and_a_refusal_is_final(make, slack, app):
    actor = make.actor()
    _settings(actor, slack_url=slack.url)
    user = db.session.get(User, actor.user_id)
    settings = notifications.settings_of(actor.user_id)
    message = notifications.Message(None, "failure", "s", "t", "http://x.test/")
    [retried] = notifications.record(settings, user, message)
    [refused] = notifications.record(settings, user, message)
    db.session.commit()

    slack.respond(503)
    now = utcnow()
    # Against the instant it was handed, not the clock after the call: the backoff's jitter may be shorter than it.
    assert sender.deliver(retried.id, now=now) == "pending"
    assert retried.next_attempt_at > now and retried.attempts == 1
    slack.respond(400, body="invalid_payload")
    assert sender.deliver(refused.id) == "failed"
    assert "400" in refused.last_error and slack.url not in refused.last_error


def test_email_without_smtp_configured_fails_with_the_reason(make, app):
    actor = make.actor()
    _settings(actor, email_enabled=True)
    user = db.session.get(User, actor.user_id)
    message = notifications.Message(None, "failure", "s", "t", "http://x.test/")
    [notification] = notifications.record(notifications.settings_of(actor.user_id), user, message)
    db.session.commit()

    assert sender.deliver(notification.id) == "failed"
    assert "SMTP is not configured" in notification.last_error


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"kinds": ["everything"]}, "kinds"),
        ({"quiet_start": "25:00", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"digest_hour": 24}, "digest_hour"),
        ({"slack_url": "ftp://example.test/hook"}, "slack_url"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_stored(make, data, field):
    actor = make.actor()

    with pytest.raises(ValidationFailed) as caught:
        notifications.update_settings(actor, data)

    assert field in caught.value.fields
    assert db.session.query(NotificationSettings).count() == 0


def test_the_notifications_tick_is_a_periodic_job_and_can_be_turned_off(app):
    ids = {d.id: d for d in periodic.definitions(app.config)}
    assert ids["herald-periodic-notifications"].func == "webapp.jobs.notifications_job"

    off = {**app.config, "NOTIFY_INTERVAL_S": 0}
    assert "herald-periodic-notifications" not in {d.id for d in periodic.definitions(off)}


def test_credentials_rotate_re_encrypts_stored_webhook_urls(runner, make, app, monkeypatch):
    from cryptography.fernet import Fernet

    old = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", old)
    actor = make.actor()
    _settings(actor, slack_url="https://hooks.example.test/services/T0/B0/x")
    new = Fernet.generate_key().decode()
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", f"{new},{old}")

    result = runner.invoke(args=["credentials", "rotate"])

    assert result.exit_code == 0 and "re-encrypted 1 notification webhook URL(s)" in result.output
    monkeypatch.setitem(app.config, "CREDENTIALS_KEYS", new)  # the old key is gone now
    db.session.expire_all()
    assert (
        notifications.slack_url(notifications.settings_of(actor.user_id))
        == "https://hooks.example.test/services/T0/B0/x"
    )
