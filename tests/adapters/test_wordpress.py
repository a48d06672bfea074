import html
import re
import uuid

import pytest
import requests

from webapp.adapters.base import AuthError, PermanentError
from webapp.adapters.keys import marker_for, title_slug
from webapp.adapters.wordpress import WordPressAdapter, marker_comment

from .factories import content, publish_request
from .wordpress_site import WordPressSite, wordpress_fixture, wordpress_session  # noqa: F401

LOGIN = {"username": "editor", "app_password": "abcd efgh ijkl mnop qrst uvwx"}
URL_ERROR = {"settings.url": "must be an http(s) URL"}


def adapter(site: WordPressSite, *, password: str | None = None, **settings: object) -> WordPressAdapter:
    credentials = {"username": site.user, "app_password": password or site.app_password}
    return WordPressAdapter({"url": site.url, **settings}, credentials, timeout=30)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def term_names(site: WordPressSite, taxonomy: str, ids: list[int]) -> set[str]:
    terms = site.rest("GET", f"/wp/v2/{taxonomy}", params={"include": ",".join(map(str, ids))})
    return {html.unescape(term["name"]) for term in terms}


@pytest.mark.parametrize(
    ("settings", "credentials", "errors"),
    [
        ({"url": "https://blog.example.org"}, LOGIN, {}),
        ({"url": "http://127.0.0.1:8089", "categories": ["News", "Releases"]}, LOGIN, {}),
        ({"url": "blog.example.org"}, LOGIN, URL_ERROR),
        (
            {"url": "https://b.example", "categories": "News"},
            LOGIN,
            {"settings.categories": "must be a list of category names"},
        ),
        (
            {"url": "https://b.example", "categories": [""]},
            LOGIN,
            {"settings.categories": "must be a list of category names"},
        ),
        ({"url": "https://b.example"}, {**LOGIN, "username": ""}, {"credentials.username": "is required"}),
        ({"url": "https://b.example"}, {"username": "editor"}, {"credentials.app_password": "is required"}),
        ({}, {}, URL_ERROR | {"credentials.username": "is required", "credentials.app_password": "is required"}),
    ],
)
def test_validate_config_reports_each_bad_field(settings, credentials, errors):
    assert WordPressAdapter.validate_config(settings, credentials) == errors


def test_the_app_password_is_redacted_with_and_without_its_spaces_but_the_username_is_not():
    secrets = WordPressAdapter({"url": "https://b.example"}, LOGIN).secrets

    assert secrets == ("abcd efgh ijkl mnop qrst uvwx", "abcdefghijklmnopqrstuvwx")


@pytest.mark.integration
def test_publish_creates_a_published_post_with_tags_categories_and_excerpt(wordpress):
    tag, category, title = unique("herald-tag"), unique("Herald Category"), unique("Hello WordPress")
    request = publish_request(
        idempotency_key=unique("wp-key"),
        content=content(title=title, body="Intro with **bold**", excerpt="The short version", tags=(tag,)),
    )

    result = adapter(wordpress, categories=[category]).publish(request)
    wordpress.track_post(result.external_id)

    post = wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}", params={"context": "edit"})
    for taxonomy in ("tags", "categories"):
        for term_id in post[taxonomy]:
            wordpress.track_term(taxonomy, term_id)
    assert (post["status"], post["slug"], post["link"]) == ("publish", title_slug(title), result.external_url)
    assert post["slug"].startswith("hello-wordpress-")
    assert (post["title"]["raw"], post["excerpt"]["raw"]) == (title, "The short version")
    marker = marker_for(request.idempotency_key)
    assert post["content"]["raw"] == f"<p>Intro with <strong>bold</strong></p>\n\n<!-- {marker} -->"
    assert term_names(wordpress, "tags", post["tags"]) == {tag}
    assert term_names(wordpress, "categories", post["categories"]) == {category}
    assert result.http_status == 201


@pytest.mark.integration
def test_a_second_publish_with_the_same_key_finds_the_first_post(wordpress):
    request = publish_request(idempotency_key=unique("wp-key"), content=content(tags=()))
    wordpress_adapter = adapter(wordpress)

    assert wordpress_adapter.find_existing(request) is None
    first = wordpress_adapter.publish(request)
    wordpress.track_post(first.external_id)
    second = wordpress_adapter.publish(request)
    found = wordpress_adapter.find_existing(request)

    marker = marker_for(request.idempotency_key)
    matches = wordpress.rest("GET", "/wp/v2/posts", params={"search": marker, "status": "any"})
    assert [p["id"] for p in matches] == [int(first.external_id)]
    assert second.external_id == found.external_id == first.external_id
    assert found.external_url == first.external_url


@pytest.mark.integration
def test_two_posts_with_one_title_get_distinct_slugs_and_each_is_found_by_its_own_marker(wordpress):
    title = unique("Same title")
    publish_requests = [
        publish_request(idempotency_key=unique("wp-key"), content=content(title=title)) for _ in range(2)
    ]
    wordpress_adapter = adapter(wordpress)

    made = [wordpress_adapter.publish(request) for request in publish_requests]
    for result in made:
        wordpress.track_post(result.external_id)

    slugs = [wordpress.rest("GET", f"/wp/v2/posts/{r.external_id}")["slug"] for r in made]
    assert slugs == [title_slug(title), f"{title_slug(title)}-2"]
    assert [wordpress_adapter.find_existing(r).external_id for r in publish_requests] == [r.external_id for r in made]


