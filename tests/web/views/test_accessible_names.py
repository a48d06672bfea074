"""Every field and button on every page has an accessible name, so people and tests find it by role and name."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest

from tests.conftest import PASSWORD
from tests.web.api.conftest import schedule_for  # noqa: F401  (a fixture workspace_a needs)
from tests.web.api.test_isolation import workspace_a  # noqa: F401  (one record of each kind, ids by name)
from tests.web.security.test_xss import _pages
from webapp.domain.shared import alerts

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
UNNAMED_INPUT_TYPES = {"hidden"}  # not shown, not announced
VALUE_NAMED_INPUT_TYPES = {"submit", "reset", "button"}  # named by their value, like a button by its text
SIGNED_OUT_PAGES = ("/signin", "/signup", "/forgot")


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Element | None
    text: list[str] = field(default_factory=list)

    def ancestors(self):
        up = self.parent
        while up is not None:
            yield up
            up = up.parent


class Page(HTMLParser):
    """A tiny DOM: every element with its attributes, its parent and the text inside it."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs}, self._open[-1] if self._open else None)
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):  # forgiving, as browsers are: close up to the match
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element.text.append(data)

    def by_id(self, element_id: str) -> Element | None:
        return next((e for e in self.elements if e.attrs.get("id") == element_id), None)


def _text(element: Element) -> str:
    return " ".join("".join(element.text).split())


def accessible_name(page: Page, element: Element) -> str:
    """The name a screen reader (and Playwright's get_by_role/get_by_label) gives a field or button."""
    attrs = element.attrs
    if attrs.get("aria-labelledby"):
        parts = [page.by_id(i) for i in attrs["aria-labelledby"].split()]
        return " ".join(_text(p) for p in parts if p is not None).strip()
    if attrs.get("aria-label", "").strip():
        return attrs["aria-label"].strip()
    if element.tag == "button":
        return _text(element) or attrs.get("title", "").strip()
    if element.tag == "input" and attrs.get("type") in VALUE_NAMED_INPUT_TYPES:
        return attrs.get("value", "").strip()
    if attrs.get("id"):
        for label in page.elements:
            if label.tag == "label" and label.attrs.get("for") == attrs["id"] and _text(label):
                return _text(label)
    wrapping = next((a for a in element.ancestors() if a.tag == "label"), None)
    if wrapping is not None and _text(wrapping):
        return _text(wrapping)
    return attrs.get("title", "").strip()


def _controls(page: Page, tags=("input", "select", "textarea", "button")):
    for element in page.elements:
        if element.tag in tags and not (element.tag == "input" and element.attrs.get("type") in UNNAMED_INPUT_TYPES):
            yield element


def ambiguous(html: str) -> dict[str, int]:
    """Return the names that more than one field of the page answers to (get_by_label would find several)."""
    page = Page(html)
    names = Counter(accessible_name(page, e) for e in _controls(page, ("input", "select", "textarea")))
    return {name: count for name, count in names.items() if count > 1}


def unnamed(html: str) -> list[str]:
    """Return a short description of every field and button on the page without an accessible name."""
    page = Page(html)
    missing = []
    for element in _controls(page):
        if not accessible_name(page, element):
            shown = " ".join(f'{k}="{v}"' for k, v in element.attrs.items() if k in ("id", "name", "type", "class"))
            missing.append(f"<{element.tag} {shown}>")
    return missing


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<label for="a">Email</label><input id="a" name="email">', []),
        ('<label>Remember me <input type="checkbox" name="r"></label>', []),
        ('<input name="q" aria-label="Search">', []),
        ('<h2 id="t">Title</h2><select aria-labelledby="t"><option>x</option></select>', []),
        ("<button>Save</button>", []),
        ('<input type="submit" value="Go">', []),
        ('<input type="hidden" name="csrf_token">', []),
        ('<input id="b" name="email">', ['<input id="b" name="email">']),
        ('<label for="other">Email</label><textarea id="c" name="body"></textarea>', ['<textarea id="c" name="body">']),
        ('<button class="x"><span aria-hidden="true"></span></button>', ['<button class="x">']),
        ('<select aria-labelledby="missing"></select>', ["<select >"]),
    ],
)
def test_the_checker_finds_what_a_screen_reader_would_not_name(html, expected):
    assert unnamed(html) == expected


def test_the_checker_finds_two_fields_with_one_name():
    html = '<label for="a">Status</label><select id="a"></select><label for="b">Status</label><select id="b"></select>'
    assert ambiguous(html) == {"Status": 2}
    assert ambiguous(html.replace('Status</label><select id="b"', 'Status filter</label><select id="b"')) == {}


@pytest.fixture
def records(request, client) -> dict[str, int]:
    """Sign workspace A's owner in (A has one record of each kind and an alert); return the record ids by name."""
    member = request.getfixturevalue("workspace_a")
    records = member["records"]
    alerts.raise_alert(records["workspace"], "failure", "it failed", publication_id=records["publication"])
    assert client.post("/signin", data={"email": member["email"], "password": PASSWORD}).status_code == 303
    return records


@pytest.fixture
def signed_in_pages(app, records) -> dict[str, str]:
    """Every GET page of the URL map that A's records can fill in, by endpoint."""
    return dict(_pages(app, records))


def test_every_field_and_button_of_every_page_has_a_name(app, client, signed_in_pages):
    pages = dict(signed_in_pages)
    pages.update({f"{view} view": f"/calendar/?view={view}" for view in ("week", "day", "timeline", "list")})
    checked, missing, shared = [], {}, {}
    for endpoint, url in sorted(pages.items()):
        response = client.get(url)
        if response.status_code != 200 or "text/html" not in response.content_type:
            continue
        checked.append(endpoint)
        html = response.get_data(as_text=True)
        if found := unnamed(html):
            missing[url] = found
        if found := ambiguous(html):
            shared[url] = found
    assert missing == {}
    assert shared == {}  # two fields called "Status" leave a screen reader (and a test) guessing
    main_pages = {
        "dashboard.index",
        "publications.index",
        "publications.show",
        "calendar.index",
        "analytics.index",
        "schedules.index",
        "contents.index",
        "contents.editor.edit",
        "contents.review",
        "content_templates.index",
        "channels.index",
        "integrations.index",
        "integrations.show_subscription",
        "members.index",
        "health.page",
        "audit.index",
        "alerts.index",
        "settings.index",
        "notifications.edit",
    }
    assert main_pages <= set(checked)


def test_the_bulk_confirm_step_and_a_refused_form_name_their_controls(client, records):
    publication = records["publication"]
    confirm = client.post("/publications/bulk/confirm", data={"action": "pause", "ids": [str(publication)]})
    assert confirm.status_code == 200
    assert "Confirm" in confirm.get_data(as_text=True)
    assert unnamed(confirm.get_data(as_text=True)) == []
    refused = client.post("/schedules/", data={"kind": "once"})
    assert refused.status_code == 422
    assert unnamed(refused.get_data(as_text=True)) == []


@pytest.mark.parametrize("path", SIGNED_OUT_PAGES)
def test_the_signed_out_pages_name_every_field(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert unnamed(response.get_data(as_text=True)) == []
