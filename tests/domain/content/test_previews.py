"""Previews: each channel's resolved text, rendered through the adapters' own payload code; user text escaped."""

from __future__ import annotations

import json

import pytest

from tests.media_files import image_bytes
from webapp.adapters.webhook import encode, publication_payload
from webapp.domain.channels import channels
from webapp.domain.content import contents, media, previews, variants

BASE = {
    "title": "Launch <b>day</b>",
    "body": "We *shipped* <script>alert(1)</script>",
    "excerpt": "Short",
    "tags": ["news"],
}


@pytest.fixture
def owner(make):
    return make.actor()


def _channel(owner, platform, settings, credentials, name=None):
    return channels.create_channel(
        owner, name=name or platform, platform=platform, settings=settings, credentials=credentials
    )


@pytest.fixture
def toot(owner):
    return _channel(owner, "mastodon", {"url": "https://social.example.test"}, {"access_token": "tok-1234"})


@pytest.fixture
def blog(owner):
    return _channel(owner, "wordpress", {"url": "https://wp.example.test"}, {"username": "a", "app_password": "b c"})


@pytest.fixture
def hook(owner):
    return _channel(owner, "webhook", {"url": "https://hooks.example.test/h"}, {"secret": "s3cret"})


def test_the_mastodon_preview_is_the_status_text_with_mastodon_s_count(toot):
    overrides = [{"platform": "mastodon", "body": "Read it: https://example.com/" + "a" * 100, "tags": ["launch"]}]
    (preview,) = previews.previews([toot], BASE, overrides)
    assert preview.kind == "status"
    assert preview.status == "Read it: https://example.com/" + "a" * 100 + "\n\n#launch"
    assert (preview.length, preview.limit, preview.problem) == (9 + 23 + 2 + 7, 500, None)
    assert preview.resolved.sources == {
        "title": "base",
        "body": "platform",
        "excerpt": "base",
        "tags": "platform",
        "slug": "base",
    }


def test_a_status_over_the_limit_says_what_mastodon_would_refuse(toot):
    (preview,) = previews.previews([toot], {**BASE, "body": "x" * 520, "tags": []}, [])
    assert preview.length == 520
    assert preview.problem == "status is 520 characters (each URL counts as 23); this instance allows 500"


def test_the_blog_preview_renders_markdown_with_raw_html_escaped_as_the_adapter_sends_it(blog):
    (preview,) = previews.previews([blog], BASE, [])
    assert preview.kind == "article"
    assert str(preview.body_html) == "<p>We <em>shipped</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_an_html_body_is_rendered_as_html_after_sanitising(blog):
    body = "Hello <b>world</b><img src=x onerror=alert(1)><script>alert(2)</script><a href='javascript:alert(3)'>j</a>"
    (preview,) = previews.previews([blog], {**BASE, "body": body, "body_format": "html"}, [])
    assert str(preview.body_html) == 'Hello <b>world</b><img src="x"><a rel="noopener noreferrer nofollow">j</a>'


def test_the_same_html_in_a_markdown_body_is_shown_as_the_text_it_is(blog):
    (preview,) = previews.previews([blog], {**BASE, "body": "Hello <b>world</b>", "body_format": "markdown"}, [])
    assert str(preview.body_html) == "<p>Hello &lt;b&gt;world&lt;/b&gt;</p>\n"


def test_a_blog_preview_without_a_title_says_the_platform_needs_one(blog):
    (preview,) = previews.previews([blog], {**BASE, "title": ""}, [])
    assert preview.problem == "content has no title; this platform requires one"


def test_the_webhook_preview_is_the_exact_body_the_adapter_would_send(hook):
    overrides = [{"channel_id": hook.id, "title": "Hook title"}]
    (preview,) = previews.previews([hook], BASE, overrides, content_id=42, content_type="social")
    sent = json.loads(preview.json_body)
    resolved = variants.resolve_for(BASE, overrides, hook)
    request = variants.sample_request(variants.payload(42, "social", resolved), hook)
    # Same bytes as the adapter's encoder, apart from the placeholder send time.
    expected = json.loads(encode(publication_payload(request)))
    assert {k: v for k, v in sent.items() if k != "scheduled_for"} == {
        k: v for k, v in expected.items() if k != "scheduled_for"
    }
    assert sent["content"] == {
        "id": 42,
        "title": "Hook title",
        "body": BASE["body"],
        "body_format": "markdown",
        "html": "<p>We <em>shipped</em> &lt;script&gt;alert(1)&lt;/script&gt;</p>\n",
        "text": "We shipped <script>alert(1)</script>",
        "excerpt": "Short",
        "content_type": "social",
        "tags": ["news"],
    }
    assert sent["channel"] == {"id": hook.id, "name": "webhook"}
    assert preview.json_body == encode(json.loads(preview.json_body)).decode()  # compact, as sent


def test_one_preview_per_channel_in_the_given_order(toot, blog, hook):
    assert [p.kind for p in previews.previews([hook, toot, blog], BASE, [])] == ["webhook", "status", "article"]


# --- the content's stored images ---------------------------------------------------------------


@pytest.fixture
def _own_media_folder(app, media_folder, monkeypatch):
    # Image URLs handed to previews start with PUBLIC_URL.
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://herald.example")


def _with_images(owner, count: int):
    content = contents.create_content(owner, title="Launch", body="The article.")
    for n in range(count):
        media.add_media(owner, content.id, image_bytes("PNG", (10 + n, 10)), f"photo-{n}.png", f"Photo <{n}>")
    return content


@pytest.mark.usefixtures("_own_media_folder")
def test_a_blog_preview_shows_the_first_image_as_featured_and_the_others_as_figures(owner, blog):
    content = _with_images(owner, 3)

    (preview,) = previews.previews([blog], BASE, [], content_id=content.id, images=content.media)

    assert preview.featured is content.media[0] and preview.featured.alt_text == "Photo <0>"
    assert list(preview.figures) == list(content.media[1:])
    assert preview.problem is None


@pytest.mark.usefixtures("_own_media_folder")
def test_a_shopify_preview_shows_its_one_article_image(owner):
    shop = _channel(
        owner, "shopify", {"shop_domain": "demo.myshopify.com", "blog_id": "1"}, {"access_token": "shpat_x"}
    )
    content = _with_images(owner, 2)

    (preview,) = previews.previews([shop], BASE, [], content_id=content.id, images=content.media)

    assert preview.images == (content.media[0],) and preview.figures == ()


@pytest.mark.usefixtures("_own_media_folder")
def test_a_mastodon_preview_attaches_up_to_four_images_and_says_when_there_are_more(owner, toot):
    content = _with_images(owner, 5)

    (preview,) = previews.previews([toot], BASE, [], content_id=content.id, images=content.media)

    assert preview.images == tuple(content.media[:4])
    assert preview.problem == "content has 5 images; a Mastodon status takes at most 4"


@pytest.mark.usefixtures("_own_media_folder")
def test_the_webhook_preview_lists_the_images_as_the_adapter_sends_them(owner, hook):
    content = _with_images(owner, 2)

    (preview,) = previews.previews([hook], BASE, [], content_id=content.id, images=content.media)

    sent = json.loads(preview.json_body)["media"]
    assert [(m["id"], m["alt_text"], m["width"]) for m in sent] == [(i.id, i.alt_text, i.width) for i in content.media]
    assert all(m["url"].startswith("https://herald.example/media/") for m in sent)


def test_without_images_a_blog_preview_has_no_featured_image(blog):
    (preview,) = previews.previews([blog], BASE, [])
    assert preview.featured is None and preview.images == ()
