"""Publications through /api/v1/publications: filtered lists and one publication with its attempts."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.domain.publishing import publisher

from .helpers import soon, utc_text


@pytest.fixture
def world(make, owner, schedule_for):
    """Two channels, two schedules: `first` on both channels (due sooner), `second` on channel b only."""
    a, b = make.channel(owner), make.channel(owner)
    content = make.content(owner, title="Autumn sale")
    first, first_pubs = schedule_for(owner, content, [a, b], run_at=soon(hours=1))
    second, second_pubs = schedule_for(owner, make.content(owner, title="Hiring"), [b], run_at=soon(hours=2))
    return {"a": a, "b": b, "first": first, "second": second, "pubs": first_pubs + second_pubs}


def ids(response) -> list[int]:
    return [p["id"] for p in response.json["items"]]


def fail_once(publication) -> None:
    """Run one real attempt against a closed port: a transient failure that leaves it retrying."""
    publisher.mark_queued([publication.id])
    publisher.execute(publication.id)


def test_the_list_is_the_envelope_latest_due_first(api, world):
    response = api("GET", "/publications")
    assert response.status_code == 200
    pubs = world["pubs"]
    assert ids(response) == [pubs[2].id, pubs[1].id, pubs[0].id]
    assert (response.json["page"], response.json["per_page"], response.json["total"]) == (1, 50, 3)


def test_list_items_leave_attempts_out(api, world):
    assert all("attempts" not in item for item in api("GET", "/publications").json["items"])


def test_the_list_filters_by_channel(api, world):
    response = api("GET", f"/publications?channel_id={world['a'].id}")
    assert ids(response) == [world["pubs"][0].id]


def test_the_list_filters_by_schedule(api, world):
    response = api("GET", f"/publications?schedule_id={world['second'].id}")
    assert ids(response) == [world["pubs"][2].id]


def test_the_list_filters_by_status(api, world):
    fail_once(world["pubs"][0])
    assert ids(api("GET", "/publications?status=retrying")) == [world["pubs"][0].id]
    assert sorted(ids(api("GET", "/publications?status=scheduled"))) == [world["pubs"][1].id, world["pubs"][2].id]


def test_the_status_filter_takes_a_comma_separated_list(api, world):
    fail_once(world["pubs"][0])
    assert api("GET", "/publications?status=retrying,scheduled").json["total"] == 3


def test_the_list_combines_filters(api, world):
    response = api("GET", f"/publications?schedule_id={world['first'].id}&channel_id={world['b'].id}")
    assert ids(response) == [world["pubs"][1].id]


def test_the_list_filters_by_a_due_window(api, world):
    start = utc_text(world["pubs"][0].due_at + timedelta(minutes=30))
    assert ids(api("GET", f"/publications?from={start}")) == [world["pubs"][2].id]
    assert sorted(ids(api("GET", f"/publications?to={start}"))) == [world["pubs"][0].id, world["pubs"][1].id]


def test_the_list_filters_by_content_title(api, world):
    assert sorted(ids(api("GET", "/publications?q=autumn"))) == [world["pubs"][0].id, world["pubs"][1].id]


@pytest.mark.parametrize(
    ("query", "field"),
    [("channel_id=abc", "channel_id"), ("schedule_id=-1", "schedule_id"), ("from=yesterday", "from")],
)
def test_a_malformed_filter_is_422_naming_it(api, query, field):
    response = api("GET", f"/publications?{query}")
    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_per_page_over_200_is_422(api):
    assert api("GET", "/publications?per_page=201").status_code == 422


def test_a_publication_shows_its_contract_fields(api, world):
    publication = world["pubs"][0]
    body = api("GET", f"/publications/{publication.id}").json
    assert {k: body[k] for k in ("id", "schedule_id", "channel_id", "content_id", "status")} == {
        "id": publication.id,
        "schedule_id": world["first"].id,
        "channel_id": world["a"].id,
        "content_id": publication.content_id,
        "status": "scheduled",
    }
    assert body["due_at"] == utc_text(publication.due_at)
    assert body["idempotency_key"] == publication.idempotency_key
    assert body["attempts"] == []
    assert body["enqueued_at"] is body["started_at"] is body["finished_at"] is body["lateness_ms"] is None


def test_a_publication_lists_each_attempt_with_its_outcome(api, world):
    publication = world["pubs"][0]
    fail_once(publication)
    body = api("GET", f"/publications/{publication.id}").json
    assert body["status"] == "retrying"
    assert len(body["attempts"]) == 1
    attempt = body["attempts"][0]
    assert (attempt["number"], attempt["outcome"], attempt["error_class"]) == (1, "transient", "transient")
    assert attempt["http_status"] is None
    assert attempt["error_message"]
    assert attempt["started_at"] <= attempt["finished_at"]
    assert body["started_at"] and body["enqueued_at"] and isinstance(body["lateness_ms"], int)


def test_an_unknown_publication_is_404(api):
    response = api("GET", "/publications/4242")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_a_superscript_digit_as_an_id_filter_is_422(api):
    assert api("GET", "/publications?channel_id=%C2%B2").status_code == 422
