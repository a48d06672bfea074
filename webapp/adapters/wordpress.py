"""The WordPress platform: REST API v2 with an Application Password.

Each post goes out at a readable slug and carries its key's marker as an HTML comment at the end of
its body: invisible on the page, kept by kses for every role, and found by the REST API's search.
"""

import base64
import html
from typing import Any
from urllib.parse import urlencode

from .base import AuthError, HealthResult, MediaAttachment, PublishRequest, PublishResult, RemoteMedia
from .html import to_html
from .http import HttpResponse, raise_for_status
from .keys import marker_for, post_slug
from .media import body_figures, media_filename, media_slug, upload_once
from .sentence import Sentence
from .support import LookupFirstAdapter, base_url, check_text, check_url, require_title, result, unique_names


class WordPressAdapter(LookupFirstAdapter):
    platform = "wordpress"
    takes_slug = True

    @classmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors for the site URL, optional categories and the Application Password login."""
        errors: dict[str, str] = {}
        check_url(errors, settings)
        categories = settings.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) and c.strip() for c in categories):
            errors["settings.categories"] = Sentence("must be a list of category names")
        check_text(errors, credentials, "username")
        check_text(errors, credentials, "app_password")
        return errors

    @property
    def secrets(self) -> tuple[str, ...]:
        """Return the Application Password as shown (with spaces) and as sent; the username is not secret."""
        password = self.credentials.get("app_password")
        if not isinstance(password, str) or not password:
            return ()
        return (password, password.replace(" ", ""))

    def check_content(self, request: PublishRequest) -> None:
        """Refuse content without a title: WordPress would publish an untitled post."""
        require_title(request)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Find the post carrying the key's marker in its body (or, made before readable slugs, at the marker's slug).

        Any status but trashed; the search matches loosely, so a hit counts only if its raw body holds the comment.
        """
        marker = marker_for(request.idempotency_key)
        for query, found in (
            ({"search": marker}, lambda post: marker_comment(marker) in _raw(post.get("content"))),
            ({"slug": marker}, lambda post: True),
        ):
            response, posts = self._posts(query)
            if post := next((p for p in posts if found(p)), None):
                return result(response, post.get("id"), post.get("link"))
        return None

    def _posts(self, query: dict[str, str]) -> tuple[HttpResponse, list[dict[str, Any]]]:
        query = {**query, "status": "any", "context": "edit", "per_page": "20"}
        response = self._call("GET", "/wp/v2/posts?" + urlencode(query), check=False)
        if _forbidden_status(response):
            # A rejected Application Password leaves the request anonymous, and WordPress answers
            # an anonymous status=any with 400 rest_forbidden_status rather than 401.
            message = f"WordPress did not sign in {self.credentials['username']!r} as a user who may edit posts"
            raise AuthError(message, http_status=response.status, response_excerpt=response.excerpt)
        raise_for_status(response, self.secrets, wordpress_error)
        return response, response.json_objects()

    def create(self, request: PublishRequest) -> PublishResult:
        """Create the published post, with tags and the channel's categories looked up or created by name.

        The images go to the media library first (once per publication): the first becomes the
        featured image, the others follow the body as figures.
        """
        content = request.content
        title = require_title(request)
        uploads = [
            upload_once(request, a, lambda a=a: self._upload(request, a), lambda a=a: self._find_media(request, a))
            for a in request.media
        ]
        post: dict[str, Any] = {
            "title": title,
            "content": to_html(content.body, content.body_format)
            + body_figures(request, uploads)
            + "\n"
            + marker_comment(marker_for(request.idempotency_key)),
            "status": "publish",
            "tags": [self._term_id("tags", name) for name in unique_names(content.tags)],
        }
        if slug := post_slug(request):
            post["slug"] = slug  # a slug another post has already is made unique by WordPress (-2, -3, ...)
        if categories := unique_names(self.settings.get("categories", [])):
            post["categories"] = [self._term_id("categories", name) for name in categories]
        if content.excerpt and content.excerpt.strip():
            post["excerpt"] = content.excerpt.strip()
        if uploads:
            post["featured_media"] = int(uploads[0].remote_id)
        response = self._call("POST", "/wp/v2/posts", json=post)
        created = response.json_object() or {}
        return result(response, created.get("id"), created.get("link"))

    def _upload(self, request: PublishRequest, attachment: MediaAttachment) -> RemoteMedia:
        # The slug marks the upload, so a retry after a lost answer finds it (_find_media) instead of
        # uploading a second copy.
        fields = {"slug": media_slug(request, attachment), "alt_text": attachment.alt_text}
        file = (media_filename(request, attachment), attachment.read(), attachment.content_type)
        response = self._call("POST", "/wp/v2/media", data=fields, files={"file": file})
        return _media_result(response.json_object() or {})

    def _find_media(self, request: PublishRequest, attachment: MediaAttachment) -> RemoteMedia | None:
        query = {"slug": media_slug(request, attachment), "context": "edit"}
        found = self._call("GET", "/wp/v2/media?" + urlencode(query)).json_objects()
        return _media_result(found[0]) if found else None

    def probe(self) -> HealthResult:
        """Read the signed-in user and confirm they may publish posts."""
        response = self._call("GET", "/wp/v2/users/me?context=edit")
        user = response.json_object() or {}
        name = user.get("name") or user.get("username") or "?"
        capabilities = user.get("capabilities") if isinstance(user.get("capabilities"), dict) else {}
        if not capabilities.get("publish_posts"):
            refused = Sentence("user %(name)s may not publish posts", name=repr(name))
            return HealthResult(ok=False, message=refused, http_status=response.status)
        signed_in = Sentence("signed in as %(name)s; may publish posts", name=repr(name))
        return HealthResult(ok=True, message=signed_in, http_status=response.status)

    def _term_id(self, taxonomy: str, name: str) -> int:
        # Names come back HTML-escaped ("A &amp; B"), so compare unescaped and case-insensitively.
        response = self._call("GET", f"/wp/v2/{taxonomy}?" + urlencode({"search": name, "per_page": 100}))
        for term in response.json_objects():
            if html.unescape(str(term.get("name", ""))).casefold() == name.casefold():
                return int(term["id"])
        response = self._call("POST", f"/wp/v2/{taxonomy}", json={"name": name}, check=False)
        body = response.json_object() or {}
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        # The search misses names WordPress stores escaped; creating one then reports the existing id.
        if response.status == 400 and body.get("code") == "term_exists" and isinstance(data.get("term_id"), int):
            return data["term_id"]
        raise_for_status(response, self.secrets, wordpress_error)
        return int(body["id"])

    def _api_url(self, path: str) -> str:
        return base_url(self.settings["url"]) + "/wp-json" + path

    def _auth_headers(self) -> dict[str, str]:
        login = f"{self.credentials['username']}:{self.credentials['app_password']}"
        return {"Authorization": "Basic " + base64.b64encode(login.encode("utf-8")).decode("ascii")}

    def _error_detail(self, response: HttpResponse) -> str | None:
        return wordpress_error(response)


