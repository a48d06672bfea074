"""The Ghost adapter against a real Ghost 5.130 (shared/peers/ghost.sh) and against the fake, with the same tests.

Each test runs twice: on the in-repo fake (fast, always) and on the real server (integration; skipped with
the reason only when the peer cannot start). What real Ghost does that the adapter must handle is stated
once here, so the fake cannot drift from it.
"""

import uuid
from collections.abc import Iterator

import pytest

from tests.media_files import attachment
from webapp.adapters.base import MemoryLedger, PermanentError
from webapp.adapters.ghost import GhostAdapter
from webapp.adapters.html import to_html, to_text
from webapp.adapters.keys import marker_for, title_slug

from .factories import content, publish_request
from .fakes.ghost import FakeGhost
from .ghost_site import REAL, GhostSite, ghost_session, real_ghost_fixture  # noqa: F401
from .peers import START_TIMEOUT_S

# The first real test may wait for Ghost's first start (minutes): more than the suite's 300 s per test.
REAL_MARKS = [pytest.mark.integration, pytest.mark.timeout(START_TIMEOUT_S + 60)]


@pytest.fixture(params=["fake", pytest.param(REAL, marks=REAL_MARKS)])
def site(request) -> Iterator[GhostSite]:
    """Yield a Ghost to publish on: the fake, then the real peer (whose posts and tags are deleted afterwards)."""
    if request.param == REAL:
        yield request.getfixturevalue("real_ghost")
        return
    with FakeGhost() as fake:
        yield GhostSite(fake.url, fake.admin_api_key)


def adapter(site: GhostSite) -> GhostAdapter:
    return GhostAdapter({"url": site.url}, {"admin_api_key": site.admin_api_key}, timeout=30)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def published(site: GhostSite, **fields) -> tuple:
    """Publish fresh content under a fresh key; return (request, result, the post as Ghost stored it)."""
    request = publish_request(idempotency_key=unique("ghost-key"), content=content(**fields))
    result = adapter(site).publish(request)
    site.track_post(result.external_id)
    return request, result, site.post(result.external_id)


def test_a_post_goes_out_at_its_titles_slug_and_carries_the_marker_as_an_internal_tag(site):
    title = unique("Spring sale: 50% off, déjà vu!")

    request, result, post = published(site, title=title, tags=())

    assert post["slug"] == title_slug(title) and post["slug"].startswith("spring-sale-50-off-deja-vu-")
    assert result.external_url == post["url"] and result.external_url.endswith(f"/{post['slug']}/")
    marker = marker_for(request.idempotency_key)
    assert [(t["name"], t["slug"], t["visibility"]) for t in post["tags"]] == [
        (f"#{marker}", f"hash-{marker}", "internal")
    ]


def test_a_second_publish_with_the_same_key_finds_the_post_by_its_marker(site):
    request, first, _ = published(site, title=unique("Once only"))

    found = adapter(site).find_existing(request)
    again = adapter(site).publish(request)

    assert found.external_id == again.external_id == first.external_id
    assert found.external_url == first.external_url


def test_two_posts_with_one_title_get_distinct_slugs_and_each_is_found_by_its_own_marker(site):
    title = unique("Same title")

    first_request, first, first_post = published(site, title=title)
    second_request, second, second_post = published(site, title=title)

    assert (first_post["slug"], second_post["slug"]) == (title_slug(title), f"{title_slug(title)}-2")
    assert adapter(site).find_existing(first_request).external_id == first.external_id
    assert adapter(site).find_existing(second_request).external_id == second.external_id


def test_the_author_slug_wins_over_the_title(site):
    slug = f"my-chosen-slug-{uuid.uuid4().hex[:6]}"

    _, _, post = published(site, title="Whatever the title says", slug=slug)

    assert post["slug"] == slug


def test_a_post_made_before_readable_slugs_is_found_at_its_marker_slug_and_not_made_again(site):
    request = publish_request(idempotency_key=unique("legacy-key"))
    old = {"title": "Published by an older Herald", "status": "published", "slug": marker_for(request.idempotency_key)}
    made = site.admin("POST", "posts/?source=html", json={"posts": [old]}, expect=201).json()["posts"][0]
    site.track_post(made["id"])

    found = adapter(site).find_existing(request)
    again = adapter(site).publish(request)

    assert found.external_id == again.external_id == made["id"]


def test_ghost_itself_matches_tag_names_case_sensitively_so_news_beside_news_becomes_a_new_tag(site):
    raw = {"title": unique("Raw tags"), "status": "draft", "tags": [{"name": "news"}]}
    made = site.admin("POST", "posts/?source=html", json={"posts": [raw]}, expect=201).json()["posts"][0]
    site.track_post(made["id"])

    assert [(t["name"], t["slug"]) for t in site.post(made["id"])["tags"]] == [("news", "news-2")]


def test_a_tag_joins_the_sites_existing_tag_whatever_its_case(site):
    _, _, post = published(site, title=unique("Tagged"), tags=("news", "NEWS"))

    public = [(t["name"], t["slug"]) for t in post["tags"] if t["visibility"] == "public"]
    assert public == [("News", "news")]


def test_a_hash_tag_is_published_as_a_public_tag_without_its_hash(site):
    name = f"launch-{uuid.uuid4().hex[:6]}"

    _, _, post = published(site, title=unique("Hashtags"), tags=(f"#{name}",))

    assert [(t["name"], t["visibility"]) for t in post["tags"]][0] == (name, "public")


def test_ghost_refuses_a_tag_name_over_191_characters_with_422_for_the_whole_post(site):
    raw = {"title": unique("Long tag"), "status": "draft", "tags": [{"name": "x" * 192}]}

    response = site.admin("POST", "posts/?source=html", json={"posts": [raw]}, expect=422)

    assert response.json()["errors"][0]["context"] == "Validation failed for name."


def test_the_adapter_refuses_a_tag_over_191_characters_before_sending_anything(site):
    request = publish_request(idempotency_key=unique("long-tag"), content=content(tags=("y" * 192,)))

    with pytest.raises(PermanentError, match="is 192 characters; Ghost allows at most 191"):
        adapter(site).publish(request)

    assert adapter(site).find_existing(request) is None


def test_bytes_that_are_no_image_are_a_permanent_400_and_nothing_is_recorded(site):
    ledger = MemoryLedger()
    broken = attachment(1, data=b"\x89PNG\r\n\x1a\n but nothing after the signature")
    request = publish_request(idempotency_key=unique("bad-image"), media=(broken,), uploads=ledger)

    with pytest.raises(PermanentError, match="cannot upload image") as caught:
        adapter(site).publish(request)

    assert caught.value.http_status == 400
    assert ledger.uploads == {}
    assert adapter(site).find_existing(request) is None


def test_ghost_renders_the_html_again_so_the_text_is_what_survives(site):
    body = "Intro with **bold**\n\n## Details\n\n- one\n- two"

    _, _, post = published(site, title=unique("Rendered"), body=body)

    assert post["html"] != to_html(body)  # the markup is Ghost's own ...
    assert to_text(post["html"], "html") == to_text(to_html(body), "html")  # ... the text is ours


def test_a_create_without_source_html_silently_drops_the_body(site):
    raw = {"title": unique("No source"), "status": "draft", "html": "<p>A body that is lost</p>"}

    made = site.admin("POST", "posts/", json={"posts": [raw]}, expect=201).json()["posts"][0]
    site.track_post(made["id"])

    assert not site.post(made["id"])["html"]
