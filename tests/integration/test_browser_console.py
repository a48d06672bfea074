"""Every page of the URL map in Chromium, in both themes, and the dashboard's live refresh: no script or console
error, no Content Security Policy violation, no failed or refused request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import APIResponse, ConsoleMessage, Page, Request, Response, expect

from tests.media_files import image_bytes
from tests.web.url_map import page_paths

from .browser import loaded, sign_in
from .harness import Api, utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]

# Once htmx has no request in flight: long enough for a swapped fragment's scripts and styles to run or fail.
SETTLE_MS = 50
THEME_KEY = "herald-theme"  # static/theme.js
# A violation the page's own handlers might swallow is kept on the window until the walk reads it; the stream's
# opening is kept too, so a live test acts only once its page listens.
WATCH_SCRIPT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.violatedDirective} refused ${e.blockedURI || "inline code"} at ${e.sourceFile || "the page"}:${e.lineNumber}`));
document.addEventListener("htmx:sseOpen", () => { window.__heraldLive = true; });
"""
# A body with what the previews must show within the CSP: an aligned table (CommonMark writes its alignment as
# inline style), an image of the content's own.
BODY = "Figures:\n\n| kind | count |\n|:-----|------:|\n| posts | 3 |\n"
BLOG = {
    "name": "blog",
    "platform": "wordpress",
    "settings": {"url": "https://wp.example.com"},
    "credentials": {"username": "ada", "app_password": "abcd efgh"},
}
# The walk must reach at least these (a URL map walk that quietly skipped them would prove nothing).
MAIN_PAGES = {
    "/",
    "/publications/",
    "/schedules/",
    "/contents/",
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
}


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
def site(own_user, webhook_channel, receiver, _session_app) -> Site:
    """A user of their own with a record of each kind a page is about, and every page of the URL map for them.

    Two channels (a webhook, a blog), approved content with an aligned table and an image, a publication due hours
    ahead (nothing runs it), a template and an outbound webhook: each id fills the URL map's variables of that name
    (a bulk run's page has none to show).
    """
    api = own_user("console")
    channel = webhook_channel(api)
    api.create("/channels", BLOG)  # its preview shows the body as HTML (never called: nothing is due on it)
    content = api.create("/contents", {"title": "console check", "body": BODY, "status": "approved"})
    image = api.call(
        "POST",
        f"/contents/{content['id']}/media",
        files={"file": ("red.png", image_bytes(), "image/png")},
        data={"alt_text": "A red square"},
    )
    assert image.status_code == 201, image.text
    run_at = utc_text(datetime.now(UTC) + timedelta(hours=5))
    schedule = api.create("/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at})
    api.create("/templates", {"content_id": content["id"], "name": "console template"})
    hook = api.create("/webhooks", {"url": receiver.hook(), "events": ["publication.published"]})
    ids = {
        "channel_id": channel["id"],
        "content_id": content["id"],
        "media_id": image.json()["id"],
        "schedule_id": schedule["id"],
        "publication_id": schedule["publications"][0]["id"],
        "subscription_id": hook["id"],
    }
    return Site(api, page_paths(_session_app, ids))


def watch(page: Page, trouble: Trouble) -> None:
    """Record script errors, console errors (CSP violations among them), failed and refused requests."""

    def on_console(message: ConsoleMessage) -> None:
        # A refused stream logs its 429 and then the htmx SSE extension's error event.
        if trouble.stream_refused_here() and ("status of 429" in message.text or message.text == "[object Event]"):
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            source = message.location.get("url") or "the page"
            trouble.add(f"console {message.type} from {source}: {message.text}")

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

    page.add_init_script(WATCH_SCRIPT)
    page.on("pageerror", lambda error: trouble.add(f"script error: {error}"))
    page.on("console", on_console)
    page.on("requestfailed", on_failed)
    page.on("response", on_response)


def settle(page: Page, trouble: Trouble) -> None:
    """Wait for the page's htmx requests to answer and swap, then record the CSP violations it met."""
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    page.wait_for_timeout(SETTLE_MS)
    for violation in page.evaluate("() => (window.__cspViolations || []).splice(0)"):
        trouble.add(f"CSP violation: {violation}")


def test_every_page_of_the_url_map_in_both_themes_has_a_quiet_console_and_keeps_the_live_stream(
    page: Page, stack, site
):
    trouble, visited = visit_every_page(page, stack, site)

    assert not trouble.found, "\n".join(trouble.found)
    assert set(visited) >= MAIN_PAGES, f"visited {visited}"
    # The tab names itself to /events (static/tab.js): each new page's stream takes over the slot of the page it
    # left, instead of waiting a keep-alive for that stream to notice it is gone.
    assert len(visited) > 8  # more than the default cap, within far less than one keep-alive
    assert trouble.refused_streams == []


def test_the_dashboard_redraws_live_from_a_burst_of_events_with_a_quiet_console(
    page: Page, stack, site, webhook_channel
):
    # One schedule on three channels announces three publications at once: each of the dashboard's live parts
    # hears three events while its first refresh is still in flight. A later one must not abort the earlier
    # (htmx logs every aborted request as an error), and the last must still be fetched, after the changes.
    api = site.api
    channels = [webhook_channel(api)["id"] for _ in range(3)]
    content = api.create("/contents", {"title": "burst of three", "body": "b", "status": "approved"})
    trouble = Trouble("/signin")
    watch(page, trouble)
    sign_in(page, stack, api.email)
    trouble.page = "/"
    page.wait_for_function("() => window.__heraldLive === true")
    pending = int(page.locator('[data-metric="pending"]').inner_text())
    settle(page, trouble)

    run_at = utc_text(datetime.now(UTC) + timedelta(hours=6))
    api.create("/schedules", {"content_id": content["id"], "channel_ids": channels, "run_at": run_at})

    expect(page.locator('[data-metric="pending"]')).to_have_text(str(pending + 3))
    expect(page.locator("#publications tr", has_text="burst of three")).to_have_count(3)
    settle(page, trouble)
    assert not trouble.found, "\n".join(trouble.found)


def kind_of(answer: APIResponse, path: str, trouble: Trouble) -> str | None:
    """Say what the browser shows for `path`: a `page`, a `document` of its own (an image, JSON, text), or nothing
    worth opening (None): a download, a fragment for htmx, a redirect to a page seen on its own, an error."""
    if answer.status >= 500:
        trouble.add(f"{answer.status} for GET {path}")
    if answer.status != 200 or urlsplit(answer.url).path != path:
        return None  # signed in, /signin goes to the dashboard; the export wants its kind and format
    if "attachment" in answer.headers.get("content-disposition", ""):
        return None
    if not answer.headers.get("content-type", "").startswith("text/html"):
        return "document"
    return "page" if "<html" in answer.text()[:200] else None


def visit_every_page(page: Page, stack, site: Site) -> tuple[Trouble, list[str]]:
    """Sign in, open every page of the site in turn, in one theme and then the other; return what went wrong and
    the pages seen.

    The light theme comes from the page's own toggle (no second load: half the time of a walk per theme).
    """
    page.add_init_script(f"try {{ localStorage.setItem({THEME_KEY!r}, 'dark'); }} catch (e) {{}}")  # every page
    trouble = Trouble("/signin")
    watch(page, trouble)
    sign_in(page, stack, site.api.email)
    visited = []
    for path in site.pages:
        trouble.page = path
        kind = kind_of(page.request.get(path), path, trouble)
        if kind is None:
            continue
        page.goto(path)
        loaded(page)
        settle(page, trouble)
        if kind == "page" and page.locator("#theme-toggle").count():  # not on Swagger UI's own page (/api/docs)
            page.locator("#theme-toggle").click()
            expect(page.locator("html")).to_have_attribute("data-theme", "light")
            settle(page, trouble)
        visited.append(path)
    return trouble, visited
