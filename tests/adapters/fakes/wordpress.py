"""A fake WordPress REST API, just enough for a post to be looked up and created; the real one is the peer."""

from collections.abc import Iterator
from typing import Any

import pytest

from .server import FakePlatform, Request, Response, json_response

PREFIX = "/wp-json/wp/v2/"


class FakeWordPress(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.posts: list[dict[str, Any]] = []
        self.terms: dict[str, list[dict[str, Any]]] = {"tags": [], "categories": []}

    def route(self, request: Request) -> Response:
        resource = request.path.removeprefix(PREFIX)
        if request.method == "GET" and resource == "posts":
            return json_response(200, [])  # nothing made before: every publish creates
        if resource in self.terms:
            return self._term(request, self.terms[resource])
        if request.method == "POST" and resource == "posts":
            post = {**request.json(), "id": len(self.posts) + 1}
            post["link"] = f"{self.url}/?p={post['id']}"
            self.posts.append(post)
            return json_response(201, post)
        return json_response(404, {"code": "rest_no_route", "message": "No route", "data": {"status": 404}})

    def _term(self, request: Request, terms: list[dict[str, Any]]) -> Response:
        if request.method == "GET":
            wanted = request.query.get("search", [""])[0].casefold()
            return json_response(200, [t for t in terms if wanted in t["name"].casefold()])
        term = {"id": 100 + len(terms), "name": request.json()["name"]}
        terms.append(term)
        return json_response(201, term)


@pytest.fixture(name="fake_wordpress")
def fake_wordpress_fixture() -> Iterator[FakeWordPress]:
    """Yield a started FakeWordPress and stop it after the test."""
    with FakeWordPress() as fake:
        yield fake