@pytest.mark.integration
def test_the_author_slug_wins_over_the_title(wordpress):
    slug = unique("my-chosen-slug")
    request = publish_request(idempotency_key=unique("wp-key"), content=content(title="Any title", slug=slug))

    result = adapter(wordpress).publish(request)
    wordpress.track_post(result.external_id)

    assert wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}")["slug"] == slug


@pytest.mark.integration
def test_a_post_made_before_readable_slugs_is_found_at_its_marker_slug_and_not_made_again(wordpress):
    request = publish_request(idempotency_key=unique("wp-key"))
    old = {"title": "Published by an older Herald", "status": "publish", "slug": marker_for(request.idempotency_key)}
    made = wordpress.rest("POST", "/wp/v2/posts", json=old)
    wordpress.track_post(made["id"])

    found = adapter(wordpress).find_existing(request)
    again = adapter(wordpress).publish(request)

    assert int(found.external_id) == int(again.external_id) == made["id"]


@pytest.mark.integration
def test_a_post_that_only_mentions_the_marker_in_its_text_is_not_taken_for_ours(wordpress):
    request = publish_request(idempotency_key=unique("wp-key"))
    marker = marker_for(request.idempotency_key)
    other = wordpress.rest("POST", "/wp/v2/posts", json={"title": "Quoting", "content": f"<p>{marker}</p>"})
    wordpress.track_post(other["id"])

    assert adapter(wordpress).find_existing(request) is None


@pytest.mark.integration
def test_the_marker_is_not_visible_on_the_page_nor_in_the_excerpt(wordpress):
    request = publish_request(idempotency_key=unique("wp-key"), content=content(title=unique("Visible text")))
    result = adapter(wordpress).publish(request)
    wordpress.track_post(result.external_id)
    marker = marker_for(request.idempotency_key)

    page = requests.get(result.external_url, timeout=30)
    post = wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}")

    assert page.status_code == 200 and "Body text" in page.text
    assert marker_comment(marker) in page.text  # in the HTML source, as a comment ...
    assert marker not in re.sub(r"<!--.*?-->", "", page.text, flags=re.S)  # ... and nowhere a reader sees
    assert marker not in post["excerpt"]["rendered"]


@pytest.mark.integration
def test_the_marker_survives_kses_for_a_user_without_unfiltered_html(wordpress):
    author = wordpress.user_with_role("author")
    request = publish_request(idempotency_key=unique("wp-key"))
    author_adapter = WordPressAdapter({"url": wordpress.url}, author, timeout=30)

    result = author_adapter.publish(request)
    wordpress.track_post(result.external_id)

    raw = wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}", params={"context": "edit"})["content"]["raw"]
    assert marker_comment(marker_for(request.idempotency_key)) in raw
    assert author_adapter.find_existing(request).external_id == result.external_id


@pytest.mark.integration
def test_a_tag_whose_name_wordpress_escapes_is_reused_not_duplicated(wordpress):
    tag = unique("R&D <team>")
    wordpress_adapter = adapter(wordpress)

    results = [
        wordpress_adapter.publish(publish_request(idempotency_key=unique("wp-key"), content=content(tags=(tag,))))
        for _ in range(2)
    ]
    for result in results:
        wordpress.track_post(result.external_id)

    tag_ids = [wordpress.rest("GET", f"/wp/v2/posts/{r.external_id}")["tags"] for r in results]
    wordpress.track_term("tags", tag_ids[0][0])
    assert tag_ids[0] == tag_ids[1] and len(tag_ids[0]) == 1


@pytest.mark.integration
def test_a_wrong_application_password_raises_auth_error_and_creates_nothing(wordpress):
    request = publish_request(idempotency_key=unique("wp-key"))

    with pytest.raises(AuthError, match="did not sign in") as caught:
        adapter(wordpress, password="aaaa bbbb cccc dddd eeee ffff").publish(request)

    # A rejected password leaves the request anonymous; WordPress refuses status=any with 400, not 401.
    assert caught.value.http_status == 400
    assert "rest_forbidden_status" in caught.value.response_excerpt
    assert adapter(wordpress).find_existing(request) is None


@pytest.mark.integration
def test_an_untitled_post_fails_before_anything_is_sent(wordpress):
    request = publish_request(idempotency_key=unique("wp-key"), content=content(title=" "))

    with pytest.raises(PermanentError, match="content has no title"):
        adapter(wordpress).publish(request)

    assert adapter(wordpress).find_existing(request) is None


@pytest.mark.integration
def test_check_signs_in_and_confirms_the_user_may_publish(wordpress):
    result = adapter(wordpress).check()

    assert (result.ok, result.http_status) == (True, 200)
    assert result.message.startswith("signed in as ") and result.message.endswith("; may publish posts")


@pytest.mark.integration
def test_check_fails_on_a_wrong_application_password(wordpress):
    result = adapter(wordpress, password="aaaa bbbb cccc dddd eeee ffff").check()

    assert (result.ok, result.http_status) == (False, 401)
    assert "rest_not_logged_in" in result.message or "incorrect_password" in result.message
