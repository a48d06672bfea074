"""The Ghost platform: Admin API with a short-lived HS256 token.

Each post goes out at a readable slug and carries its key's marker as an internal tag (`#herald-…`,
slug `hash-herald-…`): hidden from readers and themes, found by the Admin API's `tag:` filter.
"""

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from .base import HealthResult, MediaAttachment, PermanentError, PublishRequest, PublishResult, RemoteMedia
from .html import to_html
from .http import HttpResponse, raise_for_status
from .keys import marker_for, post_slug
from .media import body_figures, media_filename, upload_once
from .sentence import Sentence
from .support import LookupFirstAdapter, base_url, check_url, require_title, result, unique_names

ADMIN_KEY = re.compile(r"^([0-9a-f]{24}):([0-9a-f]{64})$", re.IGNORECASE)
ACCEPT_VERSION = "v5.0"
TOKEN_SECONDS = 300  # Ghost refuses tokens that live longer than 5 minutes
MAX_TITLE = 255
MAX_EXCERPT = 300
MAX_IMAGE_ALT = 191  # posts_meta.feature_image_alt is a varchar(191)
MAX_TAG = 191  # tags.name is a varchar(191): a longer one fails the whole post with 422
MAX_SLUG = 191  # posts.slug is a varchar(191)
INTERNAL = "#"  # Ghost hides a tag whose name starts with "#" (visibility "internal")


class GhostAdapter(LookupFirstAdapter):
    platform = "ghost"
    takes_slug = True

    @classmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors for the admin URL and the Admin API key."""
        errors: dict[str, str] = {}
        check_url(errors, settings)
        key = credentials.get("admin_api_key")
        if not isinstance(key, str) or not key.strip():
            errors["credentials.admin_api_key"] = Sentence("is required")
        elif not ADMIN_KEY.match(key.strip()):
            errors["credentials.admin_api_key"] = Sentence("must be a custom integration's Admin API key (id:secret)")
        return errors

    def check_content(self, request: PublishRequest) -> None:
        """Refuse what Ghost would reject: no title, a title over 255, an excerpt over 300, a tag or slug over 191."""
        require_title(request, max_chars=MAX_TITLE)
        excerpt = (request.content.excerpt or "").strip()
        if len(excerpt) > MAX_EXCERPT:
            raise PermanentError(
                Sentence(
                    "excerpt is %(length)s characters; Ghost allows at most %(limit)s",
                    length=len(excerpt),
                    limit=MAX_EXCERPT,
                )
            )
        if too_long := next((t for t in public_tags(request.content.tags) if len(t) > MAX_TAG), None):
            raise PermanentError(
                Sentence(
                    "tag %(tag)s… is %(length)s characters; Ghost allows at most %(limit)s",
                    tag=repr(too_long[:40]),
                    length=len(too_long),
                    limit=MAX_TAG,
                )
            )
        if len(request.content.slug or "") > MAX_SLUG:
            raise PermanentError(
                Sentence(
                    "slug is %(length)s characters; Ghost allows at most %(limit)s",
                    length=len(request.content.slug),
                    limit=MAX_SLUG,
                )
            )

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Find the post with the key's internal tag, or (made before readable slugs) the one at the marker's slug."""
        marker = marker_for(request.idempotency_key)
        query = {"filter": f"tag:{tag_slug(marker)}", "limit": "1", "fields": "id,url"}
        response = self._call("GET", "posts/?" + urlencode(query))
        if (response.json_object() or {}).get("posts"):
            return _post_result(response)
        response = self._call("GET", f"posts/slug/{marker}/", check=False)
        if response.status == 404 and _error_type(response) == "NotFoundError":
            return None
        raise_for_status(response, self.secrets, ghost_error)
        return _post_result(response)

    def create(self, request: PublishRequest) -> PublishResult:
        """Create the published post from HTML, with its tags, the excerpt, its images and the marker's internal tag.

        Images are uploaded once per publication (Ghost cannot list uploads, so the ledger is the
        only memory): the first is the feature image, the others follow the body as figures.
        """
        content = request.content
        title = require_title(request)
        tags = self._existing_names(public_tags(content.tags))
        uploads = [upload_once(request, a, lambda a=a: self._upload(request, a)) for a in request.media]
        post: dict[str, Any] = {
            "title": title,
            "html": to_html(content.body, content.body_format) + body_figures(request, uploads),
            "status": "published",
            "tags": [{"name": tag} for tag in [*tags, INTERNAL + marker_for(request.idempotency_key)]],
        }
        if slug := post_slug(request):
            post["slug"] = slug  # a slug another post has already is made unique by Ghost (-2, -3, ...)
        if content.excerpt and content.excerpt.strip():
            post["custom_excerpt"] = content.excerpt.strip()
        if uploads:
            post["feature_image"] = uploads[0].remote_url
            post["feature_image_alt"] = _shorten(request.media[0].alt_text, MAX_IMAGE_ALT)
        # Without ?source=html Ghost keeps only its own Lexical field and silently drops the HTML body.
        return _post_result(self._call("POST", "posts/?source=html", json={"posts": [post]}))

    def _existing_names(self, names: list[str]) -> list[str]:
        # Ghost matches a tag name exactly (on SQLite, case too): "news" beside its own "News" would
        # become a second tag, "news-2". Use the spelling the site already has.
        if not names:
            return names
        # Public ones only: the internal tags (one #herald- marker per post) would make the answer grow without end.
        query = {"limit": "all", "fields": "id,name", "filter": "visibility:public"}
        response = self._call("GET", "tags/?" + urlencode(query))
        tags = (response.json_object() or {}).get("tags")
        known = {
            t["name"].casefold(): t["name"]
            for t in tags or []
            if isinstance(t, dict) and isinstance(t.get("name"), str)
        }
        return list(dict.fromkeys(known.get(name.casefold(), name) for name in names))

    def _upload(self, request: PublishRequest, attachment: MediaAttachment) -> RemoteMedia:
        filename = media_filename(request, attachment)
        fields, file = {"purpose": "image", "ref": filename}, (filename, attachment.read(), attachment.content_type)
        response = self._call("POST", "images/upload/", data=fields, files={"file": file})
        images = (response.json_object() or {}).get("images")
        url = images[0].get("url") if isinstance(images, list) and images and isinstance(images[0], dict) else None
        if not isinstance(url, str) or not url:
            raise PermanentError("Ghost accepted the image but answered no URL", http_status=response.status)
        return RemoteMedia(remote_id=url, remote_url=url)

    def probe(self) -> HealthResult:
        """Read the site (public) and one post id (needs a valid key), so a wrong key fails the check."""
        site = (self._call("GET", "site/").json_object() or {}).get("site") or {}
        response = self._call("GET", "posts/?limit=1&fields=id")
        title, version = site.get("title", "?"), site.get("version", "?")
        message = Sentence(
            "Ghost %(version)s site %(title)s accepted the Admin API key", version=version, title=repr(title)
        )
        return HealthResult(ok=True, message=message, http_status=response.status)

    def _api_url(self, path: str) -> str:
        return f"{base_url(self.settings['url'])}/ghost/api/admin/{path}"

    def _auth_headers(self) -> dict[str, str]:
        # A fresh 5-minute JWT per request, so a long retry chain never sends an expired one.
        return {
            "Authorization": f"Ghost {admin_token(self.credentials['admin_api_key'].strip())}",
            "Accept-Version": ACCEPT_VERSION,
        }

    def _error_detail(self, response: HttpResponse) -> str | None:
        return ghost_error(response)


