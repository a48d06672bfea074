"""Chained publications end to end: real web, worker and scheduler; B goes out after A, carrying A's URL."""

from __future__ import annotations

import pytest

from .harness import Api, Receiver, utc_text, whole_seconds_ahead
from .test_end_to_end import make_channel

pytestmark = pytest.mark.integration


def test_a_chained_publication_goes_out_after_the_one_it_follows_with_its_url(api_user: Api, receiver: Receiver):
    # A's platform answers slowly: without the chain, B (due at the same second) would arrive first.
    slow_url = receiver.hook(delay=1.5)
    blog = api_user.create(
        "/channels",
        {"name": "chain blog", "platform": "webhook", "settings": {"url": slow_url}, "credentials": {"secret": "s3"}},
    )
    social = make_channel(api_user, receiver, "social")
    content = api_user.create(
        "/contents",
        {"title": "Launch", "body": "Read it: {{ published.url }} ({{ published.title }})", "status": "approved"},
    )
    schedule = api_user.create(
        "/schedules",
        {
            "content_id": content["id"],
            "channel_ids": [blog["id"], social["id"]],
            "run_at": utc_text(whole_seconds_ahead(3)),
            "chain": [{"channel_id": social["id"], "after_channel_id": blog["id"]}],
        },
    )
    by_channel = {p["channel_id"]: p for p in schedule["publications"]}
    first, second = by_channel[blog["id"]], by_channel[social["id"]]
    assert second["hold_reason"] == f"waiting for #{first['id']} on {blog['name']}"

    first = api_user.wait_until_final(first["id"])
    second = api_user.wait_until_final(second["id"])

    assert (first["status"], second["status"]) == ("published", "published")
    [a_request] = receiver.deliveries_to(slow_url)
    [b_request] = receiver.deliveries_to(social["settings"]["url"])
    assert b_request.arrived_at > a_request.arrived_at + 1.0  # after A's slow answer, not beside it
    assert b_request.json()["content"]["body"] == f"Read it: {first['external_url']} (Launch)"
    assert second["started_at"] >= first["finished_at"]  # ISO 8601 UTC texts compare in time order
