"""The calendar in Chromium: drag a publication to another day, then move it again with the keyboard alone."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from .browser import assert_not_reloaded, loaded, mark_page, sign_in
from .harness import parse_utc, utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def a_weekday_ahead() -> date:
    """A Monday-to-Thursday at least two days ahead: the two days after it are in the same week row."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    while day.weekday() > 3:
        day += timedelta(days=1)
    return day


def cell(page: Page, day: date):
    return page.locator(f'#calendar td.cal-day[data-date="{day.isoformat()}"]')


def test_a_publication_moves_by_drag_and_drop_and_by_keyboard(page: Page, stack, own_user, webhook_channel):
    api = own_user("calendar")
    channel = webhook_channel(api, rules={"daily_limit": 1})
    title = f"Calendar post {secrets.token_hex(2)}"
    content = api.create("/contents", {"title": title, "body": "b", "status": "approved"})
    day = a_weekday_ahead()
    due = datetime.combine(day, time(10, 30), UTC)  # the user's zone is UTC
    schedule = api.create(
        "/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text(due)}
    )
    (publication,) = schedule["publications"]
    blocker = api.create("/contents", {"title": f"Blocker {secrets.token_hex(2)}", "body": "b", "status": "approved"})
    api.create(
        "/schedules",
        {
            "content_id": blocker["id"],
            "channel_ids": [channel["id"]],
            "run_at": utc_text(due + timedelta(days=3, hours=-1)),
        },
    )

    sign_in(page, stack, api.email)
    page.goto(f"/calendar/?view=month&date={day.isoformat()}")
    loaded(page)
    mark_page(page)
    item = cell(page, day).locator(".cal-item", has_text=title)
    expect(item).to_be_visible()

    item.drag_to(cell(page, day + timedelta(days=1)))

    expect(page.locator("#calendar-feedback")).to_contain_text(f"Moved publication #{publication['id']}")
    moved = cell(page, day + timedelta(days=1)).locator(".cal-item", has_text=title)
    expect(moved).to_be_visible()  # redrawn without a reload
    expect(cell(page, day).locator(".cal-item", has_text=title)).to_have_count(0)
    assert parse_utc(api.publication(publication["id"])["due_at"]) == due + timedelta(days=1)
    assert_not_reloaded(page)

    moved.locator("a").focus()
    page.keyboard.press("m")
    expect(page.locator("#cal-announce")).to_contain_text("Moving")
    expect(cell(page, day + timedelta(days=1))).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(cell(page, day + timedelta(days=2))).to_be_focused()
    page.keyboard.press("Enter")

    expect(cell(page, day + timedelta(days=2)).locator(".cal-item", has_text=title)).to_be_visible()
    assert parse_utc(api.publication(publication["id"])["due_at"]) == due + timedelta(days=2)
    expect(cell(page, day + timedelta(days=2))).to_be_focused()  # the redraw keeps the keyboard's place
    assert_not_reloaded(page)

    # The day after holds the channel's one post a day: refused, with the clash and a free slot to take.
    cell(page, day + timedelta(days=2)).locator(".cal-item", has_text=title).drag_to(
        cell(page, day + timedelta(days=3))
    )
    feedback = page.locator("#calendar-feedback")
    expect(feedback).to_contain_text(f"Publication #{publication['id']} was not moved")
    expect(feedback).to_contain_text("the day's limit of 1 is reached")
    assert parse_utc(api.publication(publication["id"])["due_at"]) == due + timedelta(days=2)
    feedback.get_by_role("button", name="move to").first.click()
    expect(feedback).to_contain_text(f"Moved publication #{publication['id']}")
    assert parse_utc(api.publication(publication["id"])["due_at"]) >= datetime.combine(
        day + timedelta(days=4), time(), UTC
    )
    assert_not_reloaded(page)

    cell(page, day + timedelta(days=2)).focus()
    page.keyboard.press("ArrowLeft")
    expect(cell(page, day + timedelta(days=1))).to_be_focused()
    page.keyboard.press("Enter")  # nothing picked up: Enter opens the day
    expect(page).to_have_url(stack.url(f"/calendar/?view=day&date={(day + timedelta(days=1)).isoformat()}"))
    expect(page.get_by_role("heading", name=(day + timedelta(days=1)).strftime("%A %d %B %Y"))).to_be_visible()
