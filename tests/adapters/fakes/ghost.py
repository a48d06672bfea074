"""A fake Ghost 5 Admin API: verifies the Admin API JWT and answers with Ghost's bodies and errors.

Where real Ghost 5.130 surprised the adapter, the fake does the same (checked against the peer
started by shared/peers/ghost.sh, see tests/adapters/ghost_site.py): a post's tags match existing
ones by exact name ("news" beside the built-in "News" becomes a new tag, slug news-2), a "#" name
is an internal tag (slug hash-…), a name over 191 characters fails the whole post with 422, the
HTML comes back re-rendered, a create without ?source=html drops the body, and bytes that are no
image are a 400.
"""

import base64
import hashlib
import hmac
import io
import json
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image, UnidentifiedImageError

from .server import FakePlatform, Request, Response, json_response

PREFIX = "/ghost/api/admin/"
INVALID_POST = "Validation error, cannot save post."
# Ghost's image upload validation (core/server/web/api/middleware/upload.js): extensions and types for `image`.
IMAGE_TYPES = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "image/svg+xml": (".svg", ".svgz"),
}
PURPOSES = ("image", "profile_image", "icon")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_TAG_NAME = 191
BAD_IMAGE = (
    "Request not understood error, cannot upload image.",
    "Image processing failed Unable to manipulate image.",
)


def ghost_error(status: int, error_type: str, message: str, context: str | None = None, **extra: Any) -> Response:
    """Return Ghost's error envelope: {"errors": [{message, context, type, ...}]}."""
    error = {
        "message": message,
        "context": context,
        "type": error_type,
        "details": None,
        "property": None,
        "help": None,
        "code": None,
        "id": str(uuid.uuid4()),
        "ghostErrorCode": None,
        **extra,
    }
    return json_response(status, {"errors": [error]})