def marker_comment(marker: str) -> str:
    """Return the HTML comment that carries a post's marker (kses keeps comments; single hyphens survive it)."""
    return f"<!-- {marker} -->"


def _raw(field: object) -> str:
    raw = field.get("raw") if isinstance(field, dict) else None
    return raw if isinstance(raw, str) else ""


def wordpress_error(response: HttpResponse) -> str | None:
    """Read WordPress's {"code", "message", "data": {"status"}} error body."""
    body = response.json_object() or {}
    code, message = body.get("code"), body.get("message")
    if not isinstance(message, str):
        return None
    params = (body.get("data") or {}).get("params") if isinstance(body.get("data"), dict) else None
    extra = "; ".join(f"{k}: {v}" for k, v in params.items()) if isinstance(params, dict) else ""
    return f"{message}{f' ({extra})' if extra else ''} [{code}]"


def _media_result(item: dict[str, Any]) -> RemoteMedia:
    source = item.get("source_url")
    return RemoteMedia(remote_id=str(item["id"]), remote_url=source if isinstance(source, str) and source else None)


def _forbidden_status(response: HttpResponse) -> bool:
    body = response.json_object() or {}
    details = body["data"].get("details") if isinstance(body.get("data"), dict) else None
    return (
        body.get("code") == "rest_invalid_param"
        and isinstance(details, dict)
        and any(isinstance(d, dict) and d.get("code") == "rest_forbidden_status" for d in details.values())
    )
