"""A person in Chromium: sign up, add a channel, write, schedule, and watch it publish live."""

from __future__ import annotations

import re
import secrets
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, Route, expect

from .harness import PASSWORD, utc_text, whole_seconds_ahead

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCREENSHOT = "/tmp/herald-dashboard.png"
USER_TIMEZONE = "Asia/Kolkata"  # not UTC, so a wall time read in the wrong zone would be hours off
LEAD_S = 9
PUBLISH_TAKES_S = 0.6  # the slow channel's receiver answers this long after a request arrives


def wall_time_ahead(tz_name: str, seconds: int) -> str:
    """The datetime-local value for `seconds` from now in tz_name (Chromium drops a `:00` second)."""
    local = (datetime.now(ZoneInfo(tz_name)) + timedelta(seconds=seconds)).replace(microsecond=0)
    return local.strftime("%Y-%m-%dT%H:%M" if local.second == 0 else "%Y-%m-%dT%H:%M:%S")


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()


def test_a_new_user_schedules_a_post_and_sees_it_published_without_reloading(page: Page, stack, receiver):
    title = f"Hello from the browser {secrets.token_hex(2)}"
    channel_name = f"my site {secrets.token_hex(2)}"
    hook = receiver.hook()

    page.goto("/signup")
    page.get_by_label("Email", exact=True).fill(f"browser-{secrets.token_hex(3)}@example.test")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Timezone", exact=True).fill(USER_TIMEZONE)
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(stack.url("/"))

    nav(page, "channels")
    page.get_by_label("Name", exact=True).fill(channel_name)
    page.get_by_label("Webhook URL", exact=True).fill(hook)
    page.get_by_label("Signing secret", exact=True).fill(secrets.token_urlsafe(16))
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("cell", name=channel_name, exact=True)).to_be_visible()

    nav(page, "content")
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Body", exact=True).fill("Written, scheduled and published by a browser.")
    page.get_by_label("Status", exact=True).select_option("approved")
    page.get_by_role("button", name="Save content").click()
    expect(page.get_by_role("cell", name=title, exact=True)).to_be_visible()

    nav(page, "schedules")
    page.get_by_label("Content", exact=True).select_option(label=title)
    page.get_by_role("checkbox", name=f"{channel_name} (webhook)").check()
    timezone = page.get_by_label("Timezone", exact=True).input_value()
    assert timezone == USER_TIMEZONE  # the form defaults to the profile's zone and shows it
    page.get_by_label("Publish at", exact=True).fill(wall_time_ahead(timezone, LEAD_S))
    page.get_by_label("Priority", exact=True).select_option("high")
    page.get_by_role("button", name="Schedule", exact=True).click()

    expect(page).to_have_url(stack.url("/"))
    expect(page.get_by_role("heading", name="dashboard")).to_be_visible()
    page.evaluate("() => { window.__heraldNotReloaded = true; }")
    headers = page.get_by_role("columnheader").all_inner_texts()
    row = page.get_by_role("row").filter(has_text=title)
    status = row.get_by_role("cell").nth(headers.index("status"))
    expect(status).to_have_text("scheduled")

    expect(status).to_have_text("published", timeout=40_000)

    assert page.evaluate("() => window.__heraldNotReloaded") is True
    expect(row.get_by_role("cell").nth(headers.index("lateness"))).to_have_text(re.compile(r"^\d+ ms$"))
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert len(receiver.deliveries_to(hook)) == 1


def test_the_colour_theme_switch_toggles_and_survives_a_reload(page: Page, stack):
    page.goto("/signin")
    html = page.locator("html")
    before = html.get_attribute("data-theme")
    after = "light" if before == "dark" else "dark"

    page.get_by_role("button", name="Switch colour theme").click()
    expect(html).to_have_attribute("data-theme", after)
    page.reload()

    expect(html).to_have_attribute("data-theme", after)


def test_the_dashboard_shows_the_final_status_even_when_a_refresh_is_slow(page: Page, stack, api_user, receiver):
    channel = api_user.create(
        "/channels",
        {
            "name": f"slow {secrets.token_hex(2)}",
            "platform": "webhook",
            "settings": {"url": receiver.hook(delay=PUBLISH_TAKES_S)},
            "credentials": {"secret": "s3cret-s3cret"},
        },
    )
    content = api_user.create(
        "/contents", {"title": f"slow refresh {secrets.token_hex(2)}", "body": "b", "status": "approved"}
    )
    page.goto("/signin")
    page.get_by_label("Email", exact=True).fill(api_user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(stack.url("/"))

    def answer_late(route: Route) -> None:
        # The server reads the rows now, mid-publish; the browser gets them only after the publish
        # has finished, as from a busy server. The `published` event arrives in between.
        response = route.fetch()
        time.sleep(2 * PUBLISH_TAKES_S)
        route.fulfill(response=response)

    page.route("**/dashboard/publications*", answer_late)
    api_user.create(
        "/schedules",
        {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": utc_text(whole_seconds_ahead(3))},
    )
    row = page.get_by_role("row").filter(has_text=content["title"])

    expect(row).to_contain_text("published", timeout=10_000)
