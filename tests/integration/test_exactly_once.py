"""Exactly once when the outcome is unknown: a worker killed mid-call, an answer that never comes, and a real
WordPress behind a slow proxy. Real processes on a stack of their own (its own redis-server and database).

A publication whose call was cut off becomes `unconfirmed` (the reconciler marks a `publishing` row orphaned
after ORPHAN_AFTER_S, or the adapter reports the read timeout); reconciliation then asks the platform by its
marker when it can (WordPress) and re-sends only if the platform has nothing; a platform that cannot be asked
(webhook) is never re-sent blindly: the publication waits for a person, whose retry goes under the same key.
"""

from __future__ import annotations

import secrets
import time

import pytest

from tests.adapters.wordpress_site import WordPressSite, wordpress_fixture, wordpress_session  # noqa: F401
from webapp.adapters.keys import marker_for, title_slug
from webapp.adapters.wordpress import marker_comment

from .harness import (
    Api,
    SlowProxy,
    isolated_stack_fixtures,
    utc_text,
    whole_seconds_ahead,
)

pytestmark = pytest.mark.integration

# The peer holds its answer 5 s; the call times out after 7 s; a `publishing` row is an orphan after 8 s
# (longer than any live call, so the reconciler never takes over a worker that is still waiting).
SLOW_ANSWER_S = 5
KNOBS = {"RECONCILE_INTERVAL_S": "2", "PUBLISH_TIMEOUT_S": "7", "ORPHAN_AFTER_S": "8", "SCHEDULER_INTERVAL_S": "1"}
SETTLE_TIMEOUT_S = 40
SETTLED = {"published", "failed", "cancelled", "missed", "paused"}
DUPLICATE_WINDOW_S = 2.0


iso, _processes_survive_each_test = isolated_stack_fixtures(KNOBS, "once")


@pytest.fixture(scope="module")
def api(iso) -> Api:
    return iso.api


def publish_soon(api: Api, channel: dict, title: str) -> dict:
    """Schedule fresh approved content on the channel 2 s ahead; return the publication."""
    content = api.create("/contents", {"title": title, "body": "Exactly once.", "status": "approved"})
    body = {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text(whole_seconds_ahead(2))}
    (publication,) = api.create("/schedules", body)["publications"]
    return publication


def webhook_channel(api: Api, url: str) -> dict:
    return api.create(
        "/channels",
        {
            "name": f"idempotent {secrets.token_hex(3)}",
            "platform": "webhook",
            "settings": {"url": url},
            "credentials": {"secret": secrets.token_urlsafe(16)},
        },
    )


def wait_until_settled(api: Api, publication_id: int, timeout: float = SETTLE_TIMEOUT_S) -> dict:
    """Poll until the publication is settled; unlike `Api.wait_until_final`, `unconfirmed` is not the end here."""
    deadline = time.monotonic() + timeout
    while (publication := api.publication(publication_id))["status"] not in SETTLED:
        api.stack.assert_running()
        assert time.monotonic() < deadline, f"publication still {publication['status']} after {timeout} s"
        time.sleep(0.1)
    return publication


def outcomes(publication: dict) -> list[tuple[int, str]]:
    return [(a["number"], a["outcome"]) for a in publication["attempts"]]


# --- 5. the worker dies while the receiver holds its answer -----------------------------------------


def wait_until_waiting_for_a_person(api: Api, publication_id: int, timeout: float = SETTLE_TIMEOUT_S) -> dict:
    """Poll until the publication is unconfirmed and held for a person (the reconciler decided not to re-send)."""
    deadline = time.monotonic() + timeout
    while not ((publication := api.publication(publication_id))["hold_reason"] or "").startswith("waiting for you"):
        api.stack.assert_running()
        assert time.monotonic() < deadline, f"publication still {publication['status']} after {timeout} s"
        time.sleep(0.1)
    return publication


