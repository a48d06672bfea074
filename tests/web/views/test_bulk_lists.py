"""Bulk actions from the schedules and content lists: checkboxes, a confirm step with counts, skipped reasons."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from webapp import jobs
from webapp.domain.operations import bulk
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.models import Content, Membership, Schedule, User

HX = {"HX-Request": "true"}


@pytest.fixture
def three_schedules(ada, make) -> list[int]:
    """Three of Ada's schedules; the last one is already paused."""
    channel = make.channel(ada)
    content = make.content(ada)
    made = []
    for n in range(3):
        run_at = datetime.now(UTC) + timedelta(days=1, hours=n)
        made.append(
            schedules.create_schedule(ada, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at}).id
        )
    bulk.run_bulk(ada, "pause", ids=[made[2]], kind="schedules")
    return made


def _status(model, record_id: int) -> str:
    return db.session.get(model, record_id).status


def test_the_schedules_page_offers_row_checkboxes_and_the_bulk_bar(client, three_schedules):
    html = client.get("/schedules/").get_data(as_text=True)

    assert f'name="ids" value="{three_schedules[0]}" form="bulk-form"' in html
    assert f'aria-label="Select schedule {three_schedules[0]}"' in html
    assert 'action="/schedules/bulk/confirm"' in html
    assert 'data-bulk-action="pause"' in html and 'data-bulk-action="retry"' not in html
    assert "3 schedules" in html


def test_the_schedules_page_filters_by_status(client, three_schedules):
    html = client.get("/schedules/?status=paused").get_data(as_text=True)

    assert "1 schedule · page 1 of 1<" in html
    assert f'value="{three_schedules[2]}" form="bulk-form"' in html
    assert f'value="{three_schedules[0]}" form="bulk-form"' not in html
    assert '<input type="hidden" name="filter" value="status=paused">' in html


def test_confirming_a_schedule_action_states_the_count_and_changes_nothing(client, three_schedules):
    response = client.post(
        "/schedules/bulk/confirm", data={"action": "pause", "ids": [str(i) for i in three_schedules[:2]]}, headers=HX
    )

    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Pause 2 schedules?" in html
    assert 'action="/schedules/bulk/run"' in html
    assert [_status(Schedule, i) for i in three_schedules] == ["active", "active", "paused"]


def test_running_pauses_what_may_pause_and_says_why_the_rest_were_skipped(client, three_schedules):
    response = client.post(
        "/schedules/bulk/run", data={"action": "pause", "ids": [str(i) for i in three_schedules]}, headers=HX
    )

    html = response.get_data(as_text=True)
    assert "3 matched, 2 changed, 1 skipped" in html
    assert f"#{three_schedules[2]}: This schedule is already paused." in html
    assert {_status(Schedule, i) for i in three_schedules} == {"paused"}


def test_all_matching_the_list_s_filter_is_resolved_on_the_server(client, three_schedules):
    confirm = client.post(
        "/schedules/bulk/confirm", data={"action": "resume", "scope": "all", "filter": "status=paused"}, headers=HX
    )
    run = client.post(
        "/schedules/bulk/run", data={"action": "cancel", "scope": "all", "filter": "status=active"}, headers=HX
    )

    assert "Resume 1 schedule?" in confirm.get_data(as_text=True)
    assert "2 matched, 2 changed, 0 skipped" in run.get_data(as_text=True)
    assert [_status(Schedule, i) for i in three_schedules] == ["cancelled", "cancelled", "paused"]


def test_another_workspace_s_schedules_are_not_matched(client, auth, three_schedules):
    auth.sign_out()
    auth.sign_up("bob@example.test")

    response = client.post(
        "/schedules/bulk/run", data={"action": "cancel", "ids": [str(i) for i in three_schedules]}, headers=HX
    )

    assert "0 matched" in response.get_data(as_text=True)
    assert [_status(Schedule, i) for i in three_schedules] == ["active", "active", "paused"]


