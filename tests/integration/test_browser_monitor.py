"""The job monitor in Chromium: bulk pause/resume, a filter and Back, and the keyboard shortcuts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from .browser import assert_not_reloaded, loaded, mark_page, sign_in
from .harness import Api, utc_text
from .test_browser import nav

pytestmark = [pytest.mark.integration, pytest.mark.browser]

SCHEDULED = 3  # publications due hours ahead: nothing publishes them while the tests run


@dataclass(frozen=True)
class Monitor:
    api: Api
    scheduled: list[int]  # latest due first, as the monitor lists them
    published: int

    @property
    def total(self) -> int:
        return len(self.scheduled) + 1


@pytest.fixture(scope="module")
def monitor(own_user, webhook_channel) -> Iterator[Monitor]:
    """A user of their own (so other tests' rows never show up) with 3 scheduled and 1 published publication."""
    api = own_user("monitor")
    channel = webhook_channel(api)
    scheduled = []
    for hours in range(1, SCHEDULED + 1):
        content = api.create("/contents", {"title": f"later {hours}h", "body": "b", "status": "approved"})
        run_at = utc_text(datetime.now(UTC) + timedelta(hours=hours))
        schedule = api.create(
            "/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at}
        )
        (publication,) = schedule["publications"]
        scheduled.append(publication["id"])
    content = api.create("/contents", {"title": "right now", "body": "b", "status": "approved"})
    (published,) = api.create("/publish-now", {"content_id": content["id"], "channel_ids": [channel["id"]]})["items"]
    assert api.wait_until_final(published["id"])["status"] == "published"
    yield Monitor(api, scheduled[::-1], published["id"])


def open_monitor(page: Page, stack) -> None:
    nav(page, "publications")
    expect(page).to_have_url(stack.url("/publications/"))
    loaded(page)


def results_count(page: Page):
    return page.get_by_role("region", name="Publications").get_by_text(re.compile(r"^\d+ publications? · page"))


def bulk(page: Page, action: str, count: int) -> None:
    """Click an action in the bulk bar, check the confirm step, confirm, and see every selected row change."""
    page.get_by_role("button", name=re.compile(rf"^{action}\b")).click()
    panel = page.get_by_role("region", name="Bulk action")
    expect(panel).to_contain_text(f"{action.capitalize()} {count} publications?")
    panel.get_by_role("button", name=f"Confirm: {action} {count}").click()
    expect(panel).to_contain_text(f"{count} changed, 0 skipped")


def test_bulk_pause_then_resume_updates_the_rows_live(page: Page, stack, monitor):
    first, second = monitor.scheduled[:2]
    untouched = monitor.scheduled[2]
    sign_in(page, stack, monitor.api.email)
    open_monitor(page, stack)
    mark_page(page)
    for pid in (first, second):
        expect(page.locator(f"#publication-{pid}")).to_have_attribute("data-status", "scheduled")

    for pid in (first, second):
        page.get_by_role("checkbox", name=f"Select publication {pid}", exact=True).check()
    bulk(page, "pause", 2)
    for pid in (first, second):  # the SSE event redraws the rows; nobody reloads
        expect(page.locator(f"#publication-{pid}")).to_have_attribute("data-status", "paused")
        expect(page.locator(f"#publication-{pid} .status")).to_have_text("paused")
    expect(page.locator(f"#publication-{untouched}")).to_have_attribute("data-status", "scheduled")

    for pid in (first, second):  # ticked still (hx-preserve) or ticked again: either way, ticked
        page.get_by_role("checkbox", name=f"Select publication {pid}", exact=True).check()
    bulk(page, "resume", 2)
    for pid in (first, second):
        expect(page.locator(f"#publication-{pid}")).to_have_attribute("data-status", "scheduled")
    assert_not_reloaded(page)
    assert {monitor.api.publication(pid)["status"] for pid in (first, second)} == {"scheduled"}


def test_a_filter_narrows_the_results_in_place_and_back_undoes_it(page: Page, stack, monitor):
    sign_in(page, stack, monitor.api.email)
    open_monitor(page, stack)
    expect(results_count(page)).to_have_text(re.compile(rf"^{monitor.total} publications"))
    mark_page(page)

    page.get_by_label("Status", exact=True).select_option("published")
    expect(page).to_have_url(re.compile(r"/publications/\?.*\bstatus=published\b"))
    expect(results_count(page)).to_have_text(re.compile(r"^1 publication "))
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator(f"#publication-{monitor.published}")).to_be_visible()
    assert_not_reloaded(page)

    page.go_back()
    expect(page).to_have_url(stack.url("/publications/"))
    expect(page.get_by_label("Status", exact=True)).to_have_value("")
    expect(results_count(page)).to_have_text(re.compile(rf"^{monitor.total} publications"))
    expect(page.locator("#results tbody tr")).to_have_count(monitor.total)
    assert_not_reloaded(page)  # htmx restored the page from its history cache

    page.get_by_label("Search", exact=True).press_sequentially("status:scheduled")  # typed: keyup searches
    expect(page).to_have_url(re.compile(r"/publications/\?q=status%3Ascheduled\b"))
    expect(page.locator("#results tbody tr")).to_have_count(len(monitor.scheduled))
    expect(page.locator(f"#publication-{monitor.published}")).to_have_count(0)


def test_keyboard_shortcuts_help_go_to_search_and_select(page: Page, stack, monitor):
    sign_in(page, stack, monitor.api.email)
    help_dialog = page.get_by_role("dialog", name="keyboard shortcuts")

    page.keyboard.press("?")
    expect(help_dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    page.keyboard.press("g")
    page.keyboard.press("p")
    expect(page).to_have_url(stack.url("/publications/"))
    loaded(page)
    rows = page.locator("#results tbody tr")
    expect(rows).to_have_count(monitor.total)

    page.keyboard.press("j")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcursor\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcursor\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bcursor\b"))
    page.keyboard.press("x")
    expect(rows.nth(1).get_by_role("checkbox")).to_be_checked()
    expect(rows.nth(0).get_by_role("checkbox")).not_to_be_checked()
    page.keyboard.press("k")
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcursor\b"))

    page.keyboard.press("/")
    expect(page.get_by_label("Search", exact=True)).to_be_focused()
    page.keyboard.press("j")  # typed into the search box, not a shortcut
    expect(page.get_by_label("Search", exact=True)).to_have_value("j")
