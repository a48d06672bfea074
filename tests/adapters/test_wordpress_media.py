"""Images on the real WordPress: the media endpoint, alt text, the featured image, and one upload per publication."""

import uuid

from tests.media_files import attachment
from webapp.adapters.base import MemoryLedger
from webapp.adapters.media import media_slug
from webapp.adapters.wordpress import WordPressAdapter

from .factories import publish_request
from .wordpress_site import WordPressSite, wordpress_fixture, wordpress_session  # noqa: F401


def adapter(site: WordPressSite) -> WordPressAdapter:
    return WordPressAdapter({"url": site.url}, {"username": site.user, "app_password": site.app_password}, timeout=30)


def media_with_slug(site: WordPressSite, slug: str) -> list[dict]:
    return site.rest("GET", "/wp/v2/media", params={"slug": slug, "context": "edit"})


def test_images_go_to_the_media_library_and_the_first_is_the_featured_image(wordpress):
    key = f"hrd-{uuid.uuid4().hex}"
    first, second = attachment(1, alt_text="The launch stage"), attachment(2, fmt="JPEG", alt_text="The crowd")
    request = publish_request(idempotency_key=key, media=(first, second))

    result = adapter(wordpress).publish(request)
    wordpress.track_post(result.external_id)

    [one] = media_with_slug(wordpress, media_slug(request, first))
    [two] = media_with_slug(wordpress, media_slug(request, second))
    wordpress.track_media(one["id"])
    wordpress.track_media(two["id"])
    assert (one["alt_text"], one["mime_type"]) == ("The launch stage", "image/png")
    assert (two["alt_text"], two["mime_type"]) == ("The crowd", "image/jpeg")
    post = wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}", params={"context": "edit"})
    assert post["featured_media"] == one["id"]
    assert two["source_url"] in post["content"]["raw"] and 'alt="The crowd"' in post["content"]["raw"]


def test_a_retry_after_an_upload_whose_answer_was_lost_finds_it_instead_of_uploading_again(wordpress):
    key = f"hrd-{uuid.uuid4().hex}"
    image = attachment(1)
    site = adapter(wordpress)
    # The first attempt's upload reached WordPress, but its answer never reached the ledger.
    lost = site._upload(publish_request(idempotency_key=key, media=(image,)), image)
    wordpress.track_media(lost.remote_id)
    ledger = MemoryLedger()

    result = site.publish(publish_request(idempotency_key=key, media=(image,), uploads=ledger))
    wordpress.track_post(result.external_id)

    request = publish_request(idempotency_key=key, media=(image,))
    assert [m["id"] for m in media_with_slug(wordpress, media_slug(request, image))] == [int(lost.remote_id)]
    assert ledger.get(1) == lost
    post = wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}", params={"context": "edit"})
    assert post["featured_media"] == int(lost.remote_id)


def test_a_retry_reuses_the_recorded_upload_without_asking_or_sending_again(wordpress):
    key = f"hrd-{uuid.uuid4().hex}"
    image = attachment(1)
    site = adapter(wordpress)
    ledger = MemoryLedger()
    first = site._upload(publish_request(idempotency_key=key, media=(image,)), image)
    wordpress.track_media(first.remote_id)
    ledger.record(1, first)
    before = len(wordpress.rest("GET", "/wp/v2/media", params={"per_page": 100}))

    result = site.publish(publish_request(idempotency_key=key, media=(image,), uploads=ledger))
    wordpress.track_post(result.external_id)

    assert len(wordpress.rest("GET", "/wp/v2/media", params={"per_page": 100})) == before
    post = wordpress.rest("GET", f"/wp/v2/posts/{result.external_id}", params={"context": "edit"})
    assert post["featured_media"] == int(first.remote_id)
