"""POST /schedules/bulk and /contents/bulk: the shape of POST /publications/bulk, on other records."""

import pytest

from tests.web.api_actions.support import one_time
from webapp import jobs
from webapp.domain.operations import bulk
from webapp.extensions import db
from webapp.models import Content, Schedule


def _status(model, record_id: int) -> str:
    return db.session.get(model, record_id).status


def _contents(actor, count: int, status: str) -> list[int]:
    rows = [Content(workspace_id=actor.workspace_id, title=f"Item {n}", status=status) for n in range(count)]
    db.session.add_all(rows)
    db.session.commit()
    return [r.id for r in rows]


def test_schedules_bulk_by_ids_answers_200_with_the_counts_and_the_skipped_reasons(api, make, owner):
    first, _ = one_time(make, owner)
    second, _ = one_time(make, owner)
    api("POST", f"/schedules/{second.id}/pause")

    response = api("POST", "/schedules/bulk", json={"action": "pause", "ids": [first.id, second.id]})

    assert response.status_code == 200
    assert response.json == {
        "matched": 2,
        "changed": 1,
        "skipped": [{"id": second.id, "reason": "This schedule is already paused."}],
    }
    assert _status(Schedule, first.id) == "paused"


def test_schedules_bulk_by_filter(api, make, owner):
    active, _ = one_time(make, owner)
    paused, _ = one_time(make, owner)
    api("POST", f"/schedules/{paused.id}/pause")

    response = api("POST", "/schedules/bulk", json={"action": "cancel", "filter": {"status": ["active"]}})

    assert response.json == {"matched": 1, "changed": 1, "skipped": []}
    assert (_status(Schedule, active.id), _status(Schedule, paused.id)) == ("cancelled", "paused")


def test_contents_bulk_approves_and_archives(api, owner):
    review, draft = _contents(owner, 1, "review") + _contents(owner, 1, "draft")

    approved = api("POST", "/contents/bulk", json={"action": "approve", "ids": [review, draft]})
    archived = api("POST", "/contents/bulk", json={"action": "archive", "filter": {"status": "draft"}})

    assert approved.status_code == 200 and approved.json["changed"] == 1
    assert approved.json["skipped"] == [
        {"id": draft, "reason": "content is draft; only review content can be approved"}
    ]
    assert archived.json == {"matched": 1, "changed": 1, "skipped": []}
    assert (_status(Content, review), _status(Content, draft)) == ("approved", "archived")


def test_another_workspace_s_schedule_ids_are_never_matched(api, make, outsider):
    theirs, _ = one_time(make, outsider[1])

    response = api("POST", "/schedules/bulk", json={"action": "cancel", "ids": [theirs.id]})

    assert response.status_code == 200
    assert response.json == {"matched": 0, "changed": 0, "skipped": []}
    assert _status(Schedule, theirs.id) == "active"


def test_another_workspace_s_content_ids_are_never_matched(api, outsider):
    [theirs] = _contents(outsider[1], 1, "review")

    response = api("POST", "/contents/bulk", json={"action": "approve", "ids": [theirs]})

    assert response.status_code == 200
    assert response.json == {"matched": 0, "changed": 0, "skipped": []}
    assert _status(Content, theirs) == "review"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/schedules/bulk", {"action": "retry", "ids": [1]}, "action"),
        ("/schedules/bulk", {"action": "pause"}, "ids"),
        ("/schedules/bulk", {"action": "pause", "filter": {"status": "failed"}}, "filter.status"),
        ("/contents/bulk", {"action": "publish", "ids": [1]}, "action"),
        ("/contents/bulk", {"action": "archive", "filter": {"schedule_id": 1}}, "filter"),
    ],
)
def test_an_unknown_action_or_a_bad_selection_is_422(api, owner, unchanged, path, body, field):
    with unchanged():
        response = api("POST", path, json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


@pytest.mark.parametrize("path", ["/schedules/bulk", "/contents/bulk"])
def test_a_viewer_gets_403(api, make, owner, viewer_key, unchanged, path):
    schedule, _ = one_time(make, owner)
    action, record_id = ("pause", schedule.id) if path.startswith("/schedules") else ("archive", schedule.content_id)

    with unchanged():
        response = api("POST", path, key_override=viewer_key, json={"action": action, "ids": [record_id]})

    assert response.status_code == 403


def test_more_than_a_thousand_content_items_answer_202_with_a_status_url(api, owner):
    ids = _contents(owner, 1001, "draft")

    response = api("POST", "/contents/bulk", json={"action": "archive", "filter": {"status": "draft"}})
    bulk_id = response.json["bulk_id"]
    running = api("GET", f"/contents/bulk/{bulk_id}").json
    jobs.run_bulk_job(bulk_id)
    done = api("GET", f"/contents/bulk/{bulk_id}")

    assert response.status_code == 202
    assert response.json["status_url"] == response.headers["Location"] == f"/api/v1/contents/bulk/{bulk_id}"
    assert (running["state"], running["kind"], running["matched"]) == ("running", "contents", 1001)
    assert {k: done.json[k] for k in ("state", "action", "matched", "changed", "skipped")} == {
        "state": "done",
        "action": "archive",
        "matched": 1001,
        "changed": 1001,
        "skipped": [],
    }
    assert {_status(Content, i) for i in ids} == {"archived"}


def test_a_background_schedule_action_reports_at_its_status_url(api, make, owner, monkeypatch):
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 1)  # the path beyond 1,000, without making 1,001 schedules
    made = [one_time(make, owner)[0].id for _ in range(2)]

    response = api("POST", "/schedules/bulk", json={"action": "pause", "ids": made})
    jobs.run_bulk_job(response.json["bulk_id"])
    done = api("GET", response.json["status_url"].removeprefix("/api/v1"))

    assert response.status_code == 202 and response.json["status_url"].startswith("/api/v1/schedules/bulk/")
    assert (done.json["kind"], done.json["state"], done.json["changed"]) == ("schedules", "done", 2)
    assert {_status(Schedule, i) for i in made} == {"paused"}


@pytest.mark.parametrize("path", ["/schedules/bulk", "/contents/bulk"])
def test_another_workspace_s_bulk_status_is_404(api, outsider, monkeypatch, path):
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 0)
    ids = _contents(outsider[1], 1, "draft")
    bulk_id = bulk.run_bulk(outsider[1], "archive", ids=ids, kind="contents")["bulk_id"]

    assert api("GET", f"{path}/{bulk_id}").status_code == 404
    assert api("GET", f"{path}/{bulk_id}", key_override=outsider[0]).status_code == 200
    assert api("GET", f"{path}/{bulk_id + 1}").status_code == 404


def test_the_answers_conform_to_the_documented_schemas(api, make, owner, monkeypatch, assert_schema):
    schedule, _ = one_time(make, owner)
    [content] = _contents(owner, 1, "review")
    inline = api("POST", "/schedules/bulk", json={"action": "resume", "ids": [schedule.id]})
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 0)
    started = api("POST", "/contents/bulk", json={"action": "approve", "ids": [content]})
    status = api("GET", f"/contents/bulk/{started.json['bulk_id']}")

    assert_schema(inline.json, "BulkResult")
    assert_schema(started.json, "BulkStarted")
    assert_schema(status.json, "BulkStatus")
