"""A person in Chromium gives a content item and its WordPress variant a slug on the edit page (a bad one is
refused beside its field), and the post Herald publishes on the real WordPress is at that slug."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from tests.adapters.wordpress_site import WordPressSite, wordpress_fixture, wordpress_session  # noqa: F401
from webapp.domain.content.slugs import SLUG_PROBLEM

from .browser import collect_page_errors, sign_in
from .harness import utc_text, whole_seconds_ahead

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_slugs_are_set_in_the_editor_and_the_wordpress_post_goes_out_at_the_variants(
    page: Page, stack, own_user, wordpress: WordPressSite
):
    api = own_user("slugs")
    blog = api.create("/channels", wordpress.channel_body())
    content = api.create("/contents", {"title": "Spring sale", "body": "Everything must go.", "status": "approved"})
    errors = collect_page_errors(page)
    sign_in(page, stack, api.email)
    page.goto(f"/contents/{content['id']}/edit")
    save = page.get_by_role("button", name="Save content and variants")

    slug = page.get_by_label("Slug", exact=True)
    slug.fill("Spring Sale!")
    save.click()
    expect(page.get_by_text(f"Slug {SLUG_PROBLEM}")).to_be_visible()
    expect(page.get_by_label("Slug", exact=True)).to_have_attribute("aria-invalid", "true")
    assert api.call("GET", f"/contents/{content['id']}").json()["slug"] is None  # nothing changed

    mine = f"spring-sale-{secrets.token_hex(3)}"
    page.get_by_label("Slug", exact=True).fill("our-spring-sale")
    page.get_by_label(f"slug for {blog['name']} (WordPress)").fill(mine)
    page.get_by_role("button", name="Save content and variants").click()
    expect(page.get_by_text("saved with 1 variant.")).to_be_visible()
    stored = api.call("GET", f"/contents/{content['id']}").json()
    assert (stored["slug"], stored["variants"][0]["slug"]) == ("our-spring-sale", mine)

    body = {"content_id": content["id"], "channel_ids": [blog["id"]], "run_at": utc_text(whole_seconds_ahead(2))}
    (publication,) = api.create("/schedules", body)["publications"]
    published = api.wait_until_final(publication["id"])
    wordpress.track_post(published["external_id"])

    assert published["status"] == "published", published
    post = wordpress.rest("GET", f"/wp/v2/posts/{published['external_id']}")
    assert post["slug"] == mine  # the channel's variant wins over the item's slug
    assert published["external_url"].rstrip("/").endswith(f"/{mine}")
    assert errors == []
