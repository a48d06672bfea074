"""Herald end to end through the JSON API: real processes, real Redis, real HTTP to a webhook peer."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass

import pytest
import requests

from webapp.adapters.html import to_html, to_text

from .harness import PASSWORD, Api, Delivery, Receiver, parse_utc, utc_text, whole_seconds_ahead

pytestmark = pytest.mark.integration

CONTENT = {
    "title": "Café launch — ünïcode ✓",
    "body": '# Hello\n\nLine two with "quotes" and <b>html</b>.',
    "excerpt": "A short excerpt",
    "content_type": "article",
    "tags": ["launch", "café"],
    "status": "approved",
}
DUPLICATE_WINDOW_S = 2.0


def make_channel(api_user: Api, receiver: Receiver, name: str = "hook") -> dict:
    """Create a webhook channel with its own receiver URL and secret; return it with the secret."""
    secret = secrets.token_urlsafe(16)
    channel = api_user.create(
        "/channels",
        {
            "name": f"{name} {secrets.token_hex(2)}",
            "platform": "webhook",
            "settings": {"url": receiver.hook()},
            "credentials": {"secret": secret},
        },
    )
    return {**channel, "secret": secret}


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Delivered:
    channel: dict
    content: dict
    publication: dict
    deliveries: list[Delivery]


@pytest.fixture(scope="module")
def delivered(api_user, receiver) -> Delivered:
    """Schedule approved content 3 s ahead on one webhook channel and let it run to the end."""
    channel = make_channel(api_user, receiver)
    content = api_user.create("/contents", CONTENT)
    schedule = api_user.create(
        "/schedules",
        {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text(whole_seconds_ahead(3))},
    )
    (publication,) = schedule["publications"]
    api_user.wait_until_final(publication["id"])
    time.sleep(DUPLICATE_WINDOW_S)  # any duplicate delivery would arrive in this window
    return Delivered(
        channel, content, api_user.publication(publication["id"]), receiver.deliveries_to(channel["settings"]["url"])
    )


def test_health_check_reports_the_database_redis_scheduler_and_a_worker(stack):
    response = stack.http.get(stack.url("/healthz"), timeout=5)

    assert response.status_code == 200
    checks = response.json()["checks"]
    assert (checks["database"], checks["redis"]) == ("ok", "ok")
    assert checks["scheduler"]["last_heartbeat_s"] < 5
    assert checks["workers"]["alive"] >= 1


def test_a_scheduled_publication_is_published(delivered):
    assert delivered.publication["status"] == "published"


def test_the_receiver_gets_exactly_one_request(delivered):
    assert len(delivered.deliveries) == 1


def test_the_request_is_signed_with_the_channel_secret(delivered):
    (request,) = delivered.deliveries
    timestamp = request.headers["X-Herald-Timestamp"]

    assert request.headers["X-Herald-Signature"] == expected_signature(
        delivered.channel["secret"], timestamp, request.body
    )
    assert abs(int(timestamp) - request.arrived_at) < 5


def test_the_request_carries_the_publications_idempotency_key(delivered):
    (request,) = delivered.deliveries

    assert request.headers["Idempotency-Key"] == delivered.publication["idempotency_key"]
    assert request.headers["Content-Type"] == "application/json"


def test_the_request_body_carries_the_content_intact(delivered):
    (request,) = delivered.deliveries
    publication, content, channel = delivered.publication, delivered.content, delivered.channel

    assert request.json() == {
        "event": "publication",
        "publication_id": publication["id"],
        "idempotency_key": publication["idempotency_key"],
        "scheduled_for": publication["due_at"],
        "channel": {"id": channel["id"], "name": channel["name"]},
        "content": {
            "id": content["id"],
            "title": CONTENT["title"],
            "body": CONTENT["body"],
            "body_format": "markdown",
            "html": to_html(CONTENT["body"], "markdown"),  # the construct table (tests/adapters) checks it
            "text": to_text(CONTENT["body"], "markdown"),
            "excerpt": CONTENT["excerpt"],
            "content_type": CONTENT["content_type"],
            "tags": CONTENT["tags"],
        },
        "media": [],  # no images on this content item
    }
    assert "<h1>Hello</h1>" in request.json()["content"]["html"]  # Markdown made HTML; its raw tag escaped:
    assert "&lt;b&gt;html&lt;/b&gt;" in request.json()["content"]["html"]


def test_the_request_does_not_arrive_before_the_due_time(delivered):
    (request,) = delivered.deliveries

    assert request.arrived_at >= parse_utc(delivered.publication["due_at"]).timestamp()


def test_lateness_is_recorded_and_not_negative(delivered):
    publication = delivered.publication

    assert isinstance(publication["lateness_ms"], int)
    assert 0 <= publication["lateness_ms"] < 5000
    assert parse_utc(publication["started_at"]) >= parse_utc(publication["due_at"])


def test_one_attempt_is_recorded_with_the_receivers_status(delivered):
    (attempt,) = delivered.publication["attempts"]

    assert (attempt["number"], attempt["outcome"], attempt["http_status"]) == (1, "published", 200)
    assert attempt["error_class"] is None


def test_the_receivers_reply_becomes_the_external_id_and_url(delivered):
    publication = delivered.publication

    assert (publication["external_id"], publication["external_url"]) == ("ext-1", "http://receiver.test/p/1")


def test_no_publication_starts_before_its_due_second(api_user, receiver):
    channel = make_channel(api_user, receiver)
    content = api_user.create("/contents", {**CONTENT, "title": "punctual"})
    ids = []
    for ahead in (2, 2, 3, 3):
        run_at = utc_text(whole_seconds_ahead(ahead))
        schedule = api_user.create(
            "/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at}
        )
        ids.append(schedule["publications"][0]["id"])

    publications = [api_user.wait_until_final(i) for i in ids]
    deliveries = {d.json()["publication_id"]: d for d in receiver.deliveries_to(channel["settings"]["url"])}

    for publication in publications:
        due = parse_utc(publication["due_at"])
        assert publication["status"] == "published"
        assert publication["lateness_ms"] >= 0, publication
        assert parse_utc(publication["started_at"]) >= due
        assert deliveries[publication["id"]].arrived_at >= due.timestamp()


def test_a_schedule_for_two_channels_publishes_once_on_each(api_user, receiver):
    first, second = make_channel(api_user, receiver, "first"), make_channel(api_user, receiver, "second")
    content = api_user.create("/contents", {**CONTENT, "title": "two channels"})

    schedule = api_user.create(
        "/schedules",
        {
            "content_id": content["id"],
            "channel_ids": [first["id"], second["id"]],
            "run_at": utc_text(whole_seconds_ahead(2)),
        },
    )
    publications = [api_user.wait_until_final(p["id"]) for p in schedule["publications"]]

    assert sorted(p["channel_id"] for p in publications) == sorted([first["id"], second["id"]])
    assert [p["status"] for p in publications] == ["published", "published"]
    assert len({p["idempotency_key"] for p in publications}) == 2
    for channel in (first, second):
        (request,) = receiver.deliveries_to(channel["settings"]["url"])
        assert request.json()["channel"]["id"] == channel["id"]


def test_the_event_stream_reports_every_state_of_a_publication_live(stack, api_user, receiver):
    channel = make_channel(api_user, receiver)
    content = api_user.create("/contents", {**CONTENT, "title": "live"})
    with requests.Session() as browser:
        sign_in(stack, browser, api_user.email)
        with browser.get(stack.url("/events"), stream=True, timeout=(5, 20)) as stream:
            assert stream.status_code == 200
            assert stream.headers["Content-Type"].startswith("text/event-stream")
            lines = stream.iter_lines(decode_unicode=True)
            assert next_comment(lines) == ": connected"

            schedule = api_user.create(
                "/schedules",
                {
                    "content_id": content["id"],
                    "channel_ids": [channel["id"]],
                    "run_at": utc_text(whole_seconds_ahead(2)),
                },
            )
            publication_id = schedule["publications"][0]["id"]
            statuses = [e["status"] for e in publication_events(lines, publication_id, until="published")]

    assert statuses == ["scheduled", "queued", "publishing", "published"]


def sign_in(stack, session: requests.Session, email: str) -> None:
    """Sign in through the real form, CSRF token included."""
    page = session.get(stack.url("/signin"), timeout=5)
    token = re.search(r'name="csrf_token"[^>]*\bvalue="([^"]+)"', page.text)
    assert token, "no CSRF token on the sign-in page"
    response = session.post(
        stack.url("/signin"),
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 303, response.text


def next_comment(lines) -> str:
    """Return the first SSE comment line, skipping the `retry:` field."""
    for line in lines:
        if line.startswith(":"):
            return line
    raise AssertionError("stream ended before any comment")


def publication_events(lines, publication_id: int, until: str) -> list[dict]:
    """Collect the payloads of `event: publication` messages for one publication, up to a status."""
    found: list[dict] = []
    event, data = None, []
    for line in lines:
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:"):
            data.append(line.partition(":")[2].strip())
        elif line == "":
            if event == "publication" and data:
                payload = json.loads("\n".join(data))
                if payload.get("id") == publication_id:
                    found.append(payload)
                    if payload["status"] == until:
                        return found
            event, data = None, []
    raise AssertionError(f"stream ended before {until}: {found}")
