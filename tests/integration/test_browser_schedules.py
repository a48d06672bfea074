"""Schedules in Chromium: edit a one-time time and a recurring rule, publish now and see it go out, clone a past post.

Everything is found by role and label, against the real web, worker and scheduler processes.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from .browser import collect_page_errors, loaded, sign_in
from .harness import parse_utc, utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def days_ahead(days: int, at: time) -> datetime:
    return datetime.combine(datetime.now(UTC).date() + timedelta(days=days), at, UTC)


def local_input(instant: datetime) -> str:
    """What a person types into a datetime-local field (the user's zone is UTC)."""
    return instant.strftime("%Y-%m-%dT%H:%M:%S")


def sees_it_published(page: Page, api, schedule_id: int, title: str) -> None:
    """The monitor, filtered to the new schedule, shows its row; once the real worker has sent it, it says so."""
    row = page.get_by_role("row").filter(has_text=title)
    expect(row).to_be_visible()
    (publication,) = api.call("GET", f"/publications?schedule_id={schedule_id}").json()["items"]
    assert api.wait_until_final(publication["id"])["status"] == "published"
    # The page redraws live; a post sent before its event stream connected shows on the next load.
    if "published" not in row.inner_text():
        page.reload()
    expect(row).to_contain_text("published")


def test_a_person_edits_schedules_publishes_now_and_clones_a_past_post(page: Page, stack, own_user, webhook_channel):
    api = own_user("schedules")
    channel = webhook_channel(api)
    title = f"Schedule page post {secrets.token_hex(2)}"
    content = api.create("/contents", {"title": title, "body": "b", "status": "approved"})
    first_due = days_ahead(2, time(10, 30))
    once = api.create(
        "/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text(first_due)}
    )
    series = api.create(
        "/schedules",
        {"content_id": content["id"], "channel_ids": [channel["id"]], "cron": "30 9 * * *", "timezone": "UTC"},
    )
    errors = collect_page_errors(page)
    sign_in(page, stack, api.email)

    # A one-time schedule's time, from its row in the list.
    page.goto("/schedules/")
    page.get_by_role("link", name=f"Edit schedule {once['id']}").click()
    loaded(page)
    new_time = days_ahead(3, time(11, 45, 30))
    page.get_by_label("Publish at").fill(local_input(new_time))
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text(f"Schedule #{once['id']} saved")).to_be_visible()
    moved = api.publication(once["publications"][0]["id"])
    assert parse_utc(moved["due_at"]) == new_time and moved["status"] == "scheduled"

    # A recurring schedule's rule, with the live preview of the new rule.
    page.goto("/schedules/")
    page.get_by_role("link", name=f"Edit schedule {series['id']}").click()
    loaded(page)
    expect(page.locator("#cron-preview")).to_contain_text("09:30")  # asked for when the page loads
    page.get_by_label("Cron rule").fill("0 18 * * *")
    expect(page.locator("#cron-preview")).to_contain_text("18:00")
    page.get_by_role("button", name="Save changes").click()

    expect(page.get_by_text(f"Schedule #{series['id']} saved")).to_be_visible()
    saved = api.call("GET", f"/schedules/{series['id']}").json()
    assert saved["cron"] == "0 18 * * *"
    assert parse_utc(saved["next_run_at"]).time() == time(18, 0)
    assert parse_utc(saved["publications"][0]["due_at"]) == parse_utc(saved["next_run_at"])

    # Publish now from the content item, and watch it go out on the monitor.
    page.goto(f"/contents/{content['id']}/edit")
    loaded(page)
    publish = page.get_by_role("form", name="Publish now")
    publish.get_by_label(f"Publish now on {channel['name']}", exact=True).check()
    publish.get_by_role("button", name="Publish now").click()

    expect(page.get_by_text("Publishing now on 1 channel(s).")).to_be_visible()
    now_schedule_id = int(re.search(r"schedule(?::|%3A)(\d+)", page.url).group(1))
    sees_it_published(page, api, now_schedule_id, title)

    # Publish now from a schedule's page: its channels are ticked already.
    page.goto(f"/schedules/{series['id']}/edit")
    loaded(page)
    publish = page.get_by_role("form", name="Publish now")
    expect(publish.get_by_label(f"Publish now on {channel['name']}", exact=True)).to_be_checked()
    publish.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Publishing now on 1 channel(s).")).to_be_visible()
    sees_it_published(page, api, int(re.search(r"schedule(?::|%3A)(\d+)", page.url).group(1)), title)

    # Clone the published (past) one-time post: the form is filled but for the time, which the person sets.
    page.goto("/schedules/")
    page.get_by_role("link", name=f"Clone schedule {now_schedule_id}").click()
    loaded(page)
    expect(page.get_by_text("The original's time has passed: set a new time.")).to_be_visible()
    expect(page.get_by_label("Publish at")).to_have_value("")
    expect(page.get_by_label("Content", exact=True)).to_have_value(str(content["id"]))
    clone_time = days_ahead(4, time(8, 15))
    page.get_by_label("Publish at").fill(local_input(clone_time))
    page.get_by_role("button", name="Create the copy").click()

    expect(page.get_by_text(f"Schedule #{now_schedule_id} cloned as #")).to_be_visible()
    copy_id = int(re.search(r"/schedules/(\d+)/edit", page.url).group(1))
    copy = api.call("GET", f"/schedules/{copy_id}").json()
    assert copy_id != now_schedule_id and parse_utc(copy["run_at"]) == clone_time
    assert copy["channel_ids"] == [channel["id"]] and copy["publications"][0]["status"] == "scheduled"
    assert errors == []
