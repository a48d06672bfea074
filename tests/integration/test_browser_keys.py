"""The go-to keys in Chromium: each new page is one `g` and a letter away, and `?` lists the keys."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from .browser import loaded, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]

GOTO = {"t": "/templates/", "i": "/integrations/", "e": "/health", "w": "/members/", "o": "/settings/", "u": "/audit/"}


@pytest.fixture(scope="module")
def email(own_user) -> str:
    return own_user("keys").email


def test_go_to_keys_reach_the_pages_the_help_lists(page: Page, stack, email):
    sign_in(page, stack, email)
    page.keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="keyboard shortcuts")
    for key in GOTO:
        expect(help_dialog.locator(f'[data-goto-key="{key}"]')).to_have_count(1)
    page.keyboard.press("Escape")
    for key, path in GOTO.items():
        page.keyboard.press("g")
        page.keyboard.press(key)
        expect(page).to_have_url(stack.url(path))
        loaded(page)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_keyboard_focus_is_outlined_in_the_theme_s_focus_colour(page: Page, stack, email, theme):
    sign_in(page, stack, email)
    if page.locator("html").get_attribute("data-theme") != theme:
        page.get_by_role("button", name="Switch colour theme").click()
        page.reload()  # remembered; and the focus starts from the top again
        loaded(page)
    page.keyboard.press("Tab")  # the skip link first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    ring = page.evaluate(
        """() => {
          const style = getComputedStyle(document.activeElement);
          const probe = document.createElement("span");
          probe.style.color = "var(--focus)";
          document.body.appendChild(probe);
          const focus = getComputedStyle(probe).color;
          probe.remove();
          return {style: style.outlineStyle, width: style.outlineWidth, color: style.outlineColor, focus: focus};
        }"""
    )
    assert ring["style"] == "solid" and ring["width"] == "2px"
    assert ring["color"] == ring["focus"]
