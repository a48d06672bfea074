"""Chained publications through /api/v1/schedules and /api/v1/publications."""

from __future__ import annotations

import pytest

from .helpers import iso, soon


@pytest.fixture
def chained(api, make, owner):
    blog, social = make.channel(owner, name="blog"), make.channel(owner, name="social")
    body = {
        "content_id": make.content(owner).id,
        "channel_ids": [blog.id, social.id],
        "run_at": iso(soon()),
        "chain": [{"channel_id": social.id, "after_channel_id": blog.id}],
    }
    return blog, social, body


def test_a_schedule_with_a_chain_answers_it_and_the_waiting_publication(api, chained, assert_schema):
    blog, social, body = chained

    response = api("POST", "/schedules", json=body)

    assert response.status_code == 201
    schedule = response.json
    assert_schema(schedule, "Schedule")
    assert schedule["chain"] == [{"channel_id": social.id, "after_channel_id": blog.id}]
    by_channel = {p["channel_id"]: p for p in schedule["publications"]}
    first, second = by_channel[blog.id], by_channel[social.id]
    assert (first["after_publication_id"], first["hold_reason"]) == (None, None)
    assert second["after_publication_id"] == first["id"]
    assert second["hold_reason"] == f"waiting for #{first['id']} on blog"
    shown = api("GET", f"/publications/{second['id']}").json
    assert_schema(shown, "Publication")
    assert shown["hold_reason"] == f"waiting for #{first['id']} on blog"


def test_a_schedule_without_a_chain_answers_an_empty_one(api, chained):
    _, _, body = chained
    del body["chain"]

    assert api("POST", "/schedules", json=body).json["chain"] == []


def test_a_chain_naming_a_channel_outside_the_schedule_is_422_and_stores_nothing(api, chained, make, owner, unchanged):
    blog, _, body = chained
    other = make.channel(owner)
    body["chain"] = [{"channel_id": other.id, "after_channel_id": blog.id}]

    with unchanged():
        response = api("POST", "/schedules", json=body)

    assert response.status_code == 422
    assert "must be among the schedule's channel_ids" in response.json["error"]["fields"]["chain"]


def test_a_clone_keeps_the_chain(api, chained):
    blog, social, body = chained
    schedule = api("POST", "/schedules", json=body).json

    clone = api("POST", f"/schedules/{schedule['id']}/clone", json={}).json

    assert clone["chain"] == schedule["chain"]
    second = {p["channel_id"]: p for p in clone["publications"]}[social.id]
    assert second["hold_reason"].startswith("waiting for #")