def retry_by_a_person(api: Api, publication_id: int) -> None:
    response = api.call("POST", "/publications/bulk", json={"action": "retry", "ids": [publication_id]})
    assert response.status_code == 200 and response.json()["changed"] == 1, response.text


def test_a_worker_killed_mid_call_waits_for_a_person_and_their_retry_makes_one_post(iso, api, peer):
    url = peer.hook(first_delay=SLOW_ANSWER_S)
    publication = publish_soon(api, webhook_channel(api, url), "killed mid-call")

    assert len(peer.wait_for(url, 1)) == 1  # the request is in; the receiver sits on its 200
    assert api.publication(publication["id"])["status"] == "publishing"
    iso.kill("worker")  # kill -9 mid-call: no outcome recorded, the row stays `publishing`
    iso.spawn_worker()

    held = wait_until_waiting_for_a_person(api, publication["id"])
    time.sleep(DUPLICATE_WINDOW_S)

    # A webhook receiver cannot be asked whether the post arrived: Herald does not send it again by itself.
    assert held["status"] == "unconfirmed" and outcomes(held) == [(1, "unknown_outcome")]
    assert "webhook cannot be asked whether the post arrived" in held["hold_reason"]
    assert len(peer.deliveries_to(url)) == 1
    # Orphaned only after ORPHAN_AFTER_S, never while a call might live; then a person decides: retry.
    retry_by_a_person(api, publication["id"])
    settled = wait_until_settled(api, publication["id"])
    time.sleep(DUPLICATE_WINDOW_S)
    deliveries, posts = peer.deliveries_to(url), peer.posts_at(url)

    assert settled["status"] == "published", settled
    assert outcomes(settled) == [(1, "unknown_outcome"), (2, "published")]
    # The retry goes under the same key, so the idempotent endpoint made one post, and Herald recorded it.
    assert [d.headers["Idempotency-Key"] for d in deliveries] == [publication["idempotency_key"]] * 2
    assert [p.key for p in posts] == [publication["idempotency_key"]]
    assert (settled["external_id"], settled["external_url"]) == (posts[0].id, posts[0].url)
    assert settled["last_error"] is None and settled["hold_reason"] is None


# --- 6. the answer never comes ------------------------------------------------------------------------


def test_a_call_whose_answer_never_comes_is_never_resent_blindly(api, peer):
    url = peer.hook(hang_first=True)
    publication = publish_soon(api, webhook_channel(api, url), "no answer")

    assert len(peer.wait_for(url, 1)) == 1  # the request is in; the receiver never answers it
    held = wait_until_waiting_for_a_person(api, publication["id"])
    time.sleep(DUPLICATE_WINDOW_S + int(KNOBS["RECONCILE_INTERVAL_S"]))  # several reconciles pass

    assert held["status"] == "unconfirmed" and len(peer.deliveries_to(url)) == 1
    # The worker gave up after PUBLISH_TIMEOUT_S and recorded an unknown outcome, without resending itself:
    first = held["attempts"][0]
    assert (first["error_class"], first["http_status"]) == ("unknown_outcome", None)
    assert "no answer within the timeout after sending" in first["error_message"]
    # A person who finds the post on the receiver's side marks it published, with its address.
    response = api.call(
        "POST", f"/publications/{publication['id']}/mark-published", json={"url": "https://receiver.example/p/1"}
    )
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert response.json()["external_url"] == "https://receiver.example/p/1"
    assert len(peer.deliveries_to(url)) == 1


# --- 7. a real WordPress, slow to answer, and a worker killed mid-call --------------------------------


def wordpress_posts_with_marker(wordpress: WordPressSite, marker: str) -> list[dict]:
    """Return the posts (any status) whose body carries the marker's comment, as the adapter's lookup finds them."""
    posts = wordpress.rest("GET", "/wp/v2/posts", params={"search": marker, "status": "any", "context": "edit"})
    return [p for p in posts if marker_comment(marker) in p["content"]["raw"]]


