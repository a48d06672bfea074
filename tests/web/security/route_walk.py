"""Walking the whole URL map with real values: ids of workspace A's records, real tokens, real signed URLs.

Shared by the CSRF and no-change-on-GET tests. A new route with a variable that is neither an id in RECORD_FOR
nor an `any(...)` choice needs an entry in REAL_VALUES below, or `urls_for` fails naming it.
"""

from __future__ import annotations

import hashlib
import itertools
import time

from werkzeug.routing.converters import AnyConverter

from tests.web.api.test_isolation import INT_VARIABLE, PASSWORD, RECORD_FOR
from tests.web.api.test_viewer_cannot_change import every_row
from webapp.domain.accounts import accounts, invitations, password_reset, sign_ups
from webapp.domain.content import media
from webapp.domain.integrations import feeds
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Media

# Each non-id variable of the URL map, by (endpoint, variable) -> the key of a real value built by `real_values`.
REAL_VALUES = {
    ("integrations.calendar_feed", "token"): "feed_token",
    ("members.accept", "token"): "invitation_token",
    ("sessions.reset_password", "token"): "reset_token",
    ("sessions.finish_sign_up", "token"): "sign_up_token",
    ("media.signed_file", "key"): "media_key",
    ("static", "filename"): "static_file",
}
# Query strings a route needs besides its path to do its real work (a signed URL's signature, an export's kind).
QUERY_FOR = {
    "media.signed_file": "media_query",
    "integrations.export_records": "export_query",
    "api.export_records": "export_query",
}


def real_values(app, alpha: dict) -> dict:
    """Tokens and keys that open workspace A's public routes for real (each made the way the app makes it)."""
    user = accounts.find_user(alpha["email"])
    membership = accounts.membership_for(user.id)
    actor = Actor(user.id, membership.workspace_id, membership.role, "ui")
    item = db.session.get(Media, alpha["records"]["media"])
    store = media.storage()
    expires = int(time.time()) + 3600
    values = {
        "feed_token": feeds.regenerate(actor),
        "invitation_token": invitations.create_invitation(actor, "newcomer@example.test", "editor")[1],
        "reset_token": password_reset.request_reset(user.email)[1],
        "sign_up_token": sign_ups.request("newcomer-by-sign-up@example.test", PASSWORD, "UTC"),
        "media_key": item.storage_key,
        "static_file": "herald.css",
        "export_query": "kind=schedules&format=csv",
    }
    if getattr(store, "signing_secret", b""):
        values["media_query"] = f"expires={expires}&signature={store.signature(item.storage_key, expires)}"
    return values


def urls_for(app, rule, records: dict, values: dict) -> list[str]:
    """Every URL of the rule: A's ids, every `any(...)` choice, the real value of each other variable."""
    ids = set(INT_VARIABLE.findall(rule.rule))
    choices = {}
    for name in sorted(rule.arguments):
        if name in ids:
            choices[name] = [records[RECORD_FOR[name]]]
        elif isinstance(rule._converters[name], AnyConverter):
            choices[name] = sorted(rule._converters[name].items)
        else:
            assert (rule.endpoint, name) in REAL_VALUES, f"add ({rule.endpoint!r}, {name!r}) to REAL_VALUES"
            choices[name] = [values[REAL_VALUES[rule.endpoint, name]]]
    adapter = app.url_map.bind("herald.test")
    query = values.get(QUERY_FOR.get(rule.endpoint, ""), "")
    return [
        adapter.build(rule.endpoint, dict(zip(choices, combination, strict=True))) + (f"?{query}" if query else "")
        for combination in itertools.product(*choices.values())
    ]


def sign_in(app, email: str):
    """A new client signed in through the real sign-in form."""
    client = app.test_client()
    assert client.post("/signin", data={"email": email, "password": PASSWORD}).status_code == 303
    return client


def table_checksums() -> dict[str, str]:
    """Each table's row count and a hash of all its rows (volatile columns aside), read afresh."""
    db.session.rollback()  # see what the requests committed, not this session's cache
    return {
        name: f"{len(rows)} rows, sha256 {hashlib.sha256(repr(rows).encode()).hexdigest()[:16]}"
        for name, rows in every_row().items()
    }
