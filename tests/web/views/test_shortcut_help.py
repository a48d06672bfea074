"""The `?` help lists every key the scripts handle, and every go-to key it lists leads to a page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import PASSWORD
from tests.web.views.test_accessible_names import Page

STATIC = Path(__file__).resolve().parents[3] / "static"
# How a key reads in the help: event.key names on the left, the <kbd> text on the right.
SHOWN_AS = {"ArrowLeft": "←", "ArrowRight": "→", "ArrowUp": "↑", "ArrowDown": "↓", "Escape": "Esc"}
NEW_PAGES = {"/calendar/", "/analytics/", "/templates/", "/integrations/", "/health", "/members/", "/settings/"}


def handled_keys() -> set[str]:
    """Every key static/keys.js and static/calendar.js act on, as the help would show it."""
    keys = set(re.findall(r'case "([^"]+)":', (STATIC / "keys.js").read_text()))
    calendar = (STATIC / "calendar.js").read_text()
    keys |= set(re.findall(r'event\.key === "([^"]+)"', calendar))
    keys |= set(re.findall(r'key === "(Arrow\w+)"', calendar))
    if 'indexOf("Arrow")' in calendar:
        keys |= {"ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"}
    return {SHOWN_AS.get(k, k) for k in keys}


def help_of(html: str) -> tuple[set[str], dict[str, str]]:
    """Return the keys the help dialog shows and its go-to rows (key -> href)."""
    page = Page(html)
    dialog = next(e for e in page.elements if e.attrs.get("id") == "shortcuts")
    inside = [e for e in page.elements if dialog in e.ancestors()]
    shown = {"".join(e.text).strip() for e in inside if e.tag == "kbd"}
    goto = {e.attrs["data-goto-key"]: e.attrs["data-goto-href"] for e in inside if "data-goto-key" in e.attrs}
    return shown, goto


@pytest.fixture
def dashboard(client, auth) -> str:
    auth.sign_up("keys@example.test")
    response = client.get("/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_scripts_handle_the_keys_the_issue_asks_for():
    assert {"?", "g", "/", "j", "k", "x", "P", "R", "T", "C", "A", "V", "m", "Enter", "Esc", "←"} <= handled_keys()


def test_every_key_the_scripts_handle_is_in_the_help(dashboard):
    shown, _ = help_of(dashboard)
    assert handled_keys() - shown == set()


def test_the_help_shows_no_key_that_nothing_handles(dashboard):
    shown, goto = help_of(dashboard)
    assert shown - handled_keys() - set(goto) == set()


def test_go_to_keys_are_unique_and_reach_the_new_pages(client, dashboard):
    page = Page(dashboard)
    keys = [e.attrs["data-goto-key"] for e in page.elements if "data-goto-key" in e.attrs]
    _, goto = help_of(dashboard)
    assert len(keys) == len(set(keys)) == len(goto)
    assert set(goto.values()) >= NEW_PAGES
    assert goto["u"] == "/audit/"  # the owner may read the audit log
    for href in goto.values():
        assert client.get(href).status_code == 200, href


def test_go_to_is_read_from_the_help_by_keys_js():
    script = (STATIC / "keys.js").read_text()
    assert "data-goto-key" in script and "data-goto-href" in script
    assert not re.search(r'"/(publications|schedules|calendar)/"', script)  # no second, hard-coded list


def test_a_viewer_is_offered_no_go_to_key_for_the_audit_log(app, client, make):
    user = make.user(email="viewer@example.test")
    make.actor(user, role="viewer")
    assert client.post("/signin", data={"email": user.email, "password": PASSWORD}).status_code == 303
    _, goto = help_of(client.get("/").get_data(as_text=True))
    assert "u" not in goto and "/audit/" not in goto.values()
