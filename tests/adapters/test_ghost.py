import base64
import json

import pytest

from webapp.adapters import get_adapter
from webapp.adapters.base import AuthError, PermanentError, RateLimited, TransientError
from webapp.adapters.ghost import GhostAdapter, admin_token
from webapp.adapters.html import to_text
from webapp.adapters.keys import marker_for

from .factories import closed_port_url, content, publish_request
from .fakes.ghost import FakeGhost, ghost_fixture  # noqa: F401

KEY = "0123456789abcdef01234567:" + "ab" * 32
KEY_ERROR = {"credentials.admin_api_key": "must be a custom integration's Admin API key (id:secret)"}


def adapter(fake: FakeGhost, *, key: str | None = None) -> GhostAdapter:
    return GhostAdapter({"url": fake.url}, {"admin_api_key": key or fake.admin_api_key}, timeout=5)


def _claims(token: str) -> tuple[dict, dict]:
    header, claims, _ = token.split(".")
    decode = lambda part: json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))  # noqa: E731
    return decode(header), decode(claims)


@pytest.mark.parametrize(
    ("settings", "credentials", "errors"),
    [
        ({"url": "https://blog.example.org"}, {"admin_api_key": KEY}, {}),
        ({"url": "https://example.org/blog/"}, {"admin_api_key": KEY.upper()}, {}),
        ({"url": "blog.example.org"}, {"admin_api_key": KEY}, {"settings.url": "must be an http(s) URL"}),
        ({}, {"admin_api_key": KEY}, {"settings.url": "must be an http(s) URL"}),
        ({"url": "https://b.example"}, {}, {"credentials.admin_api_key": "is required"}),
        ({"url": "https://b.example"}, {"admin_api_key": "  "}, {"credentials.admin_api_key": "is required"}),
        ({"url": "https://b.example"}, {"admin_api_key": "22444f78447824223cefc48062"}, KEY_ERROR),  # a Content API key
        ({"url": "https://b.example"}, {"admin_api_key": KEY[:-1] + "z"}, KEY_ERROR),
    ],
)
def test_validate_config_reports_each_bad_field(settings, credentials, errors):
    assert GhostAdapter.validate_config(settings, credentials) == errors


def test_admin_token_is_hs256_with_kid_admin_audience_and_five_minutes():
    header, claims = _claims(admin_token(KEY, now=1_800_000_000))

    assert header == {"alg": "HS256", "typ": "JWT", "kid": "0123456789abcdef01234567"}
    assert claims == {"iat": 1_800_000_000, "exp": 1_800_000_300, "aud": "/admin/"}


def test_registry_builds_a_ghost_adapter():
    assert isinstance(get_adapter("ghost", {"url": "https://b.example"}, {"admin_api_key": KEY}), GhostAdapter)


def test_publish_creates_a_published_html_post_and_returns_its_id_and_url(ghost):
    request = publish_request(content=content(body="Hello **world**", excerpt="Short", tags=("news", "Launch")))

    result = adapter(ghost).publish(request)

    post = ghost.posts["hello"]  # the title's slug
    assert (result.external_id, result.external_url, result.http_status) == (post["id"], post["url"], 201)
    assert post["status"] == "published"
    assert to_text(post["html"], "html") == "Hello world"  # Ghost renders the HTML again: the text is what survives
    assert post["custom_excerpt"] == "Short"
    # "news" joins the site's own "News"; the key's marker is an internal tag.
    assert [t["name"] for t in post["tags"]] == ["News", "Launch", f"#{marker_for(request.idempotency_key)}"]


def test_publish_looks_the_key_up_by_tag_then_by_the_old_slug_before_creating_with_a_valid_admin_token(ghost):
    adapter(ghost).publish(publish_request())

    marker = marker_for("pub-42-key")
    assert [(r.method, r.path) for r in ghost.requests] == [
        ("GET", "/ghost/api/admin/posts/"),
        ("GET", f"/ghost/api/admin/posts/slug/{marker}/"),
        ("GET", "/ghost/api/admin/tags/"),
        ("POST", "/ghost/api/admin/posts/"),
    ]
    assert ghost.requests[0].query["filter"] == [f"tag:hash-{marker}"]
    assert ghost.requests[2].query["filter"] == ["visibility:public"]  # not the markers: one per post
    assert ghost.requests[3].query == {"source": ["html"]}
    assert all(r.headers["Accept-Version"] == "v5.0" for r in ghost.requests)
    assert [t["header"]["kid"] for t in ghost.tokens] == [ghost.key_id] * 4


