"""webapp/infra/mail.py against a real local SMTP server: login, STARTTLS, queueing, and the off switch."""

from __future__ import annotations

import pytest

from tests.mailbox import (
    SMTP_PASSWORD,
    deliver_queued_mail,
    self_signed_certificate,
    smtp_server_fixture,  # noqa: F401 - the `smtp_server` fixture
    start_server,
)
from webapp.config import ConfigError, load_config
from webapp.infra import mail
from webapp.infra.queues import get_queue


def test_send_hands_a_plain_text_message_to_the_server_after_logging_in(smtp_server):
    mail.send("ada@example.test", "Hello", "One line.\nAnother line.")

    [message] = smtp_server.messages
    assert message["To"] == "ada@example.test" and message["Subject"] == "Hello"
    assert message["From"] == "Herald <herald@example.test>" and message["Message-ID"].endswith("@example.test>")
    assert message.get_content().splitlines() == ["One line.", "Another line."]
    assert smtp_server.envelopes[0].rcpt_tos == ["ada@example.test"]


def test_a_wrong_smtp_password_is_a_mail_error_and_nothing_is_sent(smtp_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_PASSWORD", "not-" + SMTP_PASSWORD)

    with pytest.raises(mail.MailError, match="could not send mail via 127.0.0.1"):
        mail.send("ada@example.test", "Hello", "Body")
    assert smtp_server.messages == []


def test_starttls_is_required_when_configured_and_the_server_does_not_offer_it(smtp_server, app, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_STARTTLS", True)

    with pytest.raises(mail.MailError, match="STARTTLS"):
        mail.send("ada@example.test", "Hello", "Body")
    assert smtp_server.messages == []


def test_an_unreachable_server_is_a_mail_error(app, monkeypatch):
    from tests.mailbox import free_port

    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "SMTP_FROM", "herald@example.test")

    with pytest.raises(mail.MailError):
        mail.send("ada@example.test", "Hello", "Body")


def test_a_server_without_login_takes_mail_when_no_user_is_configured(app, monkeypatch):
    controller, mailbox = start_server()
    try:
        for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_STARTTLS": False}.items():
            monkeypatch.setitem(app.config, name, value)
        monkeypatch.setitem(app.config, "SMTP_FROM", "herald@example.test")
        mail.send("bob@example.test", "Hi", "Body")
    finally:
        controller.stop()
    assert [m["To"] for m in mailbox.messages] == ["bob@example.test"]


def test_send_later_queues_the_message_and_a_worker_delivers_it(smtp_server):
    assert mail.send_later("ada@example.test", "Queued", "Body") is True
    assert smtp_server.messages == []  # nothing sent inside the request

    deliver_queued_mail()

    assert [m["Subject"] for m in smtp_server.messages] == ["Queued"]
    assert get_queue("high").count == 0


def test_without_smtp_nothing_is_queued_and_send_refuses(app):
    assert app.config["SMTP_HOST"] == ""
    assert mail.send_later("ada@example.test", "Queued", "Body") is False
    assert get_queue("high").count == 0
    with pytest.raises(mail.MailError, match="not configured"):
        mail.send("ada@example.test", "Hello", "Body")


def test_external_links_start_with_public_url_whatever_the_request_host(app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://herald.example.test")
    with app.test_request_context("/", base_url="http://evil.example"):
        assert mail.external_url("sessions.reset_password", token="abc") == "https://herald.example.test/reset/abc"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"SMTP_HOST": "mail.example.test", "SMTP_FROM": "h@example.test"}, "set PUBLIC_URL"),
        ({"SMTP_HOST": "mail.example.test", "PUBLIC_URL": "https://h.example.test"}, "SMTP_FROM"),
        ({"PUBLIC_URL": "herald.example.test"}, "must start with http"),
        ({"SMTP_STARTTLS": "maybe"}, "not a boolean"),
    ],
)
def test_incomplete_mail_settings_fail_at_start_up(tmp_path, environ, message):
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path), {"HERALD_ENV": "testing", **environ})


