"""Viewers cannot change anything, generated from the URL map: every POST/PUT/PATCH/DELETE route, page or API,
answers a viewer of the workspace 403 (or 404) and leaves every row as it was.

A new route is walked without anyone remembering to add it. A route that only changes the viewer's own
account (their profile, their session, a workspace of their own) goes in `webapp/web/auth.py`'s VIEWER_MAY_POST
(or the API's), with the reason: the app refuses viewers every other write before the view runs.
"""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select
from werkzeug.routing.converters import AnyConverter

from webapp.domain.accounts import accounts, workspaces
from webapp.extensions import db
from webapp.models import Membership
from webapp.web.api import VIEWER_MAY_POST as API_VIEWER_MAY_POST
from webapp.web.auth import VIEWER_MAY_POST

from .test_isolation import (
    INT_VARIABLE,
    PASSWORD,
    RECORD_FOR,
    workspace_a,  # noqa: F401 - the fixture with workspace A's records
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# What a viewer may still post: the app's own allowlists (each entry says why), and the public pages that
# a signed-in viewer is redirected away from or that concern an email's own password.
SELF_SERVICE = {
    **VIEWER_MAY_POST,
    **dict.fromkeys(API_VIEWER_MAY_POST, "saves nothing"),
    "sessions.sign_in": "the viewer is signed in already: it redirects",
    "sessions.sign_up": "the viewer is signed in already: it redirects",
    "sessions.forgot_password": "asks for a reset link for an email's own password",
}
# Columns that a refused request may still touch without changing anything a person made.
VOLATILE = {("api_keys", "last_used_at")}


def write_routes(app):
    """Yield (endpoint, method, rule) for every state-changing route outside SELF_SERVICE."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SELF_SERVICE:
            continue
        for method in sorted(rule.methods & WRITE_METHODS):
            yield rule.endpoint, method, rule


def urls_for_rule(app, rule, records: dict) -> list[str]:
    """Build the rule's URLs: ids of workspace A's records, every choice of an `any(...)` part, a made-up token."""
    ids = set(INT_VARIABLE.findall(rule.rule))
    choices = {}
    for name in sorted(rule.arguments):
        converter = rule._converters[name]
        if name in ids:
            choices[name] = [records[RECORD_FOR[name]]]
        elif isinstance(converter, AnyConverter):
            choices[name] = sorted(converter.items)
        else:
            choices[name] = ["not-a-real-token"]
    adapter = app.url_map.bind("herald.test")
    return [
        adapter.build(rule.endpoint, dict(zip(choices, combination, strict=True)))
        for combination in itertools.product(*choices.values())
    ]


def every_row() -> dict[str, list[tuple]]:
    """Every row of every table, volatile columns aside: a refused request must leave this exactly as it was."""
    rows = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if (table.name, c.name) not in VOLATILE]
        rows[table.name] = sorted(map(tuple, db.session.execute(select(*columns)).all()), key=repr)
    return rows


@pytest.fixture
def viewer(app, make, request):
    """A viewer of workspace A, signed in on their own client (current workspace: A), with an API key there."""
    alpha = request.getfixturevalue("workspace_a")
    user = make.user("vera@example.test")
    workspace_id = accounts.membership_for(accounts.find_user(alpha["email"]).id).workspace_id
    db.session.add(Membership(workspace_id=workspace_id, user_id=user.id, role="viewer"))
    db.session.commit()
    workspaces.switch_workspace(user, workspace_id)
    slug = accounts.membership_for(user.id).workspace.slug
    _, key = accounts.create_api_key(user, workspace_slug=slug)
    client = app.test_client()
    assert client.post("/signin", data={"email": user.email, "password": PASSWORD}).status_code == 303
    return client, key, alpha["records"]


def call_as_viewer(client, key: str, method: str, url: str):
    if url.startswith("/api/"):
        return client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {key}"})
    return client.open(url, method=method, data={})


def test_every_self_service_exception_names_a_real_route(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(SELF_SERVICE) <= endpoints, f"stale SELF_SERVICE entries: {set(SELF_SERVICE) - endpoints}"


def test_the_walk_covers_pages_api_and_team_routes(app):
    endpoints = {endpoint for endpoint, _, _ in write_routes(app)}
    assert len(endpoints) >= 40
    assert {"api.create_content", "channels.create", "bulk.run", "members.invite", "workspaces.rename"} <= endpoints


def test_a_viewer_is_refused_every_change_and_nothing_changes(app, viewer):
    client, key, records = viewer
    before = every_row()

    answers = {}
    for endpoint, method, rule in write_routes(app):
        for url in urls_for_rule(app, rule, records):
            answers[f"{method} {url} ({endpoint})"] = call_as_viewer(client, key, method, url).status_code
            db.session.rollback()  # read the database afresh, as the next request will

    allowed = {route: status for route, status in answers.items() if status not in (403, 404)}
    assert allowed == {}, "these routes let a viewer through; refuse them (actor.require_writer / require_owner)"
    assert every_row() == before
    assert sum(status == 403 for status in answers.values()) >= len(answers) // 2  # refused for the role, not by luck
