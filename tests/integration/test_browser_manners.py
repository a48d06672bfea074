"""Issue 17 in Chromium: an arranged dashboard survives a reload, the theme follows the system until one is
picked, shortcuts turned off stay off, a double-clicked submit posts once, and /api/docs shows the API reference
with no CSP violation."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from .browser import collect_page_errors, loaded, sign_in
from .harness import PASSWORD

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def panel_ids(page: Page) -> list[str]:
    return page.locator("#dashboard-panels [data-panel]").evaluate_all("els => els.map(e => e.dataset.panel)")


def test_a_collapsed_moved_panel_stays_so_after_a_reload(page: Page, stack, own_user):
    api = own_user("layout")
    errors = collect_page_errors(page)
    sign_in(page, stack, api.email)
    assert panel_ids(page) == ["metrics", "overview", "publications"]

    page.get_by_role("button", name="collapse: metrics").click()
    expect(page.locator("#panel-metrics-body")).to_be_hidden()
    expect(page.get_by_role("button", name="expand: metrics")).to_be_focused()  # the focus follows the swap
    handle = page.locator("#panel-publications [data-panel-handle]")
    handle.focus()
    page.keyboard.press("Alt+ArrowUp")
    expect(page.locator("#dashboard-panels [data-panel]").first).to_have_attribute("data-panel", "metrics")
    expect(page.locator("#dashboard-panels [data-panel]").nth(1)).to_have_attribute("data-panel", "publications")
    expect(page.locator("#panel-publications [data-panel-handle]")).to_be_focused()  # the keyboard stays put

    page.reload()
    loaded(page)

    assert panel_ids(page) == ["metrics", "publications", "overview"]
    expect(page.locator("#panel-metrics-body")).to_be_hidden()
    expect(page.get_by_role("button", name="expand: metrics")).to_have_attribute("aria-expanded", "false")
    assert errors == []


def test_a_panel_dragged_by_its_header_moves_and_stays(page: Page, stack, own_user):
    api = own_user("drag")
    sign_in(page, stack, api.email)

    # The drop reorders the page at once and saves the order with a POST: reload only once that has answered.
    with page.expect_response(lambda r: r.url.endswith("/dashboard/layout") and r.request.method == "POST"):
        page.locator("#panel-publications [data-panel-handle]").drag_to(
            page.locator("#panel-metrics [data-panel-handle]"), target_position={"x": 5, "y": 2}
        )
    expect(page.locator("#dashboard-panels [data-panel]").first).to_have_attribute("data-panel", "publications")

    page.reload()
    loaded(page)
    assert panel_ids(page)[0] == "publications"


def test_with_a_light_system_preference_and_no_saved_choice_the_light_theme_shows(page: Page, stack):
    page.emulate_media(color_scheme="light")
    page.goto("/signin")
    expect(page.locator("html")).to_have_attribute("data-theme", "light")

    page.emulate_media(color_scheme="dark")  # followed live until the user picks one
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    page.get_by_role("button", name="Switch colour theme").click()
    page.emulate_media(color_scheme="dark")
    page.reload()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")  # the pick wins over the system


def test_with_shortcuts_off_g_d_does_nothing(page: Page, stack, own_user):
    api = own_user("nokeys")
    sign_in(page, stack, api.email)
    page.goto("/settings/")
    loaded(page)
    page.get_by_label("Single-key shortcuts").uncheck()
    page.get_by_role("button", name="Save shortcuts setting").click()
    expect(page.locator("body")).to_have_attribute("data-shortcuts", "off")

    page.keyboard.press("g")
    page.keyboard.press("d")
    page.keyboard.press("?")

    page.wait_for_timeout(500)
    assert page.url == stack.url("/settings/")
    expect(page.get_by_role("dialog", name="keyboard shortcuts")).to_be_hidden()


def test_a_double_clicked_submit_posts_once(page: Page, stack, own_user):
    api = own_user("dblclick")
    sign_in(page, stack, api.email)
    page.goto("/contents/")
    loaded(page)
    title = f"once {secrets.token_hex(3)}"
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_label("Body", exact=True).fill("Sent once, however often the button is pressed.")

    page.get_by_role("button", name="Save content").dblclick()

    expect(page.get_by_role("cell", name=title, exact=True)).to_be_visible()
    page.wait_for_timeout(500)
    items = api.call("GET", "/contents", params={"q": title}).json()["items"]
    assert len(items) == 1


def test_the_api_reference_shows_the_operations_with_no_csp_violation(page: Page, stack):
    errors = collect_page_errors(page)

    page.goto("/api/docs")

    expect(page.get_by_text("Schedule content", exact=True).first).to_be_visible(timeout=15_000)
    expect(page.get_by_text("/me/dashboard-layout").first).to_be_visible()
    page.get_by_text("Schedule content", exact=True).first.click()  # open one: its schema and responses render
    expect(page.get_by_text("ScheduleCreate").first).to_be_visible()
    page.wait_for_timeout(300)
    assert errors == []


@pytest.mark.browser_context_args(timezone_id="Asia/Tokyo")
def test_the_sign_up_form_proposes_the_browser_s_timezone_and_keeps_what_was_sent(page: Page, stack):
    page.goto("/signup")
    expect(page.locator("input[name=timezone]")).to_have_value("Asia/Tokyo")

    # Shown again after an error, the form keeps the zone the person sent, not the browser's.
    page.fill("input[name=email]", "not-an-address")
    page.fill("input[name=timezone]", "Europe/Lisbon")
    page.fill("input[name=password]", "x")
    page.locator("form[action$='/signup'] button[type=submit]").click()
    loaded(page)
    expect(page.locator("input[name=timezone]")).to_have_value("Europe/Lisbon")


@pytest.mark.browser_context_args(locale="de-DE")
def test_a_german_browser_gets_the_sign_in_page_and_the_dashboard_in_german(page: Page, stack, own_user):
    api = own_user("deutsch")  # no language chosen: the browser's Accept-Language decides
    page.goto("/signin")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_label("E-Mail", exact=True).fill(api.email)
    page.get_by_label("Passwort", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(stack.url("/"))
    loaded(page)

    expect(page.get_by_role("heading", name="Kennzahlen")).to_be_visible()
    expect(page.get_by_role("heading", name="anstehend und kürzlich")).to_be_visible()
