"""Crawl the signed-in UI from the dashboard: every link and asset resolves, and every time shown says its zone."""

from __future__ import annotations

import re
from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tests.media_files import image_bytes
from webapp.domain.accounts import invitations
from webapp.domain.content import content_templates, media
from webapp.domain.integrations import subscriptions
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.models import User, utcnow

ORIGIN = "http://herald.test"
MAX_PAGES = 300
# Filters and paging make endless query strings (the calendar's "next month" never ends): a few per path is enough.
MAX_VARIANTS_PER_PATH = 8
NEVER_FOLLOW = ("/events", "/signout", "/logout")
# A load balancer's probe answers 503 while no worker or scheduler runs (none do in these tests): that is its answer.
PROBE_ANSWERS = {"/healthz": {200, 503}}
TIMEZONE = "Asia/Kolkata"  # not UTC, so a time shown without its zone is not "obviously" UTC
# 2026-01-02 10:00[:00[.5]] and "Fri 02 Jan 10:00" (the `local_time` formats the templates use).
DATE_TIME = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}[ T]|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* (?:\d{4} )?)"
    r"\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?"
)
# What may follow a shown date-time: an offset, Z, an abbreviation (IST, UTC, +0530 style) or a zone name.
ZONE_AFTER = re.compile(r"^\s*(?:Z\b|[+-]\d{2}(?::?\d{2})?\b|[A-Z]{2,5}\b|\(?[A-Z][A-Za-z_]+/[A-Za-z_/+-]+)")
ZONE_ANYWHERE = re.compile(r"(?:\b[A-Z]{2,5}\b|[+-]\d{2}:?\d{2}|\b[A-Z][A-Za-z_]+/[A-Za-z_]+)")
SKIP_TEXT_IN = {"script", "style"}


