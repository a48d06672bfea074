"""The Ghost platform: Admin API with a short-lived HS256 token; a key-derived slug marks each post."""

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any

from .base import HealthResult, MediaAttachment, PermanentError, PublishRequest, PublishResult, RemoteMedia
from .html import to_html
from .http import HttpResponse, raise_for_status
from .keys import slug_for
from .media import body_figures, media_filename, upload_once
from .support import LookupFirstAdapter, base_url, check_url, require_title, result

ADMIN_KEY = re.compile(r"^([0-9a-f]{24}):([0-9a-f]{64})$", re.IGNORECASE)
ACCEPT_VERSION = "v5.0"
TOKEN_SECONDS = 300  # Ghost refuses tokens that live longer than 5 minutes
MAX_TITLE = 255
MAX_EXCERPT = 300
MAX_IMAGE_ALT = 191  # posts_meta.feature_image_alt is a varchar(191)


class GhostAdapter(LookupFirstAdapter):
    platform = "ghost"

    @classmethod
    def validate_config(cls, settings: dict[str, Any], credentials: dict[str, Any]) -> dict[str, str]:
        """Return field errors for the admin URL and the Admin API key."""
        errors: dict[str, str] = {}
        check_url(errors, settings)
        key = credentials.get("admin_api_key")
        if not isinstance(key, str) or not key.strip():
            errors["credentials.admin_api_key"] = "is required"
        elif not ADMIN_KEY.match(key.strip()):
            errors["credentials.admin_api_key"] = "must be a custom integration's Admin API key (id:secret)"
        return errors

    def check_content(self, request: PublishRequest) -> None:
        """Refuse what Ghost would reject: no title, a title over 255 or an excerpt over 300 characters."""
        require_title(request, max_chars=MAX_TITLE)
        excerpt = (request.content.excerpt or "").strip()
        if len(excerpt) > MAX_EXCERPT:
            raise PermanentError(f"excerpt is {len(excerpt)} characters; Ghost allows at most {MAX_EXCERPT}")

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Read the post at the key's slug; Ghost's own "not found" means there is none."""
        response = self._call("GET", f"posts/slug/{slug_for(request.idempotency_key)}/", check=False)
        if response.status == 404 and _error_type(response) == "NotFoundError":
            return None
        raise_for_status(response, self.secrets, ghost_error)
        return _post_result(response)

    def create(self, request: PublishRequest) -> PublishResult:
        """Create the published post from HTML, with tags by name, the excerpt and its images.

        Images are uploaded once per publication (Ghost cannot list uploads, so the ledger is the
        only memory): the first is the feature image, the others follow the body as figures.
        """
        content = request.content
        title = require_title(request)
        uploads = [upload_once(request, a, lambda a=a: self._upload(request, a)) for a in request.media]
        post: dict[str, Any] = {
            "title": title,
            "html": to_html(content.body) + body_figures(request, uploads),
            "status": "published",
            "slug": slug_for(request.idempotency_key),
            "tags": [{"name": tag} for tag in dict.fromkeys(t.strip() for t in content.tags if t.strip())],
        }
        if content.excerpt and content.excerpt.strip():
            post["custom_excerpt"] = content.excerpt.strip()
        if uploads:
            post["feature_image"] = uploads[0].remote_url
            post["feature_image_alt"] = _shorten(request.media[0].alt_text, MAX_IMAGE_ALT)
        return _post_result(self._call("POST", "posts/?source=html", json={"posts": [post]}))

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
        return HealthResult(
            ok=True, message=f"Ghost {version} site {title!r} accepted the Admin API key", http_status=response.status
        )

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