def admin_token(admin_api_key: str, now: float | None = None) -> str:
    """Return a Ghost Admin API JWT: kid = key id, HS256 with the hex-decoded secret, aud /admin/, 5 minutes."""
    key_id, secret = admin_api_key.split(":", 1)
    issued = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT", "kid": key_id}
    claims = {"iat": issued, "exp": issued + TOKEN_SECONDS, "aud": "/admin/"}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(bytes.fromhex(secret), signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def ghost_error(response: HttpResponse) -> str | None:
    """Read Ghost's {"errors": [{"message", "context", "type"}]} error body."""
    first = _first_error(response)
    message = first.get("message")
    if not isinstance(message, str):
        return None
    context = first.get("context")
    return f"{message} {context}" if isinstance(context, str) and context else message


def public_tags(tags: tuple[str, ...]) -> list[str]:
    """Return the content's tags as public ones: without a leading "#" (Ghost would hide the tag), each name once."""
    return unique_names(t.strip().lstrip(INTERNAL) for t in tags)


def tag_slug(name: str) -> str:
    """Return the slug Ghost gives an internal tag named "#" + name (name already lowercase, digits and hyphens)."""
    return f"hash-{name}"


def _first_error(response: HttpResponse) -> dict[str, Any]:
    errors = (response.json_object() or {}).get("errors")
    return errors[0] if isinstance(errors, list) and errors and isinstance(errors[0], dict) else {}


def _error_type(response: HttpResponse) -> object:
    return _first_error(response).get("type")


def _post_result(response: HttpResponse) -> PublishResult:
    posts = (response.json_object() or {}).get("posts")
    post = posts[0] if isinstance(posts, list) and posts and isinstance(posts[0], dict) else {}
    return result(response, post.get("id"), post.get("url"))


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
