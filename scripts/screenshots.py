"""Regenerate docs/screenshots/<page>-<theme>.png: Herald's main pages, dark and light, at 1280x800.

Run from the repository root with the project's venv (Debian's Chromium; Playwright never downloads a browser here):

    .venv/bin/python scripts/screenshots.py

It starts a stack of its own (web, worker and scheduler on a temporary SQLite database and a private
redis-server, through the integration tests' harness), seeds one user with channels, contents, schedules
and publications in varied statuses, photographs each page in both themes, and stops everything again.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from playwright.sync_api import Page, sync_playwright  # noqa: E402

from tests.integration.harness import PASSWORD, Api, IsolatedStack, utc_text  # noqa: E402
from tests.served import answer_json  # noqa: E402

OUT = REPO / "docs" / "screenshots"
VIEWPORT = {"width": 1280, "height": 800}
EMAIL = "editor@example.test"
CHROMIUM = "/usr/bin/chromium"  # Debian's; Playwright's own browser download is refused here
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
THEMES = ("dark", "light")  # dark is the default; light is what the header's theme toggle switches to
FULL_PAGE = {"editor"}  # its previews sit below the variants: photograph the whole page, not the first screen


class Peer:
    """The platforms the seeded channels post to: `/ok` publishes, `/reject` refuses (422), `/revoked` 401s."""

    def __init__(self) -> None:
        self.count = 0
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                peer.count += 1
                n = peer.count
                status, body = {
                    "/ok": (200, {"id": f"post-{n}", "url": f"https://blog.example.test/posts/{n}"}),
                    "/reject": (422, {"error": "excerpt is longer than 160 characters"}),
                    "/revoked": (401, {"error": "token revoked"}),
                }.get(self.path, (404, {"error": "no such hook"}))
                answer_json(self, status, body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self.base = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextlib.contextmanager
    def running(self) -> Iterator[Peer]:
        self._thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()


def seed(api: Api, peer: Peer) -> dict[str, int]:
    """Create channels, contents, schedules and publications; return the ids the pages need."""

    def channel(name: str, path: str) -> dict:
        settings = {"url": peer.base + path}
        body = {"name": name, "platform": "webhook", "settings": settings, "credentials": {"secret": "s3cret-s3cret"}}
        return api.create("/channels", body)

    def content(title: str, content_type: str = "article") -> dict:
        body = {"title": title, "body": f"{title}.", "content_type": content_type, "status": "approved"}
        return api.create("/contents", body)

    blog = channel("company blog", "/ok")
    partners = channel("partner feed", "/reject")
    newsletter = channel("newsletter", "/revoked")

    now = datetime.now(UTC)
    for title, hours, channels, priority in (
        ("Spring pricing update", 2, [blog, partners], "high"),
        ("Customer story: Acme Logistics", 5, [blog], "normal"),
        ("Release notes 4.2", 26, [blog, partners], "normal"),
    ):
        api.create(
            "/schedules",
            {
                "content_id": content(title)["id"],
                "channel_ids": [c["id"] for c in channels],
                "run_at": utc_text(now + timedelta(hours=hours)),
                "priority": priority,
            },
        )
    weekly = api.create(
        "/schedules",
        {
            "content_id": content("Weekly digest", "newsletter")["id"],
            "channel_ids": [blog["id"]],
            "cron": "30 9 * * mon",
            "timezone": "Europe/Berlin",
            "max_runs": 12,
        },
    )
    # One occurrence skipped and one moved by a person, as the occurrences page and the preview show them.
    upcoming = api.call("GET", f"/schedules/{weekly['id']}/occurrences?count=3").json()["items"]
    api.call("POST", f"/schedules/{weekly['id']}/occurrences/skip", json={"at": upcoming[1]["at"]})
    moved_to = utc_text(datetime.fromisoformat(upcoming[2]["at"].replace("Z", "+00:00")) + timedelta(hours=7))
    api.call("POST", f"/schedules/{weekly['id']}/occurrences/move", json={"at": upcoming[2]["at"], "to": moved_to})

    def publish_now(title: str, channels: list[dict]) -> list[dict]:
        items = api.create(
            "/publish-now", {"content_id": content(title)["id"], "channel_ids": [c["id"] for c in channels]}
        )
        return [api.wait_until_final(p["id"]) for p in items["items"]]

    publish_now("Welcome to the new blog", [blog])
    publish_now("Holiday opening hours", [blog])
    launch = publish_now("Partner programme launch", [partners, blog])
    (failed,) = [p for p in launch if p["channel_id"] == partners["id"]]
    publish_now("Webinar recording", [newsletter])  # 401: the channel needs a person
    assert failed["status"] == "failed", failed
    return {
        "failed_publication": failed["id"],
        "edited_content": edited(api, peer)["id"],
        "held_channel": newsletter["id"],  # its page offers "fix the credentials", then resume
        "weekly_schedule": weekly["id"],
    }


def edited(api: Api, peer: Peer) -> dict:
    """Add a Mastodon and a WordPress channel (never published to) and an item with a Mastodon variant.

    The editor then shows the three kinds of preview: a toot with its character count, a blog article
    and each webhook's JSON body.
    """
    api.create(
        "/channels",
        {
            "name": "mastodon",
            "platform": "mastodon",
            "settings": {"url": peer.base + "/mastodon"},
            "credentials": {"access_token": "token-token"},
        },
    )
    api.create(
        "/channels",
        {
            "name": "wordpress",
            "platform": "wordpress",
            "settings": {"url": peer.base + "/wordpress"},
            "credentials": {"username": "editor", "app_password": "abcd efgh ijkl mnop"},
        },
    )
    body = (
        "Herald 4.2 brings chained publications, per-channel variants and a calendar you can drag.\n\n"
        "Read the full notes on the blog."
    )
    toot = "Herald 4.2 is out: chained publications, variants, a drag-and-drop calendar. https://blog.example.test/4-2"
    return api.create(
        "/contents",
        {
            "title": "Herald 4.2: chains, variants and the calendar",
            "body": body,
            "excerpt": "What is new in 4.2.",
            "tags": ["release", "product"],
            "status": "approved",
            "variants": [{"platform": "mastodon", "body": toot}],
        },
    )


def settle(page: Page) -> None:
    """Wait for the fragments loaded after the page (alert badge, status banner) and any htmx swap."""
    page.wait_for_load_state("load")
    page.wait_for_selector("#alert-badge[aria-label]", state="attached")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
    page.wait_for_timeout(300)


def photograph(page: Page, base_url: str, pages: dict[str, str], theme: str) -> list[Path]:
    saved = []
    for name, path in pages.items():
        page.goto(base_url + path)
        settle(page)
        actual = page.locator("html").get_attribute("data-theme")
        if actual != theme:
            raise RuntimeError(f"{name}: the page is in the {actual} theme, not {theme}")
        target = OUT / f"{name}-{theme}.png"
        page.screenshot(path=str(target), animations="disabled", full_page=name in FULL_PAGE)
        saved.append(target)
    return saved


def capture(stack: IsolatedStack, pages: dict[str, str]) -> list[Path]:
    """Sign in, then photograph every page in each theme; return the files written."""
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.goto(stack.url("/signin"))
            page.get_by_label("Email", exact=True).fill(EMAIL)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(stack.url("/"))
            for theme in THEMES:
                settle(page)
                if page.locator("html").get_attribute("data-theme") != theme:
                    page.get_by_role("button", name="Switch colour theme").click()  # kept in localStorage
                saved += photograph(page, stack.base_url, pages, theme)
        finally:
            browser.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the stack's work directory (logs); print where")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="herald-screenshots-"))
    started = time.monotonic()
    # database_server_url="": SQLite in workdir even when DATABASE_URL names a PostgreSQL server.
    stack = IsolatedStack(workdir, database_server_url="")
    try:
        with Peer().running() as peer:
            stack.start(user=EMAIL)  # on failure it stops what it started
            try:
                ids = seed(stack.api, peer)
                pages = {
                    "dashboard": "/",
                    "publications": "/publications/",
                    "publication": f"/publications/{ids['failed_publication']}",
                    "calendar": "/calendar/",
                    "analytics": "/analytics/",
                    "schedules": "/schedules/",
                    "schedule-edit": f"/schedules/{ids['weekly_schedule']}/edit",
                    "occurrences": f"/schedules/{ids['weekly_schedule']}/occurrences",
                    "editor": f"/contents/{ids['edited_content']}/edit",
                    "channels": "/channels/",
                    "channel": f"/channels/{ids['held_channel']}",
                    "integrations": "/integrations/",
                    "members": "/members/",
                    "health": "/health",
                    "alerts": "/alerts/",
                    "settings": "/settings/",
                }
                saved = capture(stack, pages)
            finally:
                stack.stop()
    finally:
        if args.keep:
            print(f"stack work directory (logs): {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    for path in saved:
        print(path.relative_to(REPO))
    print(f"{len(saved)} screenshots in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
