"""CSRF on every form, generated from the URL map.

Every state-changing route outside the API refuses a request without a CSRF token and changes nothing, and
every post form on every page (and every template) carries the token. A new route or form is covered
without anyone remembering to add it.
"""

from __future__ import annotations

import re
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.web.api.conftest import schedule_for  # noqa: F401 - the workspace_a fixture builds a schedule with it
from tests.web.api.test_isolation import workspace_a  # noqa: F401 - the fixture with workspace A's records
from webapp.domain.accounts import accounts
from webapp.extensions import csrf, db

from .route_walk import real_values, sign_in, table_checksums, urls_for

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# The only routes allowed to skip the token, with why. The API authenticates with a Bearer key sent in a header,
# never with the session cookie, so a cross-site form cannot act through it. (The public iCal feed needs no entry:
# it answers GET only, and GET changes nothing - tests/web/security/test_no_change_on_get.py.)
EXEMPT_BLUEPRINTS = {"api": "Bearer keys in a header, never cookies"}
CSRF_REFUSAL = "The CSRF token is missing."
UNHEALTHY_IN_TESTS = {"health.healthz": "503: no worker or scheduler runs beside the tests"}
TEMPLATES = Path(__file__).resolve().parents[3] / "templates"


@contextmanager
def csrf_enabled(app):
    """Turn CSRF protection on, as in production (the test config turns it off for the other tests)."""
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def form_routes(app):
    """Yield (endpoint, method, rule) for every state-changing route that is not CSRF-exempt."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint.split(".")[0] in EXEMPT_BLUEPRINTS:
            continue
        for method in sorted(rule.methods & WRITE_METHODS):
            yield rule.endpoint, method, rule


@pytest.fixture
def owner_walk(app, workspace_a):  # noqa: F811
    """(client signed in as workspace A's owner, A's record ids, real tokens)."""
    client = sign_in(app, workspace_a["email"])
    return client, workspace_a["records"], real_values(app, workspace_a)


def test_only_the_api_is_exempt_from_csrf(app):
    exempt = {getattr(blueprint, "name", blueprint) for blueprint in csrf._exempt_blueprints}
    assert exempt == set(EXEMPT_BLUEPRINTS)
    assert csrf._exempt_views == set()
    api_rules = [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")]
    assert api_rules and all(rule.startswith("/api/v1/") for rule in api_rules)


def test_the_walk_covers_the_forms_of_every_kind(app):
    endpoints = {endpoint for endpoint, _, _ in form_routes(app)}
    assert len(endpoints) >= 60
    expected = {"sessions.sign_in", "sessions.sign_out", "members.accept", "sessions.reset_password", "bulk.run"}
    assert expected | {"contents.create", "media.upload", "settings.create_api_key", "workspaces.switch"} <= endpoints


def test_every_form_route_refuses_a_request_without_a_token_and_changes_nothing(app, owner_walk, snapshot):
    client, records, values = owner_walk
    before, scheduled = table_checksums(), snapshot()

    answers = {}
    with csrf_enabled(app):
        for endpoint, method, rule in form_routes(app):
            for url in urls_for(app, rule, records, values):
                response = client.open(url, method=method, data={"title": "Forged", "name": "Forged"})
                refused = response.status_code == 400 and CSRF_REFUSAL in response.get_data(as_text=True)
                answers[f"{method} {url} ({endpoint})"] = "refused" if refused else response.status_code

    assert {route: answer for route, answer in answers.items() if answer != "refused"} == {}
    assert table_checksums() == before
    assert snapshot() == scheduled
    assert client.get("/settings/").status_code == 200  # still signed in: sign-out was refused too


def test_the_same_request_with_its_token_goes_through(app, owner_walk, workspace_a):  # noqa: F811
    """The refusals above are CSRF's: the same form post carrying the page's token is accepted."""
    client, _, _ = owner_walk
    with csrf_enabled(app):
        page = client.get("/settings/").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        refused = client.post("/settings/timezone", data={"timezone": "Europe/Paris"})
        unchanged_zone = accounts.find_user(workspace_a["email"]).timezone
        accepted = client.post("/settings/timezone", data={"timezone": "Europe/Paris", "csrf_token": token})
    assert (refused.status_code, unchanged_zone) == (400, "UTC")
    assert accepted.status_code == 303
    db.session.rollback()
    assert accounts.find_user(workspace_a["email"]).timezone == "Europe/Paris"


class FormScanner(HTMLParser):
    """Collect each post form (whether it holds a csrf_token hidden input) and htmx writes outside any form."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self.open_form: dict | None = None
        self.loose_htmx_writes: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.open_form = {"tag": self.get_starttag_text(), "post": (attrs.get("method") or "").lower() == "post"}
            self.open_form["token"] = False
            self.forms.append(self.open_form)
        elif tag == "input" and self.open_form is not None and attrs.get("name") == "csrf_token":
            self.open_form["token"] = attrs.get("type") == "hidden" and bool(attrs.get("value"))
        writes = [a for a in ("hx-post", "hx-put", "hx-patch", "hx-delete") if attrs.get(a) is not None]
        if writes and tag != "form" and self.open_form is None and "X-CSRFToken" not in (attrs.get("hx-headers") or ""):
            self.loose_htmx_writes.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if tag == "form":
            self.open_form = None


