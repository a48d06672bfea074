"""Images on the content edit page: the upload form (CSRF, multipart), errors beside their fields, files served."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

import pytest

from tests.media_files import image_bytes
from webapp.domain.channels import channels
from webapp.domain.content import contents, media
from webapp.extensions import db
from webapp.models import Media

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _own_media_folder(app, media_folder, monkeypatch):
    # Image URLs handed to previews start with PUBLIC_URL.
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://herald.example")


@pytest.fixture
def post(ada):
    return contents.create_content(ada, title="Launch", body="The long article.")


def _upload(client, content_id, data: bytes, alt_text="The stage", headers=None):
    form = {"file": (io.BytesIO(data), "stage.png"), "alt_text": alt_text}
    return client.post(
        f"/contents/{content_id}/media", data=form, content_type="multipart/form-data", headers=headers or {}
    )


def test_the_edit_page_has_a_labelled_multipart_upload_form(client, post):
    page = client.get(f"/contents/{post.id}/edit").text

    assert 'id="media"' in page and 'enctype="multipart/form-data"' in page
    assert '<label for="media-file">Image</label>' in page and '<label for="media-alt-text">Alt text</label>' in page
    assert 'name="csrf_token"' in page and "No images yet" in page


def test_an_upload_redirects_to_the_editor_which_shows_it_featured(client, post):
    response = _upload(client, post.id, image_bytes("PNG", (30, 20)))

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/contents/{post.id}/edit#media")
    item = db.session.query(Media).one()
    page = client.get(f"/contents/{post.id}/edit").text
    assert f'src="/contents/{post.id}/media/{item.id}/file" alt="The stage"' in page
    assert "<strong>featured</strong>" in page and "30×20 image/png" in page


def test_an_htmx_upload_answers_the_panel_alone(client, post):
    response = _upload(client, post.id, image_bytes(), headers=HX)

    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert '<section id="media"' in response.text
    assert "<html" not in response.text and "alt text: The stage" in response.text


@pytest.mark.parametrize("headers", [{}, HX])
def test_a_bad_upload_shows_each_error_beside_its_field(client, post, headers):
    response = _upload(client, post.id, b"not an image at all", alt_text="", headers=headers)

    assert response.status_code == 422
    assert '<p class="error" id="media-file-error">Image is not an image Herald can read' in response.text
    assert '<p class="error" id="media-alt-text-error">Alt text is required</p>' in response.text
    assert db.session.query(Media).count() == 0


def test_the_file_is_served_to_members_with_its_decoded_type(client, ada, post):
    data = image_bytes("GIF")
    item = media.add_media(ada, post.id, data, "claims.png", "alt")

    response = client.get(f"/contents/{post.id}/media/{item.id}/file")

    assert (response.status_code, response.mimetype, response.data) == (200, "image/gif", data)


def test_an_image_opened_by_itself_may_be_styled_by_the_browser_and_nothing_else(client, ada, post):
    item = media.add_media(ada, post.id, image_bytes(), "a.png", "alt")

    csp = client.get(f"/contents/{post.id}/media/{item.id}/file").headers["Content-Security-Policy"]

    assert csp == "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    assert "style-src 'self'" in client.get(f"/contents/{post.id}/edit").headers["Content-Security-Policy"]


def test_delete_removes_the_image(client, ada, post):
    item = media.add_media(ada, post.id, image_bytes(), "a.png", "alt")

    response = client.post(f"/contents/{post.id}/media/{item.id}/delete", headers=HX)

    assert response.status_code == 200 and "No images yet" in response.text
    assert db.session.query(Media).count() == 0


def test_a_signed_url_serves_the_image_signed_out_until_it_expires(app, client, ada, post):
    data = image_bytes("WEBP")
    item = media.add_media(ada, post.id, data, "a.webp", "alt")
    url = media.storage().url(item.storage_key, 60)
    path = urlsplit(url).path + "?" + urlsplit(url).query
    client.post("/signout")

    served = client.get(path)
    assert (served.status_code, served.mimetype, served.data) == (200, "image/webp", data)
    assert client.get(path.replace("signature=", "signature=0")).status_code == 404
    expired = media.storage().url(item.storage_key, -1)
    assert client.get(urlsplit(expired).path + "?" + urlsplit(expired).query).status_code == 404
    assert client.get(f"/contents/{post.id}/media/{item.id}/file").status_code == 302  # members only


# --- the editor's previews show the real images ----------------------------------------------------


@pytest.fixture
def blog_and_toots(ada):
    blog = channels.create_channel(
        ada,
        name="Blog",
        platform="wordpress",
        settings={"url": "https://wp.example.test"},
        credentials={"username": "a", "app_password": "b c"},
    )
    toots = channels.create_channel(
        ada,
        name="Toots",
        platform="mastodon",
        settings={"url": "https://social.example.test"},
        credentials={"access_token": "tok-123456"},
    )
    return blog, toots


def _previews(page: str) -> dict[str, str]:
    """Each preview article's HTML by channel name."""
    section = page.split('<div id="previews"', 1)[1]
    found = re.findall(
        r'<article class="preview card[^"]*" aria-label="Preview on ([^"]+)">(.*?)</article>', section, re.S
    )
    return dict(found)


