"""The calendar updates live: a publication scheduled or paused elsewhere (here, through the API) shows at once."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect

from .browser import assert_not_reloaded, loaded, mark_page, sign_in
from .harness import utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_a_publication_scheduled_and_paused_elsewhere_appears_without_a_reload(
    page: Page, stack, own_user, webhook_channel
):
    api = own_user("calendar-live")
    channel = webhook_channel(api)
    title = f"Live post {secrets.token_hex(2)}"
    content = api.create("/contents", {"title": title, "body": "b", "status": "approved"})
    day = datetime.now(UTC).date() + timedelta(days=3)
    sign_in(page, stack, api.email)
    page.goto(f"/calendar/?view=month&date={day.isoformat()}")
    loaded(page)
    mark_page(page)
    day_cell = page.locator(f'#calendar td.cal-day[data-date="{day.isoformat()}"]')
    expect(day_cell.locator(".cal-item", has_text=title)).to_have_count(0)

    schedule = api.create(
        "/schedules",
        {
            "content_id": content["id"],
            "channel_ids": [channel["id"]],
            "run_at": utc_text(datetime.combine(day, time(11, 15), UTC)),
        },
    )

    item = day_cell.locator(".cal-item", has_text=title)
    expect(item).to_be_visible()
    expect(item).to_have_class("cal-item status-scheduled")

    paused = api.call("POST", f"/schedules/{schedule['id']}/pause")
    assert paused.status_code == 200, paused.text

    expect(day_cell.locator(".cal-item", has_text=title)).to_have_class("cal-item status-paused")
    assert_not_reloaded(page)