def get_pages(app, client, records: dict, values: dict, *, signed_in: bool):
    """Yield (endpoint, url, html) for every HTML page the URL map answers to a GET."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint.startswith("api.") or rule.endpoint == "stream.events":
            continue  # the API speaks JSON; the event stream never ends (and holds no form)
        for url in urls_for(app, rule, records, values):
            response = client.get(url)
            response.close()  # a static file's handle, read or not
            if "text/html" in response.content_type and response.status_code == 200:
                yield rule.endpoint, url, response.get_data(as_text=True)
            elif signed_in and rule.endpoint not in UNHEALTHY_IN_TESTS:
                assert response.status_code < 400, f"GET {url} answered {response.status_code}"  # real ids, tokens


def test_every_post_form_on_every_page_carries_the_csrf_token(app, owner_walk):
    client, records, values = owner_walk
    with csrf_enabled(app):  # else Flask-WTF leaves the token out of every form
        pages = list(get_pages(app, client, records, values, signed_in=True))
        # Signed out: the public pages (sign in, sign up, a reset link, an invitation) have their own forms.
        pages += list(get_pages(app, app.test_client(), records, values, signed_in=False))

    missing, loose, post_forms, with_forms = {}, {}, 0, set()
    for endpoint, url, html in pages:
        scanner = FormScanner()
        scanner.feed(html)
        post_forms += sum(form["post"] for form in scanner.forms)
        with_forms |= {endpoint} if any(form["post"] for form in scanner.forms) else set()
        if bad := [form["tag"] for form in scanner.forms if form["post"] and not form["token"]]:
            missing[url] = bad
        if scanner.loose_htmx_writes:
            loose[url] = scanner.loose_htmx_writes
    assert missing == {}
    assert loose == {}, "an htmx write outside a form must send the token (hx-headers with X-CSRFToken)"
    assert post_forms >= 40
    assert {"sessions.sign_in", "sessions.sign_up", "sessions.reset_password", "members.accept"} <= with_forms
    assert {"contents.editor.edit", "media.index", "settings.index", "members.index"} <= with_forms


def test_every_post_form_in_the_templates_carries_the_csrf_token():
    """Also the forms a page shows only in some states (a failed publication's retry, a paused schedule's resume)."""
    forms, missing = 0, []
    for template in sorted(TEMPLATES.rglob("*.html")):
        for match in re.finditer(r"(<form\b[^>]*>)(.*?)</form>", template.read_text(), re.S | re.I):
            if re.search(r'method="post"', match.group(1), re.I):
                forms += 1
                if not re.search(r"csrf_token|hidden_tag\(\)", match.group(2)):
                    missing.append(f"{template.relative_to(TEMPLATES)}: {match.group(1)[:120]}")
    opened = sum(
        len(re.findall(r'<form\b[^>]*method="post"', t.read_text(), re.S | re.I)) for t in TEMPLATES.rglob("*.html")
    )
    # Every post form was read whole (none opens in one template and closes in another). Row actions are drawn by
    # one form in templates/macros/lists.html (post_button), so the templates hold fewer forms than the pages show.
    assert forms == opened >= 40
    assert missing == []
