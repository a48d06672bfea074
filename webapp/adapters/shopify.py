"""The Shopify platform: blog articles through the Admin GraphQL API.

Each article goes out at a readable handle and carries its key's marker as a tag: the `articles`
query filters by tag (not by metafield), so a tag is what a retry can find.
"""

import re
from datetime import UTC, datetime
from typing import Any

from . import targets
from .base import (
    AuthError,
    HealthResult,
    PermanentError,
    PublishRequest,
    PublishResult,
    RateLimited,
    TransientError,
    UnknownOutcome,
)
from .html import markdown_to_html, to_html
from .http import HttpResponse, parse_retry_after, raise_for_status
from .keys import marker_for, post_slug
from .sentence import Sentence
from .support import LookupFirstAdapter, base_url, check_text, is_http_url, require_title, result, unique_names

API_VERSION = "2025-01"
DEFAULT_AUTHOR = "Herald"
SHOP_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$", re.IGNORECASE)
BLOG_ID = re.compile(r"^(gid://shopify/Blog/)?(\d+)$")
VERSION = re.compile(r"^(\d{4}-\d{2}|unstable)$")
MAX_TITLE = 255

FIND_ARTICLE = """query HeraldFindArticle($query: String!) {
  articles(first: 5, query: $query) { nodes { id handle tags blog { handle } } }
}"""
CREATE_ARTICLE = """mutation HeraldCreateArticle($article: ArticleCreateInput!) {
  articleCreate(article: $article) {
    article { id handle blog { handle } }
    userErrors { code field message }
  }
}"""
SHOP = "query HeraldShop { shop { name } }"


