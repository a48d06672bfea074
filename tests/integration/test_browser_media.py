"""A person in Chromium adds an image with alt text on the edit page, sees it in the panel and the previews,
and sees a refused file's reason beside the file field."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.media_files import image_bytes

from .browser import collect_page_errors, sign_in
from .harness import Api

pytestmark = [pytest.mark.integration, pytest.mark.browser]

ALT = "A red stage under the lights"


def _signed_in_editor(page: Page, stack, own_user) -> tuple[Api, dict, dict, list[str]]:
    """Sign a new user in with a WordPress channel and a content item; return (api, channel, content, errors)."""
    api = own_user("media")
    blog = api.create(
        "/channels",
        {
            "name": f"blog {secrets.token_hex(2)}",
            "platform": "wordpress",
            "settings": {"url": "https://wp.example.com"},
            "credentials": {"username": "ada", "app_password": "abcd efgh"},
        },
    )
    content = api.create("/contents", {"title": "Launch", "body": "The long article."})
    errors = collect_page_errors(page)
    sign_in(page, stack, api.email)
    page.goto(f"/contents/{content['id']}/edit")
    return api, blog, content, errors


def test_an_uploaded_image_appears_in_the_panel_and_the_blog_preview_with_its_alt_text(page: Page, stack, own_user):
    api, blog, content, errors = _signed_in_editor(page, stack, own_user)
    panel = page.locator("#media")
    preview = page.get_by_role("article", name=f"Preview on {blog['name']}")
    expect(preview.get_by_role("img", name="No featured image")).to_be_visible()

    panel.get_by_label("Image", exact=True).set_input_files(
        {"name": "stage.png", "mimeType": "image/png", "buffer": image_bytes("PNG", (64, 48))}
    )
    panel.get_by_label("Alt text", exact=True).fill(ALT)
    panel.get_by_role("button", name="Upload image").click()

    shown = panel.get_by_role("img", name=ALT)
    expect(shown).to_be_visible()
    expect(panel.get_by_text(f"alt text: {ALT}")).to_be_visible()
    expect(panel.get_by_text("64×48 image/png")).to_be_visible()
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 64  # the real bytes, served to a member
    # The previews redraw on their own: the first image is the article's featured image.
    featured = preview.get_by_role("img", name=ALT)
    expect(featured).to_be_visible()
    expect(preview.get_by_text(f"featured image · alt: {ALT}")).to_be_visible()
    assert featured.evaluate("img => img.complete && img.naturalWidth") == 64
    stored = api.call("GET", f"/contents/{content['id']}/media").json()
    assert [(m["alt_text"], m["width"], m["height"]) for m in stored["items"]] == [(ALT, 64, 48)]
    assert errors == []  # no CSP violation, no script error


def test_a_refused_file_shows_its_reason_beside_the_file_field_and_stores_nothing(page: Page, stack, own_user):
    api, _, content, errors = _signed_in_editor(page, stack, own_user)
    panel = page.locator("#media")

    panel.get_by_label("Image", exact=True).set_input_files(
        {"name": "holiday.png", "mimeType": "image/png", "buffer": b"%PDF-1.4 not an image at all"}
    )
    panel.get_by_label("Alt text", exact=True).fill(ALT)
    panel.get_by_role("button", name="Upload image").click()

    field = panel.get_by_label("Image", exact=True)
    message = panel.locator("#media-file-error")
    expect(message).to_have_text("Image is not an image Herald can read; upload JPEG, PNG, GIF or WebP")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_attribute("aria-describedby", "media-file-error")
    assert message.evaluate("p => p.closest('.field').contains(document.getElementById('media-file'))")
    expect(panel.get_by_label("Alt text", exact=True)).to_have_value(ALT)  # what the author typed is kept
    assert api.call("GET", f"/contents/{content['id']}/media").json()["total"] == 0
    assert errors == []
