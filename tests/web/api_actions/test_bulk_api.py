"""POST /publications/bulk (200 inline, 202 with a status URL beyond 1,000) and GET its status."""

import pytest

from tests.web.api_actions.support import entry, insert_publications, one_time, reload, set_status
from webapp import jobs
from webapp.domain.operations import bulk


def test_bulk_by_ids_answers_200_with_the_counts(api, make, owner):
    _, publications = one_time(make, owner, channels=2)

    response = api("POST", "/publications/bulk", json={"action": "pause", "ids": [p.id for p in publications]})

    assert response.status_code == 200
    assert response.json == {"matched": 2, "changed": 2, "skipped": []}
    assert [entry(p) for p in publications] == [None, None]


def test_bulk_by_filter_lists_refused_records_as_skipped_with_a_reason(api, make, owner):
    _, [failed, published] = one_time(make, owner, channels=2)
    set_status(failed, "failed")
    set_status(published, "published")

    response = api("POST", "/publications/bulk", json={"action": "retry", "filter": {"status": "failed,published"}})

    assert response.status_code == 200
    assert response.json["matched"] == 2 and response.json["changed"] == 1
    assert response.json["skipped"] == [
        {"id": published.id, "reason": "is published; only failed, unconfirmed publications can be retried"}
    ]
    assert reload(failed).status == "queued"


def test_another_workspace_s_ids_are_not_matched(api, make, outsider):
    _, [theirs] = one_time(make, outsider[1])

    response = api("POST", "/publications/bulk", json={"action": "cancel", "ids": [theirs.id]})

    assert response.status_code == 200
    assert response.json == {"matched": 0, "changed": 0, "skipped": []}
    assert reload(theirs).status == "scheduled"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "explode", "ids": [1]}, "action"),
        ({"action": "pause"}, "ids"),
        ({"action": "pause", "filter": 3}, "filter"),
    ],
)
def test_an_unknown_action_or_a_bad_selection_is_422(api, owner, unchanged, body, field):
    with unchanged():
        response = api("POST", "/publications/bulk", json=body)

    assert response.status_code == 422
    assert field in response.json["error"]["fields"]


def test_more_than_a_thousand_answers_202_and_the_status_url_reports_progress(api, make, owner):
    schedule, _ = one_time(make, owner)
    insert_publications(schedule, 1001)

    response = api("POST", "/publications/bulk", json={"action": "cancel", "filter": {"schedule_id": schedule.id}})
    bulk_id = response.json["bulk_id"]
    running = api("GET", f"/publications/bulk/{bulk_id}").json
    jobs.run_bulk_job(bulk_id)
    done = api("GET", f"/publications/bulk/{bulk_id}")

    assert response.status_code == 202
    assert response.json["status_url"] == response.headers["Location"] == f"/api/v1/publications/bulk/{bulk_id}"
    assert running["state"] == "running" and running["matched"] == 1002
    assert done.status_code == 200
    assert {k: done.json[k] for k in ("state", "matched", "changed", "skipped")} == {
        "state": "done",
        "matched": 1002,
        "changed": 1002,
        "skipped": [],
    }


def test_another_workspace_s_bulk_status_is_404(api, make, outsider):
    schedule, _ = one_time(make, outsider[1])
    insert_publications(schedule, 1001)
    bulk_id = bulk.run_bulk(outsider[1], "pause", filter={"schedule_id": schedule.id})["bulk_id"]

    assert api("GET", f"/publications/bulk/{bulk_id}").status_code == 404
    assert api("GET", f"/publications/bulk/{bulk_id}", key_override=outsider[0]).status_code == 200


def test_a_viewer_gets_403(api, make, owner, viewer_key, unchanged):
    _, [publication] = one_time(make, owner)

    with unchanged():
        response = api(
            "POST", "/publications/bulk", key_override=viewer_key, json={"action": "pause", "ids": [publication.id]}
        )

    assert response.status_code == 403
