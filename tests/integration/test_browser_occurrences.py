"""One occurrence of a series in Chromium: skipped, seen skipped in the list and on the calendar, restored."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from .browser import loaded, sign_in
from .harness import parse_utc

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_person_skips_one_occurrence_and_restores_it(page: Page, stack, own_user, webhook_channel):
    api = own_user("occurrences")
    channel = webhook_channel(api)
    title = f"Daily notes {secrets.token_hex(2)}"
    content = api.create("/contents", {"title": title, "body": "b", "status": "approved"})
    # Daily at 09:00 UTC (the user's zone is UTC); the occurrence after the next is the one skipped.
    schedule = api.create(
        "/schedules",
        {"content_id": content["id"], "channel_ids": [channel["id"]], "cron": "0 9 * * *", "timezone": "UTC"},
    )
    listed = api.call("GET", f"/schedules/{schedule['id']}/occurrences?count=3").json()["items"]
    second = parse_utc(listed[1]["original_at"])
    label = f"{second:%a %d %b %H:%M} UTC"

    sign_in(page, stack, api.email)
    page.goto("/schedules/")
    loaded(page)
    page.get_by_role("link", name=f"Occurrences of schedule {schedule['id']}").click()
    expect(page.get_by_role("heading", name=f"occurrences of schedule #{schedule['id']}")).to_be_visible()

    page.get_by_role("button", name=f"Skip the occurrence of {label}").click()

    expect(page.get_by_role("status").filter(has_text=f"Skipped the occurrence of {label}")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("button", name=f"Restore the occurrence of {label}"))
    expect(row).to_contain_text("skipped")
    expect(page.get_by_role("button", name=f"Skip the occurrence of {label}")).to_have_count(0)
    assert api.call("GET", f"/schedules/{schedule['id']}/occurrences?count=3").json()["items"][1]["state"] == "skipped"

    # The calendar's list shows the skipped run at its time.
    page.goto(f"/calendar/?view=list&date={second.date().isoformat()}")
    loaded(page)
    skipped_row = page.get_by_role("row").filter(has_text=title).filter(has_text="occurrence skipped")
    expect(skipped_row).to_contain_text(f"{second:%a %d %b}")

    page.goto(f"/schedules/{schedule['id']}/occurrences")
    page.get_by_role("button", name=f"Restore the occurrence of {label}").click()
    expect(page.get_by_role("status").filter(has_text=f"Restored the occurrence of {label}")).to_be_visible()
    expect(page.get_by_role("button", name=f"Skip the occurrence of {label}")).to_be_visible()