def clear_marker(wordpress: WordPressSite, publication: dict) -> str:
    """Delete any post carrying the publication's marker; return the marker.

    Keys are (schedule, channel, occurrence) of a fresh database: a post left by an earlier run of
    this module would carry the same marker (see the report), so clear it before the first call.
    """
    marker = marker_for(publication["idempotency_key"])
    for stale in wordpress_posts_with_marker(wordpress, marker):
        wordpress.rest("DELETE", f"/wp/v2/posts/{stale['id']}", params={"force": "true"})
    return marker


def creates_post(method: str, path: str) -> bool:
    return method == "POST" and path.startswith("/wp-json/wp/v2/posts")


def test_a_worker_killed_mid_call_to_wordpress_is_confirmed_by_lookup_not_resent(iso, api, wordpress):
    with SlowProxy(wordpress.url, delay=SLOW_ANSWER_S, slow=creates_post) as proxy:
        channel = api.create("/channels", wordpress.channel_body(proxy.url))
        title = f"Herald exactly once {secrets.token_hex(3)}"
        publication = publish_soon(api, channel, title)
        marker = clear_marker(wordpress, publication)
        try:
            creates = proxy.wait_for("POST", "/wp-json/wp/v2/posts", timeout=15)
            assert [c.status for c in creates] == [201]  # WordPress made the post; its answer is held in the proxy
            iso.kill("worker")
            iso.spawn_worker()
            settled = wait_until_settled(api, publication["id"])
            time.sleep(DUPLICATE_WINDOW_S)
            posts = wordpress_posts_with_marker(wordpress, marker)
        finally:
            for post in wordpress_posts_with_marker(wordpress, marker):
                wordpress.track_post(post["id"])  # deleted for good when the test ends

        assert settled["status"] == "published", settled
        assert len(posts) == 1, [(p["id"], p["status"]) for p in posts]
        assert (posts[0]["status"], posts[0]["slug"]) == ("publish", title_slug(title))  # readable, from the title
        assert settled["external_id"] == str(posts[0]["id"])
        assert settled["external_url"] == posts[0]["link"]
        # Found by its key's marker, not sent again: one create ever reached WordPress.
        assert len(proxy.requests_matching("POST", "/wp-json/wp/v2/posts")) == 1
        assert outcomes(settled) == [(1, "unknown_outcome"), (2, "published")]
        assert settled["attempts"][1]["error_message"] == "confirmed on the platform by idempotency key"


def test_a_lost_answer_from_wordpress_is_confirmed_by_the_marker_and_the_post_has_the_titles_slug(api, wordpress):
    # WordPress makes the post, but its answer comes after the call's timeout: the attempt's outcome is unknown.
    lost_after = int(KNOBS["PUBLISH_TIMEOUT_S"]) + 3
    with SlowProxy(wordpress.url, delay=lost_after, slow=creates_post) as proxy:
        channel = api.create("/channels", wordpress.channel_body(proxy.url))
        title = f"Herald lost answer {secrets.token_hex(3)}"
        publication = publish_soon(api, channel, title)
        marker = clear_marker(wordpress, publication)
        try:
            settled = wait_until_settled(api, publication["id"])
            time.sleep(DUPLICATE_WINDOW_S)
            posts = wordpress_posts_with_marker(wordpress, marker)
        finally:
            for post in wordpress_posts_with_marker(wordpress, marker):
                wordpress.track_post(post["id"])

        assert settled["status"] == "published", settled
        assert [(p["status"], p["slug"]) for p in posts] == [("publish", title_slug(title))]
        assert settled["external_id"] == str(posts[0]["id"])
        assert len(proxy.requests_matching("POST", "/wp-json/wp/v2/posts")) == 1
        assert outcomes(settled) == [(1, "unknown_outcome"), (2, "published")]
        assert "no answer within the timeout after sending" in settled["attempts"][0]["error_message"]
        assert settled["attempts"][1]["error_message"] == "confirmed on the platform by idempotency key"
