"""Outgoing email over SMTP for any feature that needs it; off while SMTP_HOST is empty.

`send` hands a plain-text message to the server now; `send_later` queues it for a worker, so a web
request never waits on (or reveals anything through the timing of) a slow mail server. A message the
server refuses or cannot take is tried again later through rq-scheduler (`deliver`): RQ's own
`Retry(interval=…)` would need RQ's scheduler, which Herald does not run, and would lose the message.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, url_for
from redis.exceptions import RedisError

from webapp.infra import tasks
from webapp.infra.dispatch import get_scheduler
from webapp.infra.queues import QUEUE_FOR_PRIORITY, get_queue
from webapp.models import Priority

log = logging.getLogger("herald.mail")
# A mail server that is briefly down gets three more tries, about a quarter of an hour in all.
RETRY_INTERVALS_S = [30, 120, 600]
MAIL_QUEUE = QUEUE_FOR_PRIORITY[Priority.HIGH.value]
# The body may hold a one-time link: keep it in Redis no longer than needed (no result is kept; a
# message that failed every try stays a day in RQ's failed registry, for the operator).
FAILED_TTL_S = 24 * 3600


class MailError(RuntimeError):
    """The SMTP server could not be reached or refused the message."""


def is_configured() -> bool:
    """True when an SMTP server is configured (SMTP_HOST is set)."""
    return bool(current_app.config.get("SMTP_HOST"))


def external_url(endpoint: str, **values) -> str:
    """Build an absolute link for a message: PUBLIC_URL when set, else this request's own address."""
    base = current_app.config.get("PUBLIC_URL", "")
    if base:
        return base + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def configured_url(endpoint: str, **values) -> str:
    """Build a link from configuration only: PUBLIC_URL + path, or the bare path while PUBLIC_URL is unset.

    For links made on behalf of someone other than the requester (a password reset asked for any email):
    the request's `Host` header is the asker's to choose, so it must never become part of such a link.
    """
    return current_app.config.get("PUBLIC_URL", "") + url_for(endpoint, **values)


def build_message(to: str, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=config["SMTP_FROM"].rpartition("@")[2] or None)
    message.set_content(body)
    return message


def _connect(config) -> smtplib.SMTP:
    """Open the SMTP conversation: implicit TLS (SMTPS, port 465) when SMTP_SSL, else plain for STARTTLS."""
    if config["SMTP_SSL"]:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(
            config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT_S"], context=context
        )
    return smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT_S"])


def send(to: str, subject: str, body: str) -> None:
    """Hand one plain-text message to the SMTP server now; raise MailError when that fails."""
    config = current_app.config
    if not is_configured():
        raise MailError("SMTP is not configured (set SMTP_HOST)")
    message = build_message(to, subject, body)
    try:
        with _connect(config) as smtp:
            if config["SMTP_STARTTLS"] and not config["SMTP_SSL"]:
                # Verified TLS before any credential or message goes over the wire; a server that does
                # not offer STARTTLS is refused rather than talked to in the clear.
                smtp.starttls(context=ssl.create_default_context())
            if config["SMTP_USER"]:
                smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not send mail via {config['SMTP_HOST']}:{config['SMTP_PORT']}: {exc}") from exc
    log.info("mail sent to %s: %s", to, subject)


def send_later(to: str, subject: str, body: str) -> bool:
    """Queue a message for a worker to send; False when SMTP is off or the queue is unreachable."""
    if not is_configured():
        return False
    try:
        tasks.enqueue(
            get_queue(Priority.HIGH.value),
            tasks.DELIVER_MAIL,
            to,
            subject,
            body,
            result_ttl=0,
            failure_ttl=FAILED_TTL_S,
        )
    except RedisError:
        log.exception("could not queue mail to %s: %s", to, subject)
        return False
    return True


def deliver(to: str, subject: str, body: str, attempt: int = 1) -> None:
    """Send a queued message (try number `attempt`); on failure, schedule the next try, or raise after the last."""
    try:
        send(to, subject, body)
    except MailError as exc:
        tries = len(RETRY_INTERVALS_S) + 1
        if attempt >= tries:
            log.error("mail to %s gave up after %d tries: %s", to, tries, exc)
            raise
        delay = RETRY_INTERVALS_S[attempt - 1]
        get_scheduler().enqueue_in(
            timedelta(seconds=delay),
            tasks.DELIVER_MAIL,
            to,
            subject,
            body,
            attempt=attempt + 1,
            queue_name=MAIL_QUEUE,
            job_result_ttl=0,
        )
        log.warning("mail to %s failed (try %d of %d), trying again in %d s: %s", to, attempt, tries, delay, exc)
