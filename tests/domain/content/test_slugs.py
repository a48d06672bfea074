"""Readable slugs: made from the title, or the author's own on the content or a variant (which wins)."""

from __future__ import annotations

import pytest

from tests.adapters.factories import content as payload
from tests.adapters.factories import publish_request
from webapp.adapters.keys import post_slug, title_slug
from webapp.core.errors import ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import contents, variants
from webapp.domain.content.slugs import SLUG_PROBLEM, slug_problem
from webapp.extensions import db
from webapp.models import Content

WORDPRESS = ({"url": "https://blog.example.test"}, {"username": "ed", "app_password": "abcd efgh ijkl mnop"})
GHOST = ({"url": "https://ghost.example.test"}, {"admin_api_key": "6489ab6489ab6489ab6489ab:" + "ab" * 32})


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Hello WordPress", "hello-wordpress"),
        ("  Spring Sale: 50% off!  ", "spring-sale-50-off"),
        ("Don't stop — it’s 2027", "dont-stop-its-2027"),
        ("R&D notes", "r-and-d-notes"),
        ("Café déjà vu", "cafe-deja-vu"),
        ("Straße in München", "strasse-in-munchen"),
        ("Привет, мир", "privet-mir"),
        ("你好世界", "ni-hao-shi-jie"),
        ("Ελληνικά νέα", "ellenika-nea"),
        ("multiple   spaces---and___underscores", "multiple-spaces-and-underscores"),
        ("🚀🚀", ""),
        ("word " * 30, "word-" * 15 + "word"),  # stops at a word boundary within 80 characters
    ],
)
def test_a_title_becomes_a_lowercase_ascii_slug(title, slug):
    assert title_slug(title) == slug


@pytest.mark.parametrize(
    ("fields", "slug"),
    [
        ({"title": "Launch day"}, "launch-day"),
        ({"title": "Launch day", "slug": "our-launch"}, "our-launch"),  # the author's slug wins
        ({"title": "🎉", "slug": None}, None),  # nothing to make a slug of: the platform picks one
    ],
)
def test_the_post_slug_is_the_authors_or_the_titles(fields, slug):
    assert post_slug(publish_request(content=payload(**fields))) == slug


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("spring-sale-2027", None),
        ("a", None),
        ("x" * 200, None),
        ("x" * 201, "must be at most 200 characters"),
        ("Spring-Sale", SLUG_PROBLEM),
        ("spring sale", SLUG_PROBLEM),
        ("spring--sale", SLUG_PROBLEM),
        ("-spring", SLUG_PROBLEM),
        ("spring-", SLUG_PROBLEM),
        ("café", SLUG_PROBLEM),
        ("spring/sale", SLUG_PROBLEM),
        (42, "must be text"),
    ],
)
def test_a_slug_is_lowercase_letters_digits_and_single_hyphens(value, problem):
    assert slug_problem(value) == problem


@pytest.fixture
def owner(make):
    return make.actor()


@pytest.fixture
def blogs(owner):
    return {
        name: channels.create_channel(owner, name=name, platform=platform, settings=settings, credentials=credentials)
        for name, platform, (settings, credentials) in (
            ("Blog", "wordpress", WORDPRESS),
            ("Other blog", "wordpress", WORDPRESS),
            ("Ghost blog", "ghost", GHOST),
        )
    }


@pytest.mark.parametrize(
    ("channel", "slug"),
    [
        ("Blog", "blog-only"),  # the channel's variant wins
        ("Other blog", "every-wordpress"),  # then the platform's
        ("Ghost blog", "base-slug"),  # then the item's own
    ],
)
def test_the_variant_slug_wins_over_the_items(owner, blogs, channel, slug):
    item = contents.create_content(
        owner,
        title="Title",
        slug="base-slug",
        variants=[
            {"platform": "wordpress", "slug": "every-wordpress"},
            {"channel_id": blogs["Blog"].id, "slug": "blog-only"},
        ],
    )

    assert variants.resolve(item, blogs[channel]).slug == slug


def test_without_any_slug_the_payload_has_none_and_the_adapter_uses_the_title(owner, blogs):
    item = contents.create_content(owner, title="Plain title")

    resolved = variants.resolve(item, blogs["Blog"])

    assert resolved.slug is None
    assert post_slug(publish_request(content=resolved)) == "plain-title"


def test_a_bad_slug_is_refused_with_its_field_and_nothing_is_stored(owner):
    with pytest.raises(ValidationFailed) as error:
        contents.create_content(owner, title="T", slug="Not A Slug")

    assert error.value.fields == {"slug": SLUG_PROBLEM}
    db.session.rollback()
    assert db.session.query(Content).count() == 0


def test_a_bad_variant_slug_is_refused_under_its_target(owner, blogs):
    with pytest.raises(ValidationFailed) as error:
        contents.create_content(owner, title="T", variants=[{"platform": "wordpress", "slug": "a b"}])

    assert error.value.fields == {"variants.platform:wordpress.slug": SLUG_PROBLEM}


def test_a_ghost_variant_slug_longer_than_ghost_keeps_is_refused_by_ghosts_own_check(owner, blogs):
    with pytest.raises(ValidationFailed) as error:
        contents.create_content(owner, title="T", variants=[{"platform": "ghost", "slug": "g" * 192}])

    assert error.value.fields == {"variants.platform:ghost": "slug is 192 characters; Ghost allows at most 191"}


def test_the_slug_is_trimmed_changed_and_cleared_by_an_update(owner):
    item = contents.create_content(owner, title="T", slug="  first-slug ")
    assert item.slug == "first-slug"

    assert contents.update_content(owner, item.id, {"slug": "second-slug"}).slug == "second-slug"
    assert contents.update_content(owner, item.id, {"title": "Renamed"}).slug == "second-slug"
    assert contents.update_content(owner, item.id, {"slug": None}).slug is None