class PageParser(HTMLParser):
    """Collect a page's links, assets, and the date-times in its text that do not say their zone."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []
        self.bare_times: list[str] = []
        self.times_seen = 0
        self._open: list[tuple[str, dict]] = []
        self._pending: list[tuple[str, str]] = []  # (time, context) waiting for the text after it

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if attributes.get("hx-get"):  # what htmx fetches: a fragment must resolve like a page
            self.links.append(attributes["hx-get"])
        elif tag in ("script", "img") and attributes.get("src"):
            self.assets.append(attributes["src"])
        elif tag == "link" and attributes.get("href"):
            self.assets.append(attributes["href"])
        if tag not in ("img", "input", "br", "hr", "link", "meta", "source", "col", "area", "wbr"):
            self._open.append((tag, attributes))

    def handle_endtag(self, tag):
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                break

    def handle_data(self, data):
        if any(tag in SKIP_TEXT_IN for tag, _ in self._open):
            return
        self._settle(data)
        titles = " ".join(attrs.get("title", "") + " " + attrs.get("aria-label", "") for _, attrs in self._open)
        for match in DATE_TIME.finditer(data):
            self.times_seen += 1
            after = data[match.end() :]
            if ZONE_AFTER.match(after) or ZONE_ANYWHERE.search(titles):
                continue
            context = data[max(0, match.start() - 30) : match.end() + 30].strip()
            if after.strip():
                self.bare_times.append(context)
            else:
                self._pending.append((match.group(), context))  # the zone may sit in the next element: <b>IST</b>

    def _settle(self, following: str) -> None:
        """Decide the times that ended a text node: the next text must open with a zone."""
        if not following.strip():
            return
        for _, context in self._pending:
            if not ZONE_AFTER.match(following):
                self.bare_times.append(context)
        self._pending = []

    def close(self):
        super().close()
        self.bare_times.extend(context for _, context in self._pending)
        self._pending = []


def internal_path(base: str, href: str) -> str | None:
    """The same-origin path (with query) an href names, or None for other origins and schemes."""
    url, _ = urldefrag(urljoin(base, href))
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(ORIGIN).netloc:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def resolve(client, path: str, hops: int = 5):
    """GET a path, following redirects within the site; return (status, HTML text or None, final path)."""
    for _ in range(hops):
        response = client.get(path)
        with response:  # a static file's response holds it open until closed
            status, location = response.status_code, response.headers.get("Location")
            html = response.get_data(as_text=True) if response.mimetype == "text/html" else None
        target = internal_path(ORIGIN + path, location) if status in (301, 302, 303, 307, 308) else None
        if target is None:
            return status, html, path
        path = target
    raise AssertionError(f"{path}: more than {hops} redirects")


def is_broken(path: str, status: int) -> bool:
    return status not in PROBE_ANSWERS.get(path, ()) and (status == 404 or status >= 500)


def crawl(client, start: str = "/"):
    """Breadth-first over the internal links from `start`; return what was found on the way."""
    queue, seen, per_path = deque([(start, "(start)")]), {start}, Counter()
    broken, assets, bare_times, visited, times_seen = {}, {}, {}, [], 0
    while queue and len(visited) < MAX_PAGES:
        path, linked_from = queue.popleft()
        status, html, final = resolve(client, path)
        visited.append(path)
        if is_broken(final, status):
            broken[path] = f"{status} (linked from {linked_from})"
            continue
        if html is None:
            continue
        parser = PageParser()
        parser.feed(html)
        parser.close()
        times_seen += parser.times_seen
        if parser.bare_times:
            bare_times[final] = parser.bare_times
        for href in parser.assets:
            asset = internal_path(ORIGIN + final, href)
            if asset is not None and asset not in assets:
                assets[asset] = final
        for href in parser.links:
            target = internal_path(ORIGIN + final, href)
            if target is None or target in seen or target.startswith(NEVER_FOLLOW):
                continue
            bare_path = target.split("?", 1)[0]
            if "?" in target and per_path[bare_path] >= MAX_VARIANTS_PER_PATH:
                continue
            per_path[bare_path] += 1
            seen.add(target)
            queue.append((target, final))
    return {"visited": visited, "broken": broken, "assets": assets, "bare_times": bare_times, "times_seen": times_seen}


@pytest.fixture
def full_workspace(ada, make, client, media_folder):
    """Ada (signed in, owner, zone Asia/Kolkata) with one record of every kind in her workspace."""
    user = db.session.get(User, ada.user_id)
    user.timezone = TIMEZONE
    db.session.commit()
    hook = make.channel(ada, name="Crawl hook")
    post = make.content(ada, title="Crawl post", body="Body", variants=[{"channel_id": hook.id, "body": "Hook body"}])
    media.add_media(ada, post.id, image_bytes(), "crawl.png", "A red square")
    publication = make.publication(ada, post, hook, run_at=utcnow() + timedelta(hours=3))
    alerts.publication_alert(publication, "failed", "Crawl alert")
    db.session.commit()
    content_templates.save_as_template(ada, post.id, {"name": "Crawl template"})
    subscriptions.create_subscription(ada, "https://crawl.example.test/hook", ["schedule.missed"])
    invitations.create_invitation(ada, "invitee@example.test", "viewer")
    make.member(ada, "editor")
    return ada


@pytest.fixture
def crawled(client, full_workspace):
    result = crawl(client)
    assert len(result["visited"]) >= 20, result["visited"]  # the crawl really walked the site
    return result


def test_every_internal_link_from_the_dashboard_resolves(crawled):
    assert crawled["broken"] == {}


def test_the_crawl_reaches_a_page_of_every_record_kind(crawled):
    visited = " ".join(crawled["visited"])
    for fragment in ("/channels/", "/contents/", "/schedules/", "/alerts", "/members", "/integrations"):
        assert fragment in visited, fragment


def test_every_script_stylesheet_and_image_on_those_pages_resolves(client, crawled):
    broken = {}
    for asset, page in crawled["assets"].items():
        status, _, _ = resolve(client, asset)
        if is_broken(asset, status):
            broken[asset] = f"{status} (on {page})"
    assert len(crawled["assets"]) >= 3
    assert broken == {}


def test_every_time_shown_says_its_zone(crawled):
    assert crawled["times_seen"] >= 5  # the pages did show times, so the check checked something
    assert crawled["bare_times"] == {}


@pytest.mark.parametrize(
    ("html", "bare"),
    [
        ("<td>2026-01-02 10:00:00 IST</td>", False),
        ("<td>2026-01-02 10:00 +05:30</td>", False),
        ("<td>2026-01-02T10:00:00Z</td>", False),
        ("<td>2026-01-02 10:00 <abbr>IST</abbr></td>", False),
        ('<td title="Asia/Kolkata">2026-01-02 10:00</td>', False),
        ('<input value="2026-01-02T10:00">', False),
        ("<td>2026-01-02 10:00</td><td>sent</td>", True),
        ("<p>at 2026-01-02 10:00 sharp</p>", True),
        ("<td>Fri 02 Jan 10:00 IST</td>", False),
        ("<td>Fri 02 Jan 10:00</td>", True),
    ],
)
def test_the_zone_check_tells_a_bare_time_from_a_zoned_one(html, bare):
    parser = PageParser()
    parser.feed(html)
    parser.close()
    assert bool(parser.bare_times) is bare
