"""Bulk actions from the monitor: confirm with counts, then run with skipped reasons."""

from datetime import UTC, datetime, timedelta

import pytest

from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.models import Publication

HX = {"HX-Request": "true"}


@pytest.fixture
def pubs(ada, make):
    channel = make.channel(ada)
    content = make.content(ada)
    made = []
    for n in range(3):
        run_at = datetime.now(UTC) + timedelta(days=1, hours=n)
        schedule = schedules.create_schedule(
            ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at}
        )
        made.extend(schedules.publications_of(schedule))
    made[2].status = "published"
    db.session.commit()
    return [p.id for p in made]


def test_the_confirm_step_states_the_count(client, pubs):
    response = client.post(
        "/publications/bulk/confirm", data={"action": "pause", "ids": [str(i) for i in pubs[:2]]}, headers=HX
    )

    html = response.get_data(as_text=True)
    assert "Pause 2 publications?" in html
    assert db.session.query(Publication).filter_by(status="paused").count() == 0  # nothing changed yet


def test_running_pauses_what_may_pause_and_says_why_the_rest_were_skipped(client, pubs):
    response = client.post(
        "/publications/bulk/run", data={"action": "pause", "ids": [str(i) for i in pubs]}, headers=HX
    )

    html = response.get_data(as_text=True)
    assert "3 matched, 2 changed, 1 skipped" in html
    assert f"#{pubs[2]}:" in html
    paused = db.session.query(Publication).filter_by(status="paused").all()
    assert sorted(p.id for p in paused) == pubs[:2]
    assert all(dispatch.scheduled_time(p) is None for p in paused)


def test_all_matching_the_filter_is_resolved_on_the_server(client, pubs):
    response = client.post(
        "/publications/bulk/confirm",
        data={"action": "cancel", "scope": "all", "filter": "status=scheduled"},
        headers=HX,
    )

    assert "Cancel 2 publications?" in response.get_data(as_text=True)


def test_another_workspaces_ids_are_not_matched(client, auth, pubs):
    auth.sign_out()
    auth.sign_up("bob@example.test")

    response = client.post(
        "/publications/bulk/run", data={"action": "cancel", "ids": [str(i) for i in pubs]}, headers=HX
    )

    assert "0 matched" in response.get_data(as_text=True)
    assert db.session.query(Publication).filter_by(status="cancelled").count() == 0


def test_an_unknown_action_is_refused(client, pubs):
    assert client.post("/publications/bulk/run", data={"action": "explode", "ids": ["1"]}).status_code == 400


def test_the_monitor_offers_row_checkboxes_and_the_bulk_bar(client, pubs):
    html = client.get("/publications/").get_data(as_text=True)

    assert f'name="ids" value="{pubs[0]}" form="bulk-form"' in html
    assert 'data-bulk-action="retry"' in html
