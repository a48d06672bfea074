"""Bulk actions on the schedules and content lists in Chromium, driven from the keyboard."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from .browser import loaded, sign_in
from .harness import Api, utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]


@dataclass(frozen=True)
class Lists:
    api: Api
    schedules: list[int]
    draft: int
    in_review: int  # written last, so listed first


@pytest.fixture(scope="module")
def lists(own_user, webhook_channel) -> Lists:
    """A user of their own with two schedules (hours ahead), a draft and, newest, an item in review."""
    api = own_user("lists")
    channel = webhook_channel(api)
    made = []
    for hours in (1, 2):
        content = api.create("/contents", {"title": f"later {hours}h", "body": "b", "status": "approved"})
        run_at = utc_text(datetime.now(UTC) + timedelta(hours=hours))
        made.append(
            api.create("/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at})[
                "id"
            ]
        )
    draft = api.create("/contents", {"title": "a draft", "body": "b"})["id"]
    in_review = api.create("/contents", {"title": "for review", "body": "b", "status": "review"})["id"]
    return Lists(api, made, draft, in_review)


def status_of(api: Api, path: str) -> str:
    response = api.call("GET", path)
    assert response.status_code == 200, response.text
    return response.json()["status"]


def go(page: Page, stack, key: str, path: str) -> None:
    page.keyboard.press("g")
    page.keyboard.press(key)
    expect(page).to_have_url(stack.url(path))
    loaded(page)


def test_content_in_review_is_approved_with_j_x_and_a(page: Page, stack, lists):
    sign_in(page, stack, lists.api.email)
    go(page, stack, "c", "/contents/")
    rows = page.locator("[data-bulk-rows] tbody tr")
    expect(rows.first).to_have_attribute("id", f"content-{lists.in_review}")

    page.keyboard.press("j")
    expect(rows.first).to_have_class(re.compile(r"\bcursor\b"))
    page.keyboard.press("x")
    expect(page.get_by_role("checkbox", name=f"Select content {lists.in_review}", exact=True)).to_be_checked()
    page.keyboard.press("A")

    panel = page.get_by_role("region", name="Bulk action")
    expect(panel).to_contain_text("Approve 1 content item?")
    panel.get_by_role("button", name="Confirm: approve 1").click()
    expect(panel).to_contain_text("1 matched, 1 changed, 0 skipped")
    assert status_of(lists.api, f"/contents/{lists.in_review}") == "approved"
    assert status_of(lists.api, f"/contents/{lists.draft}") == "draft"


def test_every_schedule_on_the_page_is_paused_with_the_page_box_and_p(page: Page, stack, lists):
    sign_in(page, stack, lists.api.email)
    go(page, stack, "s", "/schedules/")

    page.get_by_role("checkbox", name="Select every row on this page").check()
    for schedule_id in lists.schedules:
        expect(page.get_by_role("checkbox", name=f"Select schedule {schedule_id}", exact=True)).to_be_checked()
    page.keyboard.press("P")

    panel = page.get_by_role("region", name="Bulk action")
    expect(panel).to_contain_text("Pause 2 schedules?")
    panel.get_by_role("button", name="Confirm: pause 2").click()
    expect(panel).to_contain_text("2 matched, 2 changed, 0 skipped")
    assert {status_of(lists.api, f"/schedules/{i}") for i in lists.schedules} == {"paused"}
