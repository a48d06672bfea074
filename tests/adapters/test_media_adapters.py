"""Images sent the platform's way (Ghost, Mastodon, Shopify fakes; the webhook JSON), once per publication."""

import hashlib

import pytest

from tests.media_files import attachment, image_bytes
from webapp.adapters.base import MemoryLedger, PermanentError, RemoteMedia, TransientError
from webapp.adapters.ghost import GhostAdapter
from webapp.adapters.keys import marker_for
from webapp.adapters.mastodon import MastodonAdapter
from webapp.adapters.shopify import ShopifyAdapter

from .factories import content, publish_request, webhook
from .fakes.ghost import FakeGhost, ghost_fixture  # noqa: F401
from .fakes.mastodon import FakeMastodon, mastodon_fixture  # noqa: F401
from .fakes.server import FakePlatform, Request, Response
from .fakes.shopify import FakeShopify, shopify_fixture  # noqa: F401
from .receiver import Receiver

KEY = "hrd-media-key"


def uploads_to(fake: FakePlatform, path: str) -> list[Request]:
    return [r for r in fake.requests if r.method == "POST" and r.path == path]


# Ghost: POST /ghost/api/admin/images/upload/, then feature_image (and feature_image_alt) on the post.


def ghost_adapter(fake: FakeGhost) -> GhostAdapter:
    return GhostAdapter({"url": fake.url}, {"admin_api_key": fake.admin_api_key}, timeout=5)


def test_ghost_uploads_each_image_and_features_the_first_with_its_alt_text(ghost):
    first, second = attachment(1, alt_text="The launch stage"), attachment(2, fmt="JPEG", alt_text="A <b>crowd</b>")
    request = publish_request(idempotency_key=KEY, media=(first, second))

    ghost_adapter(ghost).publish(request)

    uploads = uploads_to(ghost, "/ghost/api/admin/images/upload/")
    assert len(uploads) == 2
    fields, files = uploads[0].multipart()
    expected_name = f"{marker_for(KEY + '#media-1')}.png"
    assert (files["file"].filename, files["file"].content_type) == (expected_name, "image/png")
    assert files["file"].data == first.read()
    assert fields == {"purpose": "image", "ref": expected_name}
    [post] = ghost.posts.values()
    first_url, second_url = (image["url"] for image in ghost.images.values())
    assert (post["feature_image"], post["feature_image_alt"]) == (first_url, "The launch stage")
    assert f'<img src="{second_url}" alt="A &lt;b&gt;crowd&lt;/b&gt;">' in post["html"]


def test_ghost_retry_after_a_failed_post_reuses_the_uploaded_image(ghost):
    ledger = MemoryLedger()
    request = publish_request(idempotency_key=KEY, media=(attachment(1),), uploads=ledger)
    ghost.fail_next(
        503, {"errors": [{"message": "down", "type": "InternalServerError"}]}, path="/ghost/api/admin/posts"
    )

    with pytest.raises(TransientError):
        ghost_adapter(ghost).publish(request)
    ghost_adapter(ghost).publish(request)

    assert len(uploads_to(ghost, "/ghost/api/admin/images/upload/")) == 1
    assert len(ghost.images) == 1 and len(ghost.posts) == 1
    assert ledger.get(1).remote_url == next(iter(ghost.posts.values()))["feature_image"]


def test_ghost_refusing_an_image_type_is_a_permanent_error_with_its_message(ghost):
    odd = attachment(1, content_type="image/tiff", extension="tif")

    with pytest.raises(PermanentError, match="415 .*Please select a valid image"):
        ghost_adapter(ghost).publish(publish_request(media=(odd,)))
    assert ghost.posts == {}


def test_ghost_alt_text_longer_than_its_column_is_shortened_not_refused(ghost):
    ghost_adapter(ghost).publish(publish_request(media=(attachment(1, alt_text="x" * 300),)))

    [post] = ghost.posts.values()
    assert len(post["feature_image_alt"]) == 191 and post["feature_image_alt"].endswith("…")


# Mastodon: POST /api/v2/media with `description`, wait out a 202, then media_ids on the status.


def mastodon_adapter(fake: FakeMastodon) -> MastodonAdapter:
    adapter = MastodonAdapter({"url": fake.url}, {"access_token": fake.access_token}, timeout=5)
    adapter.processing_poll_s = 0
    return adapter


def toot(**fields):
    return publish_request(idempotency_key=KEY, content=content(body="Launch day!", tags=()), **fields)


def test_mastodon_attaches_each_image_with_its_alt_text_as_description(mastodon):
    images = (attachment(1, alt_text="The stage"), attachment(2, fmt="WEBP", alt_text="The crowd"))

    mastodon_adapter(mastodon).publish(toot(media=images))

    uploads = uploads_to(mastodon, "/api/v2/media")
    assert [u.multipart()[0] for u in uploads] == [{"description": "The stage"}, {"description": "The crowd"}]
    assert uploads[1].multipart()[1]["file"].content_type == "image/webp"
    [status] = mastodon.statuses
    assert [m["description"] for m in status["media_attachments"]] == ["The stage", "The crowd"]


def test_mastodon_waits_for_an_image_answered_202_before_posting(mastodon):
    mastodon.processing_polls = 2

    mastodon_adapter(mastodon).publish(toot(media=(attachment(1),)))

    [media_id] = mastodon.media
    polls = [r for r in mastodon.requests if r.path == f"/api/v1/media/{media_id}"]
    assert len(polls) == 3  # 206, 206, 200
    assert [m["id"] for m in mastodon.statuses[0]["media_attachments"]] == [media_id]