def _unauthorized(message: str, code: str) -> Response:
    return ghost_error(401, "UnauthorizedError", message, code=code)


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class FakeGhost(FakePlatform):
    def __init__(self) -> None:
        super().__init__()
        self.key_id = secrets.token_hex(12)
        self.secret = secrets.token_hex(32)
        self.posts: dict[str, dict[str, Any]] = {}  # by slug
        # A fresh site has the tag "News" (its welcome post's), public.
        self.tags: list[dict[str, Any]] = [_tag("News", "news")]
        self.site = {"title": "Fake Ghost", "description": "Thoughts", "logo": None, "version": "5.96"}
        self.tokens: list[dict[str, Any]] = []  # decoded (header, claims) of every accepted token
        self.images: dict[str, dict[str, Any]] = {}  # stored images by path under /content/images/

    @property
    def admin_api_key(self) -> str:
        """Return the key a custom integration shows: "id:secret"."""
        return f"{self.key_id}:{self.secret}"

    @property
    def site_url(self) -> str:
        return f"{self.url}/"

    def route(self, request: Request) -> Response:
        if not request.path.startswith(PREFIX):
            return Response(404, b"<html>Not found</html>", {"Content-Type": "text/html"})
        resource = request.path[len(PREFIX) :]
        if request.method == "GET" and resource == "site/":  # the one unauthenticated endpoint
            return json_response(200, {"site": {**self.site, "url": self.site_url}})
        if failure := self._authenticate(request):
            return failure
        if request.method == "GET" and resource == "posts/":
            return self._browse_posts(request)
        if request.method == "GET" and resource == "tags/":
            wanted = request.query.get("filter", [""])[0].removeprefix("visibility:") or None
            tags = [{k: t[k] for k in ("id", "name", "slug", "visibility")} for t in self.tags]
            tags = [t for t in tags if wanted in (None, t["visibility"])]
            pagination = {"page": 1, "limit": "all", "pages": 1, "total": len(tags), "next": None, "prev": None}
            return json_response(200, {"tags": tags, "meta": {"pagination": pagination}})
        if request.method == "GET" and resource.startswith("posts/slug/"):
            post = self.posts.get(resource[len("posts/slug/") :].strip("/"))
            if post is None:
                return ghost_error(404, "NotFoundError", "Post not found.")
            return json_response(200, {"posts": [post]})
        if request.method == "POST" and resource == "posts/":
            return self._create(request)
        if match := re.fullmatch(r"(posts|tags)/([0-9a-f]{24})/", resource):
            return self._one(request.method, match[1], match[2])
        if request.method == "POST" and resource == "images/upload/":
            return self._upload_image(request)
        return ghost_error(404, "NotFoundError", "Resource not found")

    def _browse_posts(self, request: Request) -> Response:
        # Every status (the Admin API's default); filter "tag:<slug>" is the one NQL filter the adapter sends.
        limit = int(request.query.get("limit", ["15"])[0])
        posts = list(self.posts.values())
        if wanted := request.query.get("filter", [""])[0]:
            match = re.fullmatch(r"tags?:([a-z0-9-]+)", wanted)
            posts = [p for p in posts if match and match[1] in {t["slug"] for t in p["tags"]}]
        fields = request.query.get("fields", ["id"])[0].split(",")
        found = [{f: p.get(f) for f in fields} for p in posts[:limit]]
        pagination = {"page": 1, "limit": limit, "pages": 1, "total": len(posts), "next": None, "prev": None}
        return json_response(200, {"posts": found, "meta": {"pagination": pagination}})

    def _one(self, method: str, kind: str, record_id: str) -> Response:
        # Read or delete one post (with its tags and HTML, as ?formats=html&include=tags gives them) or tag.
        records = self.posts if kind == "posts" else {t["id"]: t for t in self.tags}
        found = next((key for key, r in records.items() if r["id"] == record_id), None)
        if found is None:
            return ghost_error(404, "NotFoundError", "Resource not found error, cannot read post.")
        if method == "GET":
            return json_response(200, {kind: [records[found]]})
        if method == "DELETE":
            if kind == "posts":
                del self.posts[found]
            else:
                self.tags.remove(records[found])
            return Response(204)
        return ghost_error(404, "NotFoundError", "Resource not found")

    def _upload_image(self, request: Request) -> Response:
        if len(request.body) > MAX_UPLOAD_BYTES:
            return ghost_error(413, "RequestEntityTooLargeError", "Request was larger than the maximum file size")
        fields, files = request.multipart()
        file = files.get("file")
        if file is None or not file.data:
            return ghost_error(422, "ValidationError", "Please select an image.")
        purpose = fields.get("purpose", "image")
        if purpose not in PURPOSES:
            return ghost_error(422, "ValidationError", f"Validation error, cannot upload image. purpose: {purpose}")
        name, _, extension = file.filename.rpartition(".")
        if not name or f".{extension.lower()}" not in IMAGE_TYPES.get(file.content_type, ()):
            return ghost_error(415, "UnsupportedMediaTypeError", "Please select a valid image.")
        if not file.content_type.startswith("image/svg") and not _decodes(file.data):
            return ghost_error(400, "BadRequestError", *BAD_IMAGE, help="Please verify that the image is valid")
        # Ghost's local storage keeps images under /content/images/YYYY/MM/ and makes names unique with -1, -2, ...
        folder = time.strftime("%Y/%m")
        candidate, n = f"{folder}/{name}.{extension}", 0
        while candidate in self.images:
            n += 1
            candidate = f"{folder}/{name}-{n}.{extension}"
        url = f"{self.url}/content/images/{candidate}"
        self.images[candidate] = {"url": url, "data": file.data, "content_type": file.content_type}
        return json_response(201, {"images": [{"url": url, "ref": fields.get("ref")}]})

    def _authenticate(self, request: Request) -> Response | None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme != "Ghost" or not token:
            return _unauthorized('Authorization header format is "Authorization: Ghost [token]"', "INVALID_AUTH_HEADER")
        try:
            header_b64, claims_b64, signature_b64 = token.split(".")
            header, claims = json.loads(_b64decode(header_b64)), json.loads(_b64decode(claims_b64))
        except ValueError:
            return _unauthorized("Invalid JWT", "INVALID_JWT")
        if header.get("kid") != self.key_id:
            return _unauthorized("Unknown Admin API Key", "UNKNOWN_ADMIN_API_KEY")
        if header.get("alg") != "HS256":
            return _unauthorized("Invalid token: invalid algorithm", "INVALID_JWT")
        expected = hmac.new(bytes.fromhex(self.secret), f"{header_b64}.{claims_b64}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _b64decode(signature_b64)):
            return _unauthorized("Invalid token: invalid signature", "INVALID_JWT")
        now = time.time()
        if claims.get("aud") != "/admin/":
            return _unauthorized("Invalid token: jwt audience invalid. expected: /admin/", "INVALID_JWT")
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= now:
            return _unauthorized("Invalid token: jwt expired", "INVALID_JWT")
        if not isinstance(claims.get("iat"), int) or claims["iat"] > now + 5 or claims["exp"] - claims["iat"] > 300:
            return _unauthorized("Invalid token: maxAge exceeded", "INVALID_JWT")
        self.tokens.append({"header": header, "claims": claims})
        return None

    def _create(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict) or not isinstance(body.get("posts"), list) or len(body["posts"]) != 1:
            return ghost_error(422, "ValidationError", INVALID_POST, "No root key ('posts')")
        given = body["posts"][0]
        title = given.get("title") or ""
        limits = (
            ("title", title, 255),
            ("custom_excerpt", given.get("custom_excerpt") or "", 300),
            ("feature_image_alt", given.get("feature_image_alt") or "", 191),
        )
        for field, value, limit in limits:
            if len(value) > limit:
                context = f"Value in [posts.{field}] exceeds maximum length of {limit} characters."
                return ghost_error(422, "ValidationError", INVALID_POST, context, property=field)
        if not title.strip():
            context = "Value in [posts.title] cannot be blank."
            return ghost_error(422, "ValidationError", INVALID_POST, context, property="title")
        names = [t.get("name") or "" for t in given.get("tags") or []]
        if any(len(name) > MAX_TAG_NAME for name in names):
            return ghost_error(422, "ValidationError", INVALID_POST, "Validation failed for name.", property="name")
        slug = self._unique_slug(given.get("slug") or title.lower().replace(" ", "-"))
        # Without ?source=html Ghost reads only its own Lexical field: the HTML body is dropped, silently.
        html = _rerender(given.get("html") or "") if request.query.get("source") == ["html"] else None
        post = {
            "id": secrets.token_hex(12),
            "uuid": str(uuid.uuid4()),
            "title": title,
            "slug": slug,
            "html": html,
            "status": given.get("status", "draft"),
            "custom_excerpt": given.get("custom_excerpt"),
            "feature_image": given.get("feature_image"),
            "feature_image_alt": given.get("feature_image_alt"),
            "tags": [self._tag_named(name) for name in names],
            "url": f"{self.site_url}{slug}/",
        }
        self.posts[slug] = post
        # Like Ghost, the answer leaves the HTML out unless ?formats=html asks for it.
        return json_response(201, {"posts": [{**post, "html": html if "formats" in request.query else None}]})

    def _tag_named(self, name: str) -> dict[str, Any]:
        # An exact (case-sensitive) name match, or a new tag at the next free slug.
        if found := next((t for t in self.tags if t["name"] == name), None):
            return found
        base = ("hash-" + name[1:] if name.startswith("#") else name).lower().replace(" ", "-")
        taken, candidate, n = {t["slug"] for t in self.tags}, base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        tag = _tag(name, candidate)
        self.tags.append(tag)
        return tag

    def _unique_slug(self, slug: str) -> str:
        # Ghost never refuses a taken slug: it appends -2, -3, ...
        candidate, n = slug, 1
        while candidate in self.posts:
            n += 1
            candidate = f"{slug}-{n}"
        return candidate


def _tag(name: str, slug: str) -> dict[str, Any]:
    visibility = "internal" if name.startswith("#") else "public"
    return {"id": secrets.token_hex(12), "name": name, "slug": slug, "visibility": visibility}


def _decodes(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, ValueError):
        return False
    return True


def _rerender(html: str) -> str:
    # Ghost stores the HTML as Lexical and renders it again: no whitespace between blocks, ids on headings.
    html = re.sub(r"(</(?:p|h[1-6]|ul|ol|blockquote|pre|figure)>)\s+<", r"\1<", html.strip())
    return re.sub(
        r"<h([1-6])>(.*?)</h\1>",
        lambda m: f'<h{m[1]} id="{re.sub(r"[^a-z0-9]+", "-", m[2].lower()).strip("-")}">{m[2]}</h{m[1]}>',
        html,
    )


@pytest.fixture(name="ghost")
def ghost_fixture() -> Iterator[FakeGhost]:
    """Yield a started FakeGhost and stop it after the test."""
    with FakeGhost() as fake:
        yield fake