@pytest.mark.usefixtures("blog_and_toots")
def test_the_blog_and_mastodon_previews_show_the_content_s_real_first_image_with_its_alt_text(client, ada, post):
    first = media.add_media(ada, post.id, image_bytes(), "stage.png", 'The "main" stage <at dusk>')
    second = media.add_media(ada, post.id, image_bytes("GIF"), "crowd.gif", "The crowd")

    found = _previews(client.get(f"/contents/{post.id}/edit").text)

    first_img = f'src="/contents/{post.id}/media/{first.id}/file" alt="The &#34;main&#34; stage &lt;at dusk&gt;"'
    second_img = f'src="/contents/{post.id}/media/{second.id}/file" alt="The crowd"'
    assert (
        first_img in found["Blog"] and "featured image · alt: The &#34;main&#34; stage &lt;at dusk&gt;" in found["Blog"]
    )
    assert "No featured image" not in found["Blog"]
    assert second_img in found["Blog"].split('class="blog-body"')[1]  # the others follow the body as figures
    assert first_img in found["Toots"] and second_img in found["Toots"]  # a status attaches both


@pytest.mark.usefixtures("blog_and_toots")
def test_without_images_the_blog_preview_says_there_is_no_featured_image(client, post):
    found = _previews(client.get(f"/contents/{post.id}/edit").text)

    assert 'aria-label="No featured image"' in found["Blog"] and "<img" not in found["Blog"]
    assert "<img" not in found["Toots"]


@pytest.mark.usefixtures("blog_and_toots")
def test_the_live_preview_shows_the_stored_images_beside_the_unsaved_text(client, ada, post):
    item = media.add_media(ada, post.id, image_bytes(), "stage.png", "The stage")
    data = {"content_id": str(post.id), "title": "New title", "body": "Unsaved", "content_type": "article"}

    fragment = client.post("/contents/preview", data=data, headers=HX).text

    assert "<html" not in fragment and "New title" in fragment
    assert fragment.count(f'src="/contents/{post.id}/media/{item.id}/file" alt="The stage"') == 2


def test_an_htmx_upload_or_delete_tells_the_editor_to_redraw_its_previews(client, post):
    uploaded = _upload(client, post.id, image_bytes(), headers=HX)
    item = db.session.query(Media).one()
    deleted = client.post(f"/contents/{post.id}/media/{item.id}/delete", headers=HX)
    refused = _upload(client, post.id, b"not an image", headers=HX)

    assert uploaded.headers["HX-Trigger"] == deleted.headers["HX-Trigger"] == "media-changed"
    assert "HX-Trigger" not in refused.headers  # nothing changed


def test_past_the_hourly_upload_share_the_panel_says_so_beside_the_file(client, post, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_UPLOADS_PER_HOUR", 1)
    assert _upload(client, post.id, image_bytes("PNG", (8, 8))).status_code == 303

    refused = _upload(client, post.id, image_bytes("PNG", (8, 8)), headers=HX)

    assert refused.status_code == 429
    assert "too many uploads this hour; try again in" in refused.text
    assert db.session.query(Media).count() == 1
