"""The audit-log page: workspace-scoped, filterable by actor, action, target type and dates, paged, not for viewers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from webapp.domain.shared import audit
from webapp.extensions import db
from webapp.models import AuditEvent, Membership

HX = {"HX-Request": "true"}


def _event(workspace_id: int, action: str, when: datetime, user_id: int | None = None, **values) -> AuditEvent:
    event = AuditEvent(
        workspace_id=workspace_id,
        actor_user_id=user_id,
        action=action,
        source=values.pop("source", "ui"),
        created_at=when,
        details=values.pop("details", {}),
        **values,
    )
    db.session.add(event)
    return event


@pytest.fixture
def trail(ada, make):
    """Three events in Ada's workspace (on top of her sign-up's own) and one elsewhere."""
    ws = ada.workspace_id
    _event(ws, "channel.created", datetime(2026, 3, 1, 12, tzinfo=UTC), ada.user_id, target_type="channel", target_id=7)
    _event(ws, "schedule.created", datetime(2026, 3, 5, 9, tzinfo=UTC), ada.user_id, target_type="schedule")
    _event(
        ws,
        "publication.missed",
        datetime(2026, 3, 9, 23, 30, tzinfo=UTC),
        None,
        source="system",
        target_type="publication",
        target_id=3,
        details={"reason": "skip"},
    )
    _event(
        make.actor().workspace_id,
        "channel.created",
        datetime(2026, 3, 2, tzinfo=UTC),
        None,
        details={"name": "Elsewhere"},
    )
    db.session.commit()
    return ada


def _results(response) -> str:
    """The results section alone (the filter dropdowns name every action too)."""
    return response.get_data(as_text=True).split('<section id="results"', 1)[1]


def _rows(html: str) -> int:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0].count("<tr>") if "<tbody>" in html else 0


def test_the_page_lists_the_workspaces_events_newest_first(client, trail):
    html = _results(client.get("/audit/"))

    assert "Elsewhere" not in html
    assert html.index("publication.missed") < html.index("schedule.created") < html.index("channel.created")
    assert "channel #7" in html and "reason=skip" in html and "ada@example.test" in html


def test_filtering_by_actor_system(client, trail):
    html = client.get("/audit/?actor=system").get_data(as_text=True)

    assert _rows(html) == 1 and "publication.missed" in html


def test_filtering_by_a_member(client, trail):
    html = client.get(f"/audit/?actor={trail.user_id}&target_type=channel").get_data(as_text=True)

    assert _rows(html) == 1 and "channel #7" in html


def test_filtering_by_action(client, trail):
    html = client.get("/audit/?action=schedule.created").get_data(as_text=True)

    assert _rows(html) == 1 and "1 event ·" in html


def test_a_date_range_is_whole_days_in_the_members_zone(client, auth, trail):
    # 23:30 UTC on March 9 is already March 10 in Berlin.
    client.post("/settings/timezone", data={"timezone": "Europe/Berlin"})

    html = _results(client.get("/audit/?from=2026-03-02&to=2026-03-09"))

    assert "schedule.created" in html and "publication.missed" not in html and "channel #7" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "from must be a date like 2026-05-31"),
        ("from=2026-03-09&to=2026-03-01", "to must not be before from"),
        ("actor=bob", "actor must be a member or system"),
    ],
)
def test_bad_filters_are_refused_with_a_reason(client, trail, query, message):
    response = client.get(f"/audit/?{query}")
    html = response.get_data(as_text=True)

    assert response.status_code == 422 and message in html and 'aria-invalid="true"' in html


def test_pages_hold_fifty_events(client, trail):
    for n in range(60):
        _event(trail.workspace_id, f"bulk.{n}", datetime(2026, 4, 1, tzinfo=UTC))
    db.session.commit()

    first = client.get("/audit/").get_data(as_text=True)
    second = client.get("/audit/?page=2").get_data(as_text=True)

    assert _rows(first) == 50 and "page 1 of 2" in first and 'rel="next" href="/audit/?page=2"' in first
    assert _rows(second) == 14 and 'rel="prev"' in second  # 60 + 3 + Ada's sign-up


def test_an_htmx_request_gets_only_the_results(client, trail):
    response = client.get("/audit/?action=channel.created", headers=HX)
    html = response.get_data(as_text=True)

    assert html.lstrip().startswith('<section id="results"') and "audit-filters" not in html
    assert "HX-Request" in response.headers["Vary"]


def test_a_viewer_may_not_read_the_audit_log(client, trail):
    db.session.query(Membership).filter_by(user_id=trail.user_id).update({"role": "viewer"})
    db.session.commit()

    response = client.get("/audit/")

    assert response.status_code == 403 and "owners and editors" in response.get_data(as_text=True)
    assert 'href="/audit/"' not in client.get("/health").get_data(as_text=True)


def test_events_written_by_the_audit_service_appear(client, trail):
    audit.record(trail, "apikey.revoked", "api_key", 12, name="deploy")
    db.session.commit()

    html = client.get("/audit/?target_type=api_key").get_data(as_text=True)

    assert "apikey.revoked" in html and "api_key #12" in html and "name=deploy" in html