def test_mail_settings_are_read_from_the_environment(tmp_path):
    config = load_config(
        str(tmp_path),
        {
            "HERALD_ENV": "testing",
            "SMTP_HOST": "mail.example.test",
            "SMTP_PORT": "2525",
            "SMTP_USER": "u",
            "SMTP_PASSWORD": "p",
            "SMTP_FROM": "h@example.test",
            "SMTP_STARTTLS": "false",
            "PUBLIC_URL": "https://h.example.test/",
        },
    )
    assert (config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_STARTTLS"]) == ("mail.example.test", 2525, False)
    assert (config["SMTP_USER"], config["SMTP_PASSWORD"], config["PUBLIC_URL"]) == ("u", "p", "https://h.example.test")


def _unreachable(app, monkeypatch) -> None:
    """Point the app at a port nothing listens on (SMTP configured, server down)."""
    from tests.mailbox import free_port

    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())


def _scheduled_mail() -> list:
    from webapp.infra.dispatch import get_scheduler

    return list(get_scheduler().get_jobs(with_times=True))


def test_a_mail_that_fails_once_is_tried_again_through_rq_scheduler_and_arrives(smtp_server, app, monkeypatch, caplog):
    from datetime import UTC, datetime, timedelta

    from webapp.infra.dispatch import get_scheduler

    live_port = app.config["SMTP_PORT"]
    _unreachable(app, monkeypatch)
    mail.send_later("ada@example.test", "Your reset link", "Body")
    before = datetime.now(UTC).replace(tzinfo=None)

    deliver_queued_mail()  # the first try fails: the server is down

    assert smtp_server.messages == []
    [(job, at)] = _scheduled_mail()
    assert job.func_name == "webapp.jobs.deliver_mail_job" and job.kwargs == {"attempt": 2}
    assert job.origin == "high" and job.args == ("ada@example.test", "Your reset link", "Body")
    assert timedelta(seconds=29) <= at - before <= timedelta(seconds=32)  # the first of RETRY_INTERVALS_S
    assert "failed (try 1 of 4), trying again in 30 s" in caplog.text

    monkeypatch.setitem(app.config, "SMTP_PORT", live_port)  # the server is back
    get_scheduler().enqueue_job(job)  # what rq-scheduler does at the job's time
    deliver_queued_mail()

    assert [m["Subject"] for m in smtp_server.messages] == ["Your reset link"]
    assert _scheduled_mail() == []


def test_the_last_try_gives_up_and_keeps_the_failure_for_the_operator(smtp_server, app, monkeypatch, caplog):
    _unreachable(app, monkeypatch)

    with pytest.raises(mail.MailError):
        mail.deliver("ada@example.test", "Hello", "Body", attempt=len(mail.RETRY_INTERVALS_S) + 1)

    assert _scheduled_mail() == []
    assert "gave up after 4 tries" in caplog.text


def test_implicit_tls_on_port_465_is_the_default_and_verifies_the_server(app, monkeypatch, tmp_path):
    import ssl

    cert, key = mailbox_certificate = self_signed_certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller, received = start_server(ssl_context=context)
    try:
        config = load_config(str(tmp_path), {"HERALD_ENV": "testing", "SMTP_PORT": "465"})
        assert config["SMTP_SSL"] is True
        settings = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": controller.port, "SMTP_SSL": True, "SMTP_STARTTLS": True}
        for name, value in {**settings, "SMTP_FROM": "herald@example.test", "SMTP_USER": ""}.items():
            monkeypatch.setitem(app.config, name, value)

        with pytest.raises(mail.MailError, match="CERTIFICATE_VERIFY_FAILED"):
            mail.send("bob@example.test", "Untrusted", "Body")  # an unknown certificate is refused
        monkeypatch.setenv("SSL_CERT_FILE", mailbox_certificate[0])
        mail.send("bob@example.test", "Over TLS", "Body")
    finally:
        controller.stop()
    assert [m["Subject"] for m in received.messages] == ["Over TLS"]
