import pytest

from webapp.adapters.base import AuthError, PermanentError, RateLimited, TransientError
from webapp.adapters.keys import marker_for
from webapp.adapters.shopify import ShopifyAdapter

from .factories import content, publish_request
from .fakes.shopify import API_PATH, FakeShopify, shopify_fixture  # noqa: F401

OK_SETTINGS = {"shop_domain": "fake-outfitters.myshopify.com", "blog_id": "241253187"}
TOKEN = {"access_token": "shpat_x"}
DOMAIN_ERROR = {"settings.shop_domain": "must be your-store.myshopify.com"}
BLOG_ERROR = {"settings.blog_id": "must be a blog id (123 or gid://shopify/Blog/123)"}


def adapter(fake: FakeShopify, *, token: str | None = None, **settings: object) -> ShopifyAdapter:
    settings = {"shop_domain": fake.url, "blog_id": fake.blog_id, **settings}
    return ShopifyAdapter(settings, {"access_token": token or fake.access_token}, timeout=5)


@pytest.mark.parametrize(
    ("settings", "credentials", "errors"),
    [
        (OK_SETTINGS, TOKEN, {}),
        ({**OK_SETTINGS, "blog_id": 241253187}, TOKEN, {}),
        ({**OK_SETTINGS, "blog_id": "gid://shopify/Blog/241253187"}, TOKEN, {}),
        ({**OK_SETTINGS, "api_version": "2025-04", "author": "Ada"}, TOKEN, {}),
        ({**OK_SETTINGS, "shop_domain": "http://127.0.0.1:8080"}, TOKEN, {}),
        ({**OK_SETTINGS, "shop_domain": "shop.example.com"}, TOKEN, DOMAIN_ERROR),
        ({**OK_SETTINGS, "shop_domain": "https://"}, TOKEN, DOMAIN_ERROR),
        ({"blog_id": "1"}, TOKEN, DOMAIN_ERROR),
        ({**OK_SETTINGS, "blog_id": "news"}, TOKEN, BLOG_ERROR),
        ({**OK_SETTINGS, "blog_id": True}, TOKEN, BLOG_ERROR),
        ({"shop_domain": OK_SETTINGS["shop_domain"]}, TOKEN, BLOG_ERROR),
        ({**OK_SETTINGS, "api_version": "latest"}, TOKEN, {"settings.api_version": "must look like 2025-01"}),
        ({**OK_SETTINGS, "author": " "}, TOKEN, {"settings.author": "is required"}),
        (OK_SETTINGS, {"access_token": ""}, {"credentials.access_token": "is required"}),
        ({}, {}, DOMAIN_ERROR | BLOG_ERROR | {"credentials.access_token": "is required"}),
    ],
)
def test_validate_config_reports_each_bad_field(settings, credentials, errors):
    assert ShopifyAdapter.validate_config(settings, credentials) == errors


def test_publish_creates_a_published_article_and_returns_its_gid_and_url(shopify):
    request = publish_request(content=content(body="# Sale\n\nAll *week*", excerpt="Deals", tags=("sale", "summer")))

    result = adapter(shopify).publish(request)

    [article] = shopify.articles
    assert (result.external_id, result.external_url) == (article["id"], f"{shopify.url}/blogs/news/hello")
    assert article["handle"] == "hello"  # the title's
    assert (article["title"], article["author"], article["isPublished"]) == ("Hello", {"name": "Herald"}, True)
    assert article["body"] == "<h1>Sale</h1>\n<p>All <em>week</em></p>\n"
    # The key's marker is a tag: Shopify's articles query filters by tag, not by metafield.
    assert (article["summary"], article["tags"]) == (
        "<p>Deals</p>\n",
        ["sale", "summer", marker_for(request.idempotency_key)],
    )


def test_publish_searches_the_marker_tag_then_the_old_handle_then_creates_with_the_token_header(shopify):
    adapter(shopify).publish(publish_request())

    by_tag, by_handle, create = (r.json() for r in shopify.requests)
    assert by_tag["variables"] == {"query": f"tag:{marker_for('pub-42-key')}"}
    assert by_handle["variables"] == {"query": f"handle:{marker_for('pub-42-key')}"}
    assert "articleCreate(article: $article)" in create["query"]
    assert all(
        r.path == API_PATH and r.headers["X-Shopify-Access-Token"] == shopify.access_token for r in shopify.requests
    )


def test_author_and_api_version_settings_are_used(shopify):
    with pytest.raises(PermanentError, match="HTTP 404"):
        adapter(shopify, api_version="2024-10").publish(publish_request())

    adapter(shopify, author="Ada Lovelace").publish(publish_request())

    assert shopify.articles[0]["author"] == {"name": "Ada Lovelace"}


def test_a_retry_after_a_lost_reply_finds_the_first_article_instead_of_creating_another(shopify):
    shopify.fail_next(503, "<html>Service unavailable</html>", after_handling=True)
    shopify_adapter = adapter(shopify)

    with pytest.raises(TransientError):
        shopify_adapter.publish(publish_request())  # the lookup's answer is lost; nothing created
    shopify.fail_next(503, "<html>Service unavailable</html>", after_handling=True, body_contains=b"articleCreate")
    with pytest.raises(TransientError):
        shopify_adapter.publish(publish_request())  # the create happened, its answer lost
    result = shopify_adapter.publish(publish_request())

    assert len(shopify.articles) == 1
    assert result.external_id == shopify.articles[0]["id"]


