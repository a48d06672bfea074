"""What the browser tests do alike: sign in, wait for the page's scripts, notice a reload, collect page errors."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from .harness import PASSWORD


def sign_in(page: Page, stack, email: str) -> None:
    """Sign in through the form and wait for the dashboard's scripts."""
    page.goto("/signin")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(stack.url("/"))
    loaded(page)


def loaded(page: Page) -> None:
    """Wait for the deferred scripts (keys.js, htmx): a key pressed or a filter changed before them does nothing."""
    page.wait_for_load_state("load")


def mark_page(page: Page) -> None:
    """Set a flag a full reload or navigation would wipe; `assert_not_reloaded` checks it."""
    page.evaluate("() => { window.__heraldNotReloaded = true; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__heraldNotReloaded") is True


def collect_page_errors(page: Page) -> list[str]:
    """Return a list that fills with the page's script errors and Content Security Policy violations."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console", lambda message: errors.append(message.text) if "Content Security Policy" in message.text else None
    )
    return errors