class ShopifyAdapter(LookupFirstAdapter):
    platform = "shopify"
    takes_slug = True

    @classmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors for the shop domain, blog id, optional api_version/author and the token."""
        errors: dict[str, str] = {}
        domain = settings.get("shop_domain")
        if not (isinstance(domain, str) and (SHOP_DOMAIN.match(domain) or is_http_url(domain))):
            errors["settings.shop_domain"] = Sentence("must be your-store.myshopify.com")
        elif refusal := targets.url_refusal(domain if "://" in domain else f"https://{domain}"):
            errors["settings.shop_domain"] = refusal
        if not BLOG_ID.match(str(settings.get("blog_id", ""))) or isinstance(settings.get("blog_id"), bool):
            errors["settings.blog_id"] = Sentence("must be a blog id (123 or gid://shopify/Blog/123)")
        if "api_version" in settings and not VERSION.match(str(settings["api_version"])):
            errors["settings.api_version"] = Sentence("must look like 2025-01")
        if "author" in settings:
            check_text(errors, settings, "author", prefix="settings")
        check_text(errors, credentials, "access_token")
        return errors

    def check_content(self, request: PublishRequest) -> None:
        """Refuse content without a title, with one over Shopify's 255 characters, or an image Shopify cannot fetch."""
        require_title(request, max_chars=MAX_TITLE)
        if request.media and not request.media[0].url:
            raise PermanentError(
                "Shopify copies the article image from a URL and Herald's media storage gives none: "
                "set PUBLIC_URL (filesystem storage) or use MEDIA_STORAGE=s3"
            )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Find the article tagged with the key's marker, or (made before readable handles) the one at the marker.

        Shopify's search index may lag a fresh article briefly.
        """
        marker = marker_for(request.idempotency_key)
        searches = (
            (f"tag:{marker}", lambda article: marker in (article.get("tags") or ())),
            (f"handle:{marker}", lambda article: article.get("handle") == marker),
        )
        for query, carries_marker in searches:
            response, data = self._graphql(FIND_ARTICLE, {"query": query})
            nodes = (data.get("articles") or {}).get("nodes") or []
            if match := next((n for n in nodes if isinstance(n, dict) and carries_marker(n)), None):
                return self._article_result(response, match)
        return None

    def create(self, request: PublishRequest) -> PublishResult:
        """Create the published article in the channel's blog, with its handle, tags, summary and first image."""
        content = request.content
        article: dict[str, Any] = {
            "blogId": f"gid://shopify/Blog/{BLOG_ID.match(str(self.settings['blog_id']))[2]}",
            "title": require_title(request),
            "author": {"name": self.settings.get("author", DEFAULT_AUTHOR).strip()},
            "body": to_html(content.body, content.body_format),
            "isPublished": True,
            "tags": [*unique_names(content.tags), marker_for(request.idempotency_key)],
        }
        if handle := post_slug(request):
            article["handle"] = handle
        if content.excerpt and content.excerpt.strip():
            article["summary"] = markdown_to_html(content.excerpt.strip())  # short text: Markdown whatever the body is
        if request.media:
            # An article has one image. Shopify fetches it from the URL within articleCreate itself, so the
            # article's handle lookup that guards the post also guards the image: no separate upload to repeat.
            first = request.media[0]
            article["image"] = {"url": first.url, "altText": first.alt_text}
        response, payload, problems = self._create_article(article)
        if "handle" in article and any(_taken_handle(p) for p in problems):
            # Refused, so nothing was made: send it again without the handle, and Shopify makes a free one.
            del article["handle"]
            response, payload, problems = self._create_article(article)
        if problems:
            refused = Sentence("Shopify refused the article: %(errors)s", errors=_user_errors(problems))
            raise PermanentError(refused, http_status=response.status)
        return self._article_result(response, payload.get("article") or {})

    def _create_article(self, article: dict[str, Any]) -> tuple[HttpResponse, dict[str, Any], list[dict[str, Any]]]:
        response, data = self._graphql(CREATE_ARTICLE, {"article": article})
        payload = data.get("articleCreate") or {}
        return response, payload, [e for e in payload.get("userErrors") or [] if isinstance(e, dict)]

    def probe(self) -> HealthResult:
        """Read the shop's name with the token."""
        response, data = self._graphql(SHOP, {})
        name = (data.get("shop") or {}).get("name", "?")
        return HealthResult(
            ok=True, message=Sentence("connected to shop %(name)s", name=repr(name)), http_status=response.status
        )

    def _graphql(self, query: str, variables: dict[str, Any]) -> tuple[HttpResponse, dict[str, Any]]:
        # check=False: a throttled or failed query can answer 200, so the body is read before the status.
        response = self._call("POST", "graphql.json", json={"query": query, "variables": variables}, check=False)
        body = response.json_object() or {}
        raw_errors = body.get("errors")
        errors = [e for e in raw_errors if isinstance(e, dict)] if isinstance(raw_errors, list) else []
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        details = {"http_status": response.status, "response_excerpt": response.excerpt}
        if "THROTTLED" in codes:  # answered 200 (or 429) with the cost bucket empty
            wait = _throttle_wait(body)
            if wait is None:
                wait = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
            raise RateLimited("Shopify throttled the request (query cost over the bucket)", retry_after=wait, **details)
        raise_for_status(response, self.secrets, shopify_error)
        if errors:
            message = f"Shopify GraphQL error: {shopify_error(response)}"
            if "ACCESS_DENIED" in codes:
                raise AuthError(message, **details)
            raise (TransientError if "INTERNAL_SERVER_ERROR" in codes else PermanentError)(message, **details)
        data = body.get("data")
        if not isinstance(data, dict):
            raise UnknownOutcome("Shopify answered without data; the request may have run", **details)
        return response, data

    def _api_url(self, path: str) -> str:
        return f"{self._origin()}/admin/api/{self.settings.get('api_version', API_VERSION)}/{path}"

    def _auth_headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self.credentials["access_token"]}

    def _error_detail(self, response: HttpResponse) -> str | None:
        return shopify_error(response)

    def _origin(self) -> str:
        domain = self.settings["shop_domain"]
        return base_url(domain) if is_http_url(domain) else f"https://{domain.lower()}"

    def _article_result(self, response: HttpResponse, article: dict[str, Any]) -> PublishResult:
        blog_handle, handle = (article.get("blog") or {}).get("handle"), article.get("handle")
        url = f"{self._origin()}/blogs/{blog_handle}/{handle}" if blog_handle and handle else None
        return result(response, article.get("id"), url)


def shopify_error(response: HttpResponse) -> str | None:
    """Read Shopify's errors: a string (REST-style 401/404) or a GraphQL list of {"message"}."""
    errors = (response.json_object() or {}).get("errors")
    if isinstance(errors, str):
        return errors
    if isinstance(errors, list):
        return "; ".join(str(e.get("message")) for e in errors if isinstance(e, dict)) or None
    return None


def _user_errors(errors: list[dict[str, Any]]) -> str:
    def one(error: dict[str, Any]) -> str:
        field = ".".join(str(f) for f in error.get("field") or [])
        return f"{field}: {error.get('message')}" if field else str(error.get("message"))

    return "; ".join(one(e) for e in errors)


def _taken_handle(error: dict[str, Any]) -> bool:
    return error.get("code") == "TAKEN" and "handle" in (error.get("field") or ())


def _throttle_wait(body: dict[str, Any]) -> float | None:
    # Seconds until the bucket holds the query's cost again: (requested - available) / restore rate.
    cost = (body.get("extensions") or {}).get("cost") or {}
    status = cost.get("throttleStatus") or {}
    requested = cost.get("requestedQueryCost")
    available, rate = status.get("currentlyAvailable"), status.get("restoreRate")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (requested, available, rate)):
        return None
    if rate <= 0:
        return None
    return round(max(0.0, (requested - available) / rate), 2)
