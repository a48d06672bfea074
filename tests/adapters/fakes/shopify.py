"""A fake Shopify Admin GraphQL API (2025-01): the three operations Herald sends, with Shopify's errors and costs.

It is not a GraphQL engine: it recognises each operation by its root field, and checks that the
document declares the variables with the schema's types and that the variables fit those types.
"""

import re
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from .server import FakePlatform, Request, Response, json_response

API_PATH = "/admin/api/2025-01/graphql.json"
ARTICLE_CREATE_INPUT = {
    "author",
    "blogId",
    "body",
    "handle",
    "image",
    "isPublished",
    "metafields",
    "publishDate",
    "summary",
    "tags",
    "templateSuffix",
    "title",
}
ARTICLE_IMAGE_INPUT = {"altText", "url"}
IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
INVALID_ARTICLE = "Variable $article of type ArticleCreateInput! was provided invalid value"
INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
MAXIMUM_AVAILABLE, RESTORE_RATE = 2000.0, 100.0
COSTS = {"articleCreate": 10, "articles": 12, "shop": 1}


def _graphql_error(message: str, code: str | None = None, **extensions: Any) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "locations": [{"line": 1, "column": 1}]}
    if code or extensions:
        error["extensions"] = {**({"code": code} if code else {}), **extensions}
    return error


