"""The app's pages as the URL map lists them: what the walking tests (a French reader, a browser) visit."""

from __future__ import annotations

# Never a page: the live stream, signing out, files and the JSON API (its reference, /api/docs, is one).
NEVER = ("/events", "/signout", "/logout", "/static/", "/api/v1/")


def page_paths(app, ids: dict[str, int]) -> list[str]:
    """Every GET path of the URL map whose variables are all ids we have (or none), NEVER's aside, sorted."""
    adapter = app.url_map.bind("herald.test")
    found = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not set(rule.arguments) <= set(ids):
            continue
        path = adapter.build(rule.endpoint, {name: ids[name] for name in rule.arguments})
        if not path.startswith(NEVER):
            found.add(path)
    return sorted(found)
