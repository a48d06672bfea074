"""GET /alerts (open, resolved, all; by kind; since), resolve and reopen; GET /audit; GET /analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.frozen import frozen_clock
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.models import Alert, Attempt, AuditEvent, PublicationStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_clock = frozen_clock(NOW)


@pytest.fixture
def raised(owner, make):
    """An open failure alert about a publication, an open channel alert, and a resolved missed one."""
    publication = make.publication(owner, make.content(owner))
    failure = alerts.publication_alert(publication, "failure", "Post failed: 400")
    channel_id = publication.channel_id
    unhealthy = alerts.raise_alert(owner.workspace_id, "channel_unhealthy", "rejected", channel_id=channel_id)
    missed = alerts.raise_alert(owner.workspace_id, "missed", "missed its time")
    db.session.commit()
    alerts.resolve(owner, missed.id)
    return {"failure": failure.id, "unhealthy": unhealthy.id, "missed": missed.id, "publication": publication}


def test_the_list_is_the_open_work_by_default_each_with_what_happened_since(api, raised, assert_schema):
    response = api("GET", "/alerts")

    assert response.status_code == 200
    assert_schema(response.json, "AlertList")
    assert [a["id"] for a in response.json["items"]] == [raised["unhealthy"], raised["failure"]]
    failure = response.json["items"][1]
    assert failure["status"] == "open" and failure["kind"] == "failure"
    assert failure["since"]["publication"] == {
        "id": raised["publication"].id,
        "status": "scheduled",
        "attempts": 0,
        "finished_at": None,
    }
    assert response.json["items"][0]["since"]["channel"]["health"] == "unknown"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("status=resolved", ["missed"]), ("status=all&kind=missed", ["missed"]), ("status=all&kind=failure", ["failure"])],
)
def test_the_list_filters_by_status_and_kind(api, raised, query, expected):
    assert [a["id"] for a in api("GET", f"/alerts?{query}").json["items"]] == [raised[k] for k in expected]


def test_since_keeps_only_alerts_raised_from_then_and_pages_like_other_lists(api, raised, owner):
    later = NOW + timedelta(hours=1)
    db.session.add(Alert(workspace_id=owner.workspace_id, kind="conflict", message="later", created_at=later))
    db.session.commit()

    since = api("GET", "/alerts?since=2026-03-02T10:00:00Z").json
    paged = api("GET", "/alerts?per_page=1&page=2").json

    assert [a["message"] for a in since["items"]] == ["later"]
    assert (paged["total"], paged["page"], paged["per_page"], len(paged["items"])) == (3, 2, 1, 1)


@pytest.mark.parametrize("query", ["status=closed", "kind=nope", "since=yesterday", "per_page=500"])
def test_bad_filters_are_a_validation_error(api, raised, query):
    response = api("GET", f"/alerts?{query}")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"


def test_resolving_records_who_and_reopening_clears_it(api, raised, owner, assert_schema):
    resolved = api("POST", f"/alerts/{raised['failure']}/resolve")
    assert resolved.status_code == 200
    assert_schema(resolved.json, "Alert")
    assert resolved.json["resolved_by_id"] == owner.user_id and resolved.json["resolved_at"] == "2026-03-02T09:00:00Z"
    assert resolved.json["resolved_by_itself"] is False

    again = api("POST", f"/alerts/{raised['failure']}/resolve")
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"

    reopened = api("POST", f"/alerts/{raised['failure']}/reopen")
    assert reopened.status_code == 200 and reopened.json["status"] == "open"
    actions = [e.action for e in db.session.query(AuditEvent).filter_by(target_type="alert").order_by(AuditEvent.id)]
    assert actions == ["alert.resolved", "alert.resolved", "alert.reopened"]  # the fixture's, then these two


def test_an_alert_that_resolved_itself_says_so(api, raised):
    publication = raised["publication"]
    publication.attempts_count, publication.status = 2, PublicationStatus.PUBLISHED.value
    db.session.commit()

    found = api("GET", "/alerts?status=resolved&kind=failure").json["items"][0]

    assert found["resolved_by_itself"] is True and found["resolved_by_id"] is None
    assert found["since"]["publication"]["status"] == "published"


def test_another_workspace_cannot_list_or_resolve_these_alerts(api, raised, outsider, unchanged):
    key, _ = outsider
    with unchanged():
        listed = api("GET", "/alerts?status=all", key_override=key)
        resolved = api("POST", f"/alerts/{raised['failure']}/resolve", key_override=key)

    assert listed.json["items"] == [] and listed.json["total"] == 0
    assert resolved.status_code == 404 and resolved.json["error"]["code"] == "not_found"


def test_a_viewer_reads_alerts_but_may_not_resolve_them(api, raised, viewer_key, unchanged):
    assert api("GET", "/alerts", key_override=viewer_key).status_code == 200
    with unchanged():
        response = api("POST", f"/alerts/{raised['failure']}/resolve", key_override=viewer_key)
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


# --- the audit log ---------------------------------------------------------------------------------------


def test_the_audit_log_lists_filters_and_pages(api, raised, owner, assert_schema):
    everything = api("GET", "/audit")
    assert everything.status_code == 200
    assert_schema(everything.json, "AuditEventList")
    mine = api("GET", f"/audit?action=alert.resolved&actor={owner.user_id}&target=alert:{raised['missed']}").json

    assert [(e["action"], e["target_id"]) for e in mine["items"]] == [("alert.resolved", raised["missed"])]
    assert mine["items"][0]["actor"]["id"] == owner.user_id
    assert api("GET", "/audit?actor=system").json["items"] == []
    assert api("GET", "/audit?since=2026-03-02T09:00:01Z").json["total"] == 0
    assert api("GET", "/audit?until=2026-03-02T09:00:01Z").json["total"] == everything.json["total"]


@pytest.mark.parametrize(
    ("query", "field"),
    [("actor=bob", "actor"), ("target=alert:x", "target"), ("since=soon", "since"),
     ("since=2026-03-02T10:00:00Z&until=2026-03-02T09:00:00Z", "until")],
)  # fmt: skip
def test_bad_audit_filters_name_the_field(api, query, field):
    response = api("GET", f"/audit?{query}")

    assert response.status_code == 422 and field in response.json["error"]["fields"]


def test_a_viewer_may_not_read_the_audit_log(api, viewer_key):
    response = api("GET", "/audit", key_override=viewer_key)

    assert response.status_code == 403
    assert response.json["error"] == {"code": "forbidden", "message": "The audit log is for owners and editors of "
                                       "this workspace."}  # fmt: skip


def test_the_audit_log_of_another_workspace_is_not_readable(api, raised, outsider):
    key, _ = outsider
    assert api("GET", "/audit?target=alert", key_override=key).json["items"] == []


# --- analytics -------------------------------------------------------------------------------------------


def _published(make, actor, due_at):
    """A publication that was due at `due_at` and published then, a second late."""
    publication = make.publication(actor, make.content(actor))
    publication.due_at, publication.started_at = due_at, due_at + timedelta(seconds=1)
    publication.status, publication.lateness_ms = PublicationStatus.PUBLISHED.value, 1000
    publication.finished_at = due_at + timedelta(seconds=2)
    db.session.commit()
    return publication


def test_analytics_gives_the_page_s_figures_for_a_range(api, owner, make, assert_schema):
    publication = _published(make, owner, NOW - timedelta(hours=2))
    start = publication.started_at
    db.session.add(
        Attempt(publication_id=publication.id, number=1, started_at=start, finished_at=start + timedelta(seconds=1))
    )
    db.session.commit()

    response = api("GET", "/analytics?from=2026-03-01&to=2026-03-02&timezone=Europe/Paris")

    assert response.status_code == 200
    assert_schema(response.json, "Analytics")
    body = response.json
    assert body["range"] == {"from": "2026-03-01", "to": "2026-03-02", "timezone": "Europe/Paris", "days": 2}
    assert body["totals"]["published"] == 1 and body["totals"]["success_rate"] == 1.0
    assert [p["start"] for p in body["success"]] == ["2026-03-01", "2026-03-02"]
    assert body["execution"] == {"attempts": 1, "avg_ms": 1000, "p95_ms": 1000}
    assert body["heatmap"][0][8] == 1  # Monday 08:00 in Paris (07:00Z)


def test_analytics_defaults_to_the_last_30_days_in_the_user_s_zone(api):
    assert api("GET", "/analytics").json["range"] == {
        "from": "2026-02-01",
        "to": "2026-03-02",
        "timezone": "UTC",
        "days": 30,
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2026-03-05&to=2026-03-01", "to"), ("from=2025-01-01&to=2026-03-01", "to"), ("from=March", "from"),
     ("timezone=Mars/Olympus", "timezone")],
)  # fmt: skip
def test_bad_analytics_ranges_are_a_validation_error(api, query, field):
    response = api("GET", f"/analytics?{query}")

    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed" and field in response.json["error"]["fields"]


def test_analytics_counts_only_the_key_s_workspace(api, outsider, make):
    _, other = outsider
    _published(make, other, NOW - timedelta(hours=1))

    assert api("GET", "/analytics?from=2026-03-02&to=2026-03-02").json["totals"]["due"] == 0
