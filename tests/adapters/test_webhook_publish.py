from datetime import datetime, timedelta, timezone

import pytest

from webapp.adapters.base import AuthError, PermanentError
from webapp.adapters.signing import verify

from .factories import SECRET, content, publish_request, webhook
from .receiver import receiver_fixture  # noqa: F401


def test_signature_verifies_over_timestamp_and_raw_body(receiver):
    webhook(receiver.url).publish(publish_request())

    sent = receiver.requests[0]
    assert verify(SECRET, sent.headers["X-Herald-Timestamp"], sent.body, sent.headers["X-Herald-Signature"])


def test_signature_does_not_verify_with_another_secret(receiver):
    webhook(receiver.url).publish(publish_request())

    sent = receiver.requests[0]
    assert not verify("other", sent.headers["X-Herald-Timestamp"], sent.body, sent.headers["X-Herald-Signature"])


def test_idempotency_key_header_equals_the_key(receiver):
    webhook(receiver.url).publish(publish_request(idempotency_key="sched-9:chan-3:2026-11-22T08:30Z"))

    assert receiver.requests[0].headers["Idempotency-Key"] == "sched-9:chan-3:2026-11-22T08:30Z"


def test_request_is_a_json_post_from_herald(receiver):
    webhook(receiver.url).publish(publish_request())

    sent = receiver.requests[0]
    assert (sent.method, sent.path) == ("POST", "/hook")
    assert sent.headers["Content-Type"] == "application/json"
    assert sent.headers["User-Agent"] == "Herald/0.1"


def test_body_carries_every_field_with_the_utf8_title_intact(receiver):
    title = "Crème brûlée — 日本語 🎉"
    request = publish_request(content=content(title=title, excerpt="Short", tags=("food", "fr")))

    webhook(receiver.url).publish(request)

    sent = receiver.requests[0]
    assert title.encode("utf-8") in sent.body  # sent as UTF-8, not \u escapes
    assert sent.json() == {
        "event": "publication",
        "publication_id": 42,
        "idempotency_key": "pub-42-key",
        "scheduled_for": "2026-11-22T08:30:00Z",
        "channel": {"id": 3, "name": "Blog hook"},
        "content": {
            "id": 7,
            "title": title,
            "body": "Body text",
            "body_format": "markdown",
            "html": "<p>Body text</p>\n",
            "text": "Body text",
            "excerpt": "Short",
            "content_type": "article",
            "tags": ["food", "fr"],
        },
        "media": [],
    }


def test_scheduled_for_with_an_offset_is_sent_in_utc(receiver):
    paris = timezone(timedelta(hours=1))
    webhook(receiver.url).publish(publish_request(scheduled_for=datetime(2026, 11, 22, 9, 30, tzinfo=paris)))

    assert receiver.requests[0].json()["scheduled_for"] == "2026-11-22T08:30:00Z"


def test_external_id_and_url_come_from_a_json_reply(receiver):
    receiver.respond(201, body={"id": "post-981", "url": "https://example.org/p/981"})

    result = webhook(receiver.url).publish(publish_request())

    assert (result.external_id, result.external_url, result.http_status) == (
        "post-981",
        "https://example.org/p/981",
        201,
    )


def test_numeric_external_id_is_returned_as_a_string(receiver):
    receiver.respond(200, body={"id": 981})

    assert webhook(receiver.url).publish(publish_request()).external_id == "981"


def test_non_json_success_publishes_without_external_ids(receiver):
    receiver.respond(200, body="ok thanks")

    result = webhook(receiver.url).publish(publish_request())

    assert (result.external_id, result.external_url, result.response_excerpt) == (None, None, "ok thanks")


def test_empty_secret_raises_auth_error_without_sending(receiver):
    with pytest.raises(AuthError, match="credentials.secret is required"):
        webhook(receiver.url, secret="").publish(publish_request())

    assert receiver.requests == []


def test_invalid_url_raises_permanent_error():
    with pytest.raises(PermanentError, match="settings.url must be an http"):
        webhook("ftp://example.org/hook").publish(publish_request())
