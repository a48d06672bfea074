"""No change on GET, generated from the URL map: every GET route, page or API, signed in or out, leaves every table
as it was and schedules nothing. A new route is walked without anyone remembering to add it.

Documented, harmless writes that are allowed: an API key's `last_used_at` (left out of the row hashes, see
VOLATILE in tests/web/api/test_viewer_cannot_change.py), and Redis state that is not a record - rate-limit counters,
stream slots, the session cookie. Only rq-scheduler's entries are compared in Redis.
"""

from __future__ import annotations

import pytest

from tests.web.api.conftest import schedule_for  # noqa: F401 - the workspace_a fixture builds a schedule with it
from tests.web.api.test_isolation import workspace_a  # noqa: F401 - the fixture with workspace A's records
from webapp.domain.shared import audit
from webapp.extensions import db
from webapp.web.auth import ui_actor

from .route_walk import real_values, sign_in, table_checksums, urls_for


def get_routes(app, *, api: bool):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint.startswith("api.") == api:
            yield rule


def fetch(app, client, url: str, **kwargs):
    """GET the URL in a fresh app context, as a server would (its own `g` and database session, none of the
    test's); an endless event stream is read up to its first message and closed."""
    with app.app_context():
        response = client.get(url, buffered=False, **kwargs)
        if response.mimetype == "text/event-stream":
            next(iter(response.response))
        else:
            response.get_data()
        response.close()
    return response


def walk(app, client, rules, records, values, changes, snapshot, **kwargs) -> dict[str, int]:
    """GET every URL of the rules; record in `changes` what each one changed; return status by URL."""
    statuses = {}
    for rule in rules:
        for url in urls_for(app, rule, records, values):
            before, scheduled = table_checksums(), snapshot()
            statuses[url] = fetch(app, client, url, **kwargs).status_code
            after = table_checksums()
            changed = {name for name in before if before[name] != after[name]}
            if changed or snapshot() != scheduled:
                changes[f"GET {url} ({rule.endpoint})"] = sorted(changed) or ["rq-scheduler entries"]
    return statuses


@pytest.fixture
def routes_and_values(app, workspace_a):  # noqa: F811
    return workspace_a, workspace_a["records"], real_values(app, workspace_a)


def test_no_get_route_changes_anything_signed_in_signed_out_or_with_a_key(app, routes_and_values, snapshot):
    alpha, records, values = routes_and_values
    owner = sign_in(app, alpha["email"])
    changes: dict[str, list[str]] = {}

    pages = walk(app, owner, get_routes(app, api=False), records, values, changes, snapshot)
    public = walk(app, app.test_client(), get_routes(app, api=False), records, values, changes, snapshot)
    headers = {"Authorization": f"Bearer {alpha['key']}"}
    api = walk(app, app.test_client(), get_routes(app, api=True), records, values, changes, snapshot, headers=headers)

    assert changes == {}, "these GET routes write: move the write to a POST (or document why it is harmless)"
    # The walk really reached the pages and records, not 404s and sign-in redirects.
    failed = {url: s for url, s in (pages | api).items() if s >= 400 and url != "/healthz"}  # 503: no worker runs here
    assert failed == {}
    assert len(pages) >= 30 and len(api) >= 25
    public_pages = ("/signin", "/signup", "/forgot", f"/reset/{values['reset_token']}")
    public_pages += (f"/invitations/{values['invitation_token']}", f"/integrations/calendar/{values['feed_token']}.ics")
    assert {url: public[url] for url in public_pages} == dict.fromkeys(public_pages, 200)
    signed_media = [url for url in public if url.startswith("/media/")]
    assert [public[url] for url in signed_media] == [200]  # a real signed URL, fetched signed out


def test_the_walk_would_notice_a_write(app, routes_and_values, snapshot, monkeypatch):
    """A GET that writes is reported, named by route and table (here: a dashboard that records an audit row)."""
    alpha, records, values = routes_and_values
    owner = sign_in(app, alpha["email"])

    def writing_dashboard():
        audit.record(ui_actor(), "dashboard.viewed", "workspace", None)
        db.session.commit()
        return "written"

    monkeypatch.setitem(app.view_functions, "dashboard.index", writing_dashboard)
    changes: dict[str, list[str]] = {}
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint == "dashboard.index"]
    walk(app, owner, rules, records, values, changes, snapshot)
    assert changes == {"GET / (dashboard.index)": ["audit_events"]}