@pytest.mark.parametrize(("path", "action"), [("/schedules/bulk/run", "retry"), ("/contents/bulk/run", "pause")])
def test_an_action_the_kind_does_not_have_is_refused(client, three_schedules, path, action):
    assert client.post(path, data={"action": action, "ids": [str(three_schedules[0])]}).status_code == 400
    assert _status(Schedule, three_schedules[0]) == "active"


def test_a_viewer_sees_no_bulk_bar_and_may_not_run_one(client, auth, three_schedules):
    ada = db.session.query(User).filter_by(email="ada@example.test").one()
    db.session.query(Membership).filter_by(user_id=ada.id).one().role = "viewer"
    db.session.commit()

    page = client.get("/schedules/").get_data(as_text=True)
    response = client.post("/schedules/bulk/run", data={"action": "cancel", "ids": [str(three_schedules[0])]})

    assert 'id="bulk-form"' not in page and 'form="bulk-form"' not in page
    assert response.status_code == 403
    assert _status(Schedule, three_schedules[0]) == "active"


# Content.


@pytest.fixture
def drafts(ada, make) -> list[int]:
    return [make.content(ada, title=f"Draft {n}").id for n in range(2)] + [
        make.content(ada, title="In review", status="review").id
    ]


def test_the_content_page_offers_approve_and_archive_with_their_keys(client, drafts):
    html = client.get("/contents/").get_data(as_text=True)

    assert f'name="ids" value="{drafts[0]}" form="bulk-form"' in html
    assert 'data-bulk-action="approve"' in html and "approve <kbd>A</kbd>" in html
    assert 'data-bulk-action="archive"' in html and "archive <kbd>V</kbd>" in html
    assert "data-bulk-rows" in html


def test_the_content_page_filters_by_text_and_status(client, drafts):
    html = client.get("/contents/?q=draft&status=draft").get_data(as_text=True)

    assert "2 content items" in html
    assert f'value="{drafts[2]}" form="bulk-form"' not in html


def test_approving_content_confirms_then_approves_what_is_in_review(client, drafts):
    confirm = client.post("/contents/bulk/confirm", data={"action": "approve", "ids": [str(drafts[2])]}, headers=HX)
    run = client.post("/contents/bulk/run", data={"action": "approve", "ids": [str(i) for i in drafts]}, headers=HX)

    assert "Approve 1 content item?" in confirm.get_data(as_text=True)
    html = run.get_data(as_text=True)
    assert "3 matched, 1 changed, 2 skipped" in html
    assert f"#{drafts[0]}: content is draft; only review content can be approved" in html
    assert [_status(Content, i) for i in drafts] == ["draft", "draft", "approved"]


def test_archiving_everything_matching_the_search(client, drafts):
    response = client.post(
        "/contents/bulk/run", data={"action": "archive", "scope": "all", "filter": "q=draft"}, headers=HX
    )

    assert "2 matched, 2 changed, 0 skipped" in response.get_data(as_text=True)
    assert [_status(Content, i) for i in drafts] == ["archived", "archived", "review"]


def test_a_background_run_s_progress_is_its_own_fragment(app, client, drafts, monkeypatch):
    monkeypatch.setattr(bulk, "INLINE_LIMIT", 1)
    started = client.post(
        "/contents/bulk/run", data={"action": "archive", "ids": [str(i) for i in drafts]}, headers=HX
    ).get_data(as_text=True)
    bulk_id = int(re.search(r'hx-get="/bulk/(\d+)"', started).group(1))

    running = client.get(f"/bulk/{bulk_id}", headers=HX)
    with app.app_context():  # as a worker would: its own context and database session
        jobs.run_bulk_job(bulk_id)
    done = client.get(f"/bulk/{bulk_id}", headers=HX).get_data(as_text=True)

    assert "running in the background" in started and 'hx-trigger="sse:bulk"' in started
    assert "HX-Request" in running.headers["Vary"] and "Archive:</strong> 3 matched, 0 changed" in running.text
    assert "3 matched, 3 changed, 0 skipped" in done and "sse:bulk" not in done