def test_content_without_tags_skips_the_tag_lookup(ghost):
    adapter(ghost).publish(publish_request(content=content(tags=())))

    assert ("GET", "/ghost/api/admin/tags/") not in [(r.method, r.path) for r in ghost.requests]


def test_a_retry_after_a_lost_reply_finds_the_first_post_instead_of_creating_another(ghost):
    ghost.fail_next(502, "<html>Bad Gateway</html>", method="POST", after_handling=True)
    ghost_adapter = adapter(ghost)

    with pytest.raises(TransientError):
        ghost_adapter.publish(publish_request())
    result = ghost_adapter.publish(publish_request())

    assert len(ghost.posts) == 1
    assert result.external_id == next(iter(ghost.posts.values()))["id"]


def test_find_existing_answers_none_before_and_the_post_after_publishing(ghost):
    ghost_adapter = adapter(ghost)

    assert GhostAdapter.supports_lookup is True
    assert ghost_adapter.find_existing(publish_request()) is None
    published = ghost_adapter.publish(publish_request())
    found = ghost_adapter.find_existing(publish_request())

    assert (found.external_id, found.external_url) == (published.external_id, published.external_url)


def test_a_wrong_secret_raises_auth_error_with_ghosts_message(ghost):
    wrong = f"{ghost.key_id}:{'cd' * 32}"

    with pytest.raises(AuthError, match="Invalid token: invalid signature") as caught:
        adapter(ghost, key=wrong).publish(publish_request())

    assert caught.value.http_status == 401
    assert ghost.posts == {}


def test_an_unknown_key_id_raises_auth_error(ghost):
    with pytest.raises(AuthError, match="Unknown Admin API Key"):
        adapter(ghost, key=KEY).publish(publish_request())


def test_a_validation_error_raises_permanent_error_with_ghosts_message_and_context(ghost):
    body = {"errors": [{"message": "Validation error, cannot save post.", "context": "Value in [posts.html] is bad."}]}
    ghost.fail_next(422, body, method="POST")

    with pytest.raises(PermanentError, match=r"Validation error, cannot save post\. Value in \[posts.html\] is bad"):
        adapter(ghost).publish(publish_request())


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "   "}, "content has no title"),
        ({"title": "x" * 256}, "title is 256 characters; this platform allows at most 255"),
        ({"excerpt": "x" * 301}, "excerpt is 301 characters; Ghost allows at most 300"),
        ({"tags": ("ok", "#" + "t" * 192)}, "is 192 characters; Ghost allows at most 191"),
        ({"slug": "s" * 192}, "slug is 192 characters; Ghost allows at most 191"),
    ],
)
def test_content_ghost_would_refuse_fails_before_anything_is_sent(ghost, fields, message):
    with pytest.raises(PermanentError, match=message):
        adapter(ghost).publish(publish_request(content=content(**fields)))

    assert ghost.requests == []


def test_429_raises_rate_limited_with_retry_after(ghost):
    body = {"errors": [{"message": "Too many attempts.", "type": "TooManyRequestsError"}]}
    ghost.fail_next(429, body, headers={"Retry-After": "60"})

    with pytest.raises(RateLimited, match="Too many attempts") as caught:
        adapter(ghost).publish(publish_request())

    assert caught.value.retry_after == 60.0


def test_5xx_raises_transient_error(ghost):
    body = {"errors": [{"message": "Internal server error", "type": "InternalServerError"}]}
    ghost.fail_next(500, body, method="POST")

    with pytest.raises(TransientError, match="Internal server error"):
        adapter(ghost).publish(publish_request())


def test_check_reports_the_site_when_the_key_is_accepted(ghost):
    result = adapter(ghost).check()

    assert (result.ok, result.http_status) == (True, 200)
    assert result.message == "Ghost 5.96 site 'Fake Ghost' accepted the Admin API key"


def test_check_fails_on_a_wrong_key_although_the_site_endpoint_is_public(ghost):
    result = adapter(ghost, key=f"{ghost.key_id}:{'cd' * 32}").check()

    assert (result.ok, result.http_status) == (False, 401)
    assert "Invalid token: invalid signature" in result.message


def test_check_reports_an_unreachable_site():
    result = GhostAdapter({"url": closed_port_url()}, {"admin_api_key": KEY}, timeout=2).check()

    assert not result.ok
    assert result.message.startswith("could not connect")


def test_check_reports_an_invalid_configuration_without_calling():
    result = GhostAdapter({"url": "nope"}, {"admin_api_key": KEY}).check()

    assert (result.ok, result.message) == (False, "invalid channel configuration: settings.url must be an http(s) URL")
