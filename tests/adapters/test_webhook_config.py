import pytest

from webapp.adapters.signing import verify
from webapp.adapters.webhook import WebhookAdapter

from .factories import SECRET, closed_port_url, webhook
from .receiver import receiver_fixture  # noqa: F401

URL_ERROR = {"settings.url": "must be an http(s) URL"}
SECRET_ERROR = {"credentials.secret": "is required"}


@pytest.mark.parametrize(
    ("settings", "credentials", "errors"),
    [
        ({"url": "https://example.org/hook"}, {"secret": "s3cret"}, {}),
        ({"url": "http://127.0.0.1:8080/hook"}, {"secret": "s3cret"}, {}),
        ({"url": "ftp://example.org/hook"}, {"secret": "s3cret"}, URL_ERROR),
        ({"url": "https:///no-host"}, {"secret": "s3cret"}, URL_ERROR),
        ({"url": "example.org/hook"}, {"secret": "s3cret"}, URL_ERROR),
        ({"url": "https://example.org:99999/hook"}, {"secret": "s3cret"}, URL_ERROR),
        ({"url": 42}, {"secret": "s3cret"}, URL_ERROR),
        ({}, {"secret": "s3cret"}, URL_ERROR),
        ({"url": "https://example.org/hook"}, {"secret": ""}, SECRET_ERROR),
        ({"url": "https://example.org/hook"}, {"secret": "   "}, SECRET_ERROR),
        ({"url": "https://example.org/hook"}, {}, SECRET_ERROR),
        ({}, {}, URL_ERROR | SECRET_ERROR),
    ],
)
def test_validate_config_reports_each_bad_field(settings, credentials, errors):
    assert WebhookAdapter.validate_config(settings, credentials) == errors


def test_check_sends_a_signed_ping(receiver):
    webhook(receiver.url).check()

    sent = receiver.requests[0]
    assert sent.json() == {"event": "ping"}
    assert verify(SECRET, sent.headers["X-Herald-Timestamp"], sent.body, sent.headers["X-Herald-Signature"])


def test_check_reports_a_healthy_receiver_with_its_status_and_answer(receiver):
    receiver.respond(200, body="pong")

    result = webhook(receiver.url).check()

    assert (result.ok, result.message, result.http_status) == (True, "receiver answered HTTP 200: pong", 200)


def test_check_reports_a_refusing_receiver_with_its_status_and_answer(receiver):
    receiver.respond(401, body="bad signature")

    result = webhook(receiver.url).check()

    assert (result.ok, result.message, result.http_status) == (
        False,
        "HTTP 401 Unauthorized: bad signature",
        401,
    )


def test_check_reports_an_unreachable_receiver():
    result = webhook(closed_port_url()).check()

    assert not result.ok
    assert result.message.startswith("could not connect")


def test_check_reports_invalid_configuration_without_sending(receiver):
    result = webhook(receiver.url, secret="").check()

    assert (result.ok, result.message) == (
        False,
        "invalid channel configuration: credentials.secret is required",
    )
    assert receiver.requests == []


def test_webhook_cannot_look_up_a_publication_by_key():
    assert WebhookAdapter.supports_lookup is False
