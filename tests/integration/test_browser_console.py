"""Every main page in Chromium, in both themes: no script or console error, no CSP violation, no failed request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect

from .browser import loaded, sign_in
from .harness import Api, utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# Long enough for the fragments htmx fetches on load (overview, metrics, badge) to answer or fail.
SETTLE_MS = 250
THEME_KEY = "herald-theme"  # static/theme.js


@dataclass(frozen=True)
class Site:
    api: Api
    pages: list[str]


@dataclass
class Trouble:
    """What went wrong on the page being visited, each line prefixed with its page.

    The live stream refused with 429 is kept apart (`refused_streams`): its own test asserts there is none.
    """

    page: str = ""
    found: list[str] = field(default_factory=list)
    refused_streams: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.found.append(f"{self.page}: {what}")

    def stream_refused_here(self) -> bool:
        return bool(self.refused_streams) and self.refused_streams[-1] == self.page


@pytest.fixture(scope="module")
def site(own_user, webhook_channel) -> Site:
    """A user of their own with a channel, a content item and a publication due hours ahead (nothing runs it)."""
    api = own_user("console")
    channel = webhook_channel(api)
    content = api.create("/contents", {"title": "console check", "body": "b", "status": "approved"})
    run_at = utc_text(datetime.now(UTC) + timedelta(hours=5))
    schedule = api.create("/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at})
    (publication,) = schedule["publications"]
    pages = [
        "/",
        "/publications/",
        f"/publications/{publication['id']}",
        "/schedules/",
        "/contents/",
        f"/contents/{content['id']}/edit",
        "/channels/",
        "/calendar/",
        "/analytics/",
        "/templates/",
        "/integrations/",
        "/members/",
        "/settings/",
        "/settings/notifications/",
        "/health",
        "/audit/",
        "/alerts/",
    ]
    return Site(api, pages)


def watch(page: Page, trouble: Trouble) -> None:
    """Record script errors, console errors (CSP violations among them), failed and refused requests."""

    def on_console(message: ConsoleMessage) -> None:
        # A refused stream logs its 429 and then the htmx SSE extension's error event.
        if trouble.stream_refused_here() and ("status of 429" in message.text or message.text == "[object Event]"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            trouble.add(f"console {message.type}: {message.text}")

    def on_failed(request: Request) -> None:
        # Leaving a page aborts what it still had in flight (its live stream, a fragment htmx asked for):
        # that is the browser moving on, not a failure. A server's error shows as a response >= 400 instead.
        if request.failure == "net::ERR_ABORTED":
            return
        trouble.add(f"request failed: {request.method} {request.url} ({request.failure})")

    def on_response(response: Response) -> None:
        if response.status == 429 and urlsplit(response.url).path == "/events":
            trouble.refused_streams.append(trouble.page)
        elif response.status >= 400:
            trouble.add(f"{response.status} for {response.request.method} {response.url}")

    page.on("pageerror", lambda error: trouble.add(f"script error: {error}"))
    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_every_main_page_loads_without_console_errors_or_failed_requests(page: Page, stack, site, theme):
    trouble = visit_every_page(page, stack, site, theme)
    assert not trouble.found, "\n".join(trouble.found)


def test_clicking_through_many_pages_quickly_keeps_the_live_stream(page: Page, stack, site):
    # The tab names itself to /events (static/tab.js): each new page's stream takes over the slot
    # of the page it left, instead of waiting a keep-alive for that stream to notice it is gone.
    trouble = visit_every_page(page, stack, site, "dark")
    assert len(site.pages) > 8  # more than the default cap, within far less than one keep-alive
    assert trouble.refused_streams == []


def visit_every_page(page: Page, stack, site: Site, theme: str) -> Trouble:
    """Sign in with `theme` remembered, open every page of the site in turn, and return what went wrong."""
    page.add_init_script(f"try {{ localStorage.setItem({THEME_KEY!r}, {theme!r}); }} catch (e) {{}}")
    trouble = Trouble("/signin")
    watch(page, trouble)
    sign_in(page, stack, site.api.email)
    for path in site.pages:
        trouble.page = path
        page.goto(path)
        loaded(page)
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        page.wait_for_timeout(SETTLE_MS)
    return trouble