def test_mastodon_image_still_processing_is_retried_later_without_a_second_upload(mastodon):
    mastodon.processing_polls = 7  # more than one attempt's polls
    ledger = MemoryLedger()
    adapter = mastodon_adapter(mastodon)

    with pytest.raises(TransientError, match="still processing"):
        adapter.publish(toot(media=(attachment(1),), uploads=ledger))
    adapter.publish(toot(media=(attachment(1),), uploads=ledger))

    assert len(uploads_to(mastodon, "/api/v2/media")) == 1
    assert len(mastodon.statuses) == 1 and len(mastodon.statuses[0]["media_attachments"]) == 1


def test_mastodon_retry_after_a_failed_status_reuses_the_upload(mastodon):
    ledger = MemoryLedger()
    mastodon.fail_next(503, {"error": "Service unavailable"}, path="/api/v1/statuses")

    with pytest.raises(TransientError):
        mastodon_adapter(mastodon).publish(toot(media=(attachment(1),), uploads=ledger))
    mastodon_adapter(mastodon).publish(toot(media=(attachment(1),), uploads=ledger))

    assert len(uploads_to(mastodon, "/api/v2/media")) == 1
    assert len(mastodon.statuses) == 1


def test_mastodon_refuses_five_images_before_sending_anything(mastodon):
    with pytest.raises(PermanentError, match="5 images; a Mastodon status takes at most 4"):
        mastodon_adapter(mastodon).publish(toot(media=tuple(attachment(i) for i in range(1, 6))))
    assert mastodon.requests == []


def test_mastodon_media_errors_carry_mastodons_message(mastodon):
    mastodon.fail_next(422, {"error": "Validation failed: File content type is invalid, File is invalid"})

    with pytest.raises(PermanentError, match="File content type is invalid"):
        mastodon_adapter(mastodon).publish(toot(media=(attachment(1),)))
    assert mastodon.statuses == []


# Shopify: articleCreate's image {url, altText}; Shopify downloads the URL itself.


class ImageHost(FakePlatform):
    """Serves one image, as Herald's signed media URL would."""

    def __init__(self, data: bytes, content_type: str = "image/png") -> None:
        super().__init__()
        self.data, self.content_type = data, content_type

    def route(self, request: Request) -> Response:
        if request.path != "/media/w1/c7/a.png":
            return Response(404, b"not found")
        return Response(200, self.data, {"Content-Type": self.content_type})


@pytest.fixture
def image_host():
    with ImageHost(image_bytes("PNG", (12, 9))) as host:
        yield host


def shopify_adapter(fake: FakeShopify) -> ShopifyAdapter:
    return ShopifyAdapter({"shop_domain": fake.url, "blog_id": fake.blog_id}, {"access_token": fake.access_token})


def test_shopify_article_takes_the_first_image_by_url_with_its_alt_text(shopify, image_host):
    url = f"{image_host.url}/media/w1/c7/a.png"
    request = publish_request(media=(attachment(1, url=url, alt_text="Our new boots"), attachment(2, url=url)))

    shopify_adapter(shopify).publish(request)

    [article] = shopify.articles
    assert article["image"]["altText"] == "Our new boots"
    assert article["image"]["data"] == image_host.data  # what Shopify downloaded is the stored image
    assert shopify.image_fetches == [(url, 200, "image/png")]


def test_shopify_retry_after_a_lost_answer_finds_the_article_and_fetches_the_image_once(shopify, image_host):
    request = publish_request(media=(attachment(1, url=f"{image_host.url}/media/w1/c7/a.png"),))
    shopify.fail_next(504, b"", after_handling=True)

    with pytest.raises(TransientError):
        shopify_adapter(shopify).publish(request)
    result = shopify_adapter(shopify).publish(request)

    assert len(shopify.articles) == 1 and len(shopify.image_fetches) == 1
    assert result.external_id == shopify.articles[0]["id"]


def test_shopify_without_an_image_url_is_refused_before_anything_is_sent(shopify):
    with pytest.raises(PermanentError, match="PUBLIC_URL"):
        shopify_adapter(shopify).publish(publish_request(media=(attachment(1, url=None),)))
    assert shopify.requests == []


def test_shopify_reports_an_image_it_could_not_download(shopify, image_host):
    request = publish_request(media=(attachment(1, url=f"{image_host.url}/media/missing.png"),))

    with pytest.raises(PermanentError, match="image.url: Image could not be downloaded"):
        shopify_adapter(shopify).publish(request)
    assert shopify.articles == []


# The webhook: every image's metadata and URL in the signed JSON.


def test_the_webhook_body_lists_each_image_with_its_url_and_metadata():
    image = attachment(5, url="https://herald.example/media/w1/c7/a.png?expires=1&signature=x", alt_text="Stage")
    with Receiver() as receiver:
        webhook(receiver.url).publish(publish_request(media=(image,)))
        sent = receiver.requests[0].json()

    assert sent["media"] == [
        {
            "id": 5,
            "url": image.url,
            "alt_text": "Stage",
            "content_type": "image/png",
            "width": 8,
            "height": 6,
            "size": image.size,
            "sha256": hashlib.sha256(image.read()).hexdigest(),
        }
    ]


def test_an_upload_recorded_in_the_ledger_is_never_sent_again(ghost):
    ledger = MemoryLedger()
    ledger.record(
        1, RemoteMedia("https://ghost.example/content/images/a.png", "https://ghost.example/content/images/a.png")
    )

    ghost_adapter(ghost).publish(publish_request(media=(attachment(1),), uploads=ledger))

    assert uploads_to(ghost, "/ghost/api/admin/images/upload/") == []
    assert next(iter(ghost.posts.values()))["feature_image"] == "https://ghost.example/content/images/a.png"