class FakeShopify(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.access_token = "shpat_" + secrets.token_hex(16)
        self.shop_name = "Fake Outfitters"
        self.blogs = {"241253187": "news"}  # numeric id -> handle
        self.articles: list[dict[str, Any]] = []
        self.scopes = {"read_content", "write_content"}
        self.currently_available = MAXIMUM_AVAILABLE
        self.image_fetches: list[tuple[str, int, str]] = []  # (url, status, content type) of each image download
        # Shopify's documentation lists TAKEN among articleCreate's errors: with this set, a handle given
        # explicitly that another article has is refused (otherwise it is made unique with -1, -2, ...).
        self.refuse_taken_handles = False

    @property
    def blog_id(self) -> str:
        return next(iter(self.blogs))

    def route(self, request: Request) -> Response:
        if request.path != API_PATH or request.method != "POST":
            return json_response(404, {"errors": "Not Found"})
        if request.headers.get("X-Shopify-Access-Token") != self.access_token:
            return json_response(401, {"errors": INVALID_TOKEN})
        if not (request.headers.get("Content-Type") or "").startswith("application/json"):
            return json_response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return json_response(400, {"errors": {"query": "Required parameter missing or invalid"}})
        query, variables = body["query"], body.get("variables") or {}
        handlers = {"articleCreate": self._article_create, "articles": self._articles, "shop": self._shop}
        for root, handler in handlers.items():
            if re.search(rf"\b{root}\s*[({{]", query):
                return self._answer(root, query, variables, handler)
        return self._graphql({"errors": [_graphql_error("Parse error: unknown operation")]})

    def _answer(self, root: str, query: str, variables: dict[str, Any], handler: Any) -> Response:
        cost = COSTS[root]
        if self.currently_available < cost:
            throttled = {
                "errors": [
                    _graphql_error("Throttled", "THROTTLED", documentation="https://shopify.dev/api/usage/rate-limits")
                ]
            }
            return self._graphql(throttled, requested=cost, actual=None)
        needed = {"articleCreate": "write_content", "articles": "read_content"}.get(root)
        if needed and needed not in self.scopes:
            message = f"Access denied for {root} field. Required access: `{needed}` access scope."
            denied = {"data": {root: None}, "errors": [_graphql_error(message, "ACCESS_DENIED", requiredAccess=needed)]}
            return self._graphql(denied, requested=cost, actual=1)
        self.currently_available -= cost
        return self._graphql(handler(query, variables), requested=cost, actual=cost)

    def _graphql(self, document: dict[str, Any], *, requested: int = 1, actual: int | None = 1) -> Response:
        # Shopify answers GraphQL-level errors, throttling included, with HTTP 200 and this cost block.
        status = {
            "maximumAvailable": MAXIMUM_AVAILABLE,
            "currentlyAvailable": self.currently_available,
            "restoreRate": RESTORE_RATE,
        }
        cost = {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}
        return json_response(200, {**document, "extensions": {"cost": cost}})

    def _shop(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        return {"data": {"shop": {"name": self.shop_name}}}

    def _articles(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if not re.search(r"\$query:\s*String!", query) or not isinstance(variables.get("query"), str):
            return {"errors": [_graphql_error("Variable $query of type String! was provided invalid value")]}
        # The two filters Herald sends: handle:<handle>, and tag:<tag> (Shopify matches tags case-insensitively).
        match = re.fullmatch(r"(handle|tag):(\S+)", variables["query"].strip())
        if match and match[1] == "handle":
            found = [a for a in self.articles if a["handle"] == match[2]]
        else:
            found = [a for a in self.articles if match and match[2].lower() in {t.lower() for t in a["tags"] or []}]
        first = re.search(r"articles\(first:\s*(\d+)", query)
        return {"data": {"articles": {"nodes": [self._node(a) for a in found[: int(first[1]) if first else 1]]}}}

    def _article_create(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        if not re.search(r"\$article:\s*ArticleCreateInput!", query):
            return {"errors": [_graphql_error("Variable $article is declared by anonymous mutation but not used")]}
        given = variables.get("article")
        if not isinstance(given, dict):
            return {"errors": [_graphql_error(f"{INVALID_ARTICLE} (not an object)")]}
        unknown = [k for k in given if k not in ARTICLE_CREATE_INPUT]
        problems = [{"path": [k], "explanation": "Field is not defined on ArticleCreateInput"} for k in unknown]
        image = given.get("image")
        if image is not None and not isinstance(image, dict):
            problems.append({"path": ["image"], "explanation": "Expected value to be an ArticleImageInput object"})
        elif image is not None:
            problems += [
                {"path": ["image", k], "explanation": "Field is not defined on ArticleImageInput"}
                for k in image
                if k not in ARTICLE_IMAGE_INPUT
            ]
        for required in ("title", "author"):
            if given.get(required) is None:
                problems.append({"path": [required], "explanation": "Expected value to not be null"})
        if not isinstance(given.get("author"), dict) or not given["author"].get("name"):
            problems.append({"path": ["author", "name"], "explanation": "Expected value to not be null"})
        if problems:
            return {"errors": [_graphql_error(INVALID_ARTICLE, "INVALID_VARIABLE", value=given, problems=problems)]}
        user_errors = []
        blog = re.fullmatch(r"gid://shopify/Blog/(\d+)", str(given.get("blogId", "")))
        if not blog or blog[1] not in self.blogs:
            user_errors.append({"code": "NOT_FOUND", "field": ["article", "blogId"], "message": "Blog does not exist"})
        if not given["title"].strip():
            user_errors.append({"code": "BLANK", "field": ["article", "title"], "message": "Title can't be blank"})
        if self.refuse_taken_handles and given.get("handle") in {a["handle"] for a in self.articles}:
            user_errors.append(
                {"code": "TAKEN", "field": ["article", "handle"], "message": "Handle has already been taken"}
            )
        stored_image = None
        if image and not user_errors:
            # Shopify downloads the image from the URL while creating the article, and keeps its own copy.
            stored_image, problem = self._fetch_image(image)
            if problem:
                user_errors.append({"code": "INVALID", "field": ["article", "image", "url"], "message": problem})
        if user_errors:
            return {"data": {"articleCreate": {"article": None, "userErrors": user_errors}}}
        article = {
            "image": stored_image,
            "id": f"gid://shopify/Article/{600000000 + len(self.articles)}",
            "handle": self._unique_handle(given.get("handle") or given["title"].lower().replace(" ", "-")),
            "blog_id": blog[1],
            **{k: given.get(k) for k in ("title", "author", "body", "summary", "tags", "isPublished")},
        }
        self.articles.append(article)
        return {"data": {"articleCreate": {"article": self._node(article), "userErrors": []}}}

    def _fetch_image(self, image: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        url = image.get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return None, "Image URL is invalid"
        try:
            response = requests.get(url, timeout=10)
        except requests.RequestException:
            return None, "Image could not be downloaded"
        content_type = response.headers.get("Content-Type", "").split(";")[0]
        self.image_fetches.append((url, response.status_code, content_type))
        if response.status_code != 200 or content_type not in IMAGE_TYPES:
            return None, "Image could not be downloaded"
        cdn = f"https://cdn.shopify.com/s/files/1/0000/0001/articles/{secrets.token_hex(6)}.{content_type[6:]}"
        return {"url": cdn, "altText": image.get("altText"), "data": response.content}, None

    def _node(self, article: dict[str, Any]) -> dict[str, Any]:
        blog = {"handle": self.blogs[article["blog_id"]]}
        return {"id": article["id"], "handle": article["handle"], "tags": article["tags"] or [], "blog": blog}

    def _unique_handle(self, handle: str) -> str:
        # Shopify keeps handles unique by appending -1, -2, ... rather than refusing.
        taken = {a["handle"] for a in self.articles}
        candidate, n = handle, 0
        while candidate in taken:
            n += 1
            candidate = f"{handle}-{n}"
        return candidate


@pytest.fixture(name="shopify")
def shopify_fixture() -> Iterator[FakeShopify]:
    """Yield a started FakeShopify and stop it after the test."""
    with FakeShopify() as fake:
        yield fake