@pytest.mark.parametrize(
    ("fields", "handle"),
    [
        ({"title": "Summer Sale: 30% off!"}, "summer-sale-30-off"),
        ({"title": "Summer Sale", "slug": "sale-2027"}, "sale-2027"),
        ({"title": "🚀🚀"}, None),  # nothing to make a handle of: Shopify derives one itself
    ],
)
def test_the_article_handle_is_the_authors_slug_or_the_titles(shopify, fields, handle):
    adapter(shopify).publish(publish_request(content=content(**fields)))

    create = shopify.requests[-1].json()["variables"]["article"]
    assert create.get("handle") == handle


def test_an_article_made_before_readable_handles_is_found_at_its_marker_handle(shopify):
    shopify_adapter = adapter(shopify)
    shopify.articles.append(
        {"id": "gid://shopify/Article/1", "handle": marker_for("pub-42-key"), "blog_id": shopify.blog_id, "tags": []}
    )

    found = shopify_adapter.find_existing(publish_request())
    again = shopify_adapter.publish(publish_request())

    assert found.external_id == again.external_id == "gid://shopify/Article/1"
    assert len(shopify.articles) == 1


def test_two_articles_with_one_title_are_each_found_by_their_own_marker(shopify):
    shopify_adapter = adapter(shopify)
    first, second = (publish_request(idempotency_key=f"key-{n}") for n in (1, 2))

    made = [shopify_adapter.publish(request).external_id for request in (first, second)]

    assert [a["handle"] for a in shopify.articles] == ["hello", "hello-1"]
    assert [shopify_adapter.find_existing(r).external_id for r in (first, second)] == made


def test_a_handle_shopify_refuses_as_taken_is_left_to_shopify_and_the_article_is_made_once(shopify):
    shopify.refuse_taken_handles = True
    shopify_adapter = adapter(shopify)
    first, second = (publish_request(idempotency_key=f"key-{n}") for n in (1, 2))

    made = [shopify_adapter.publish(request).external_id for request in (first, second)]

    creates = [r.json()["variables"]["article"] for r in shopify.requests if b"articleCreate" in r.body]
    assert [c.get("handle") for c in creates] == ["hello", "hello", None]  # refused once, then sent without
    assert [a["handle"] for a in shopify.articles] == ["hello", "hello-1"]
    assert shopify_adapter.find_existing(second).external_id == made[1]


def test_find_existing_answers_none_before_and_the_article_after_publishing(shopify):
    shopify_adapter = adapter(shopify)

    assert shopify_adapter.find_existing(publish_request()) is None
    published = shopify_adapter.publish(publish_request())

    found = shopify_adapter.find_existing(publish_request())

    assert (found.external_id, found.external_url) == (published.external_id, published.external_url)


def test_a_wrong_token_raises_auth_error_with_shopifys_message(shopify):
    with pytest.raises(AuthError, match=r"HTTP 401 Unauthorized: \[API\] Invalid API key or access token") as caught:
        adapter(shopify, token="shpat_wrong").publish(publish_request())

    assert caught.value.http_status == 401


def test_a_missing_scope_raises_auth_error(shopify):
    shopify.scopes = {"read_content"}

    with pytest.raises(AuthError, match="Access denied for articleCreate field"):
        adapter(shopify).publish(publish_request())


def test_user_errors_raise_permanent_error_with_their_fields_and_messages(shopify):
    with pytest.raises(PermanentError, match=r"Shopify refused the article: article\.blogId: Blog does not exist"):
        adapter(shopify, blog_id="999").publish(publish_request())


def test_an_untitled_article_fails_before_anything_is_sent(shopify):
    with pytest.raises(PermanentError, match="content has no title"):
        adapter(shopify).publish(publish_request(content=content(title="")))

    assert shopify.requests == []


def test_throttled_raises_rate_limited_after_the_bucket_refills_enough(shopify):
    shopify.currently_available = 5.0  # the lookup costs 12, restored at 100/s

    with pytest.raises(RateLimited, match="Shopify throttled") as caught:
        adapter(shopify).publish(publish_request())

    assert caught.value.retry_after == 0.07
    assert caught.value.http_status == 200


def test_http_429_raises_rate_limited_with_retry_after(shopify):
    shopify.fail_next(429, {"errors": "Exceeded 2 calls per second for api client."}, headers={"Retry-After": "2"})

    with pytest.raises(RateLimited, match="Exceeded 2 calls per second") as caught:
        adapter(shopify).publish(publish_request())

    assert caught.value.retry_after == 2.0


def test_internal_graphql_error_raises_transient_error(shopify):
    error = {"message": "Internal error. Looks like something went wrong on our end.", "extensions": {}}
    error["extensions"]["code"] = "INTERNAL_SERVER_ERROR"
    shopify.fail_next(200, {"errors": [error]})

    with pytest.raises(TransientError, match="Internal error"):
        adapter(shopify).publish(publish_request())


def test_5xx_raises_transient_error(shopify):
    shopify.fail_next(502, "<html>Bad gateway</html>")

    with pytest.raises(TransientError, match="HTTP 502"):
        adapter(shopify).publish(publish_request())


def test_check_reads_the_shop_name(shopify):
    result = adapter(shopify).check()

    assert (result.ok, result.message, result.http_status) == (True, "connected to shop 'Fake Outfitters'", 200)


def test_check_fails_on_a_wrong_token(shopify):
    result = adapter(shopify, token="shpat_wrong").check()

    assert (result.ok, result.http_status) == (False, 401)
    assert "Invalid API key or access token" in result.message
