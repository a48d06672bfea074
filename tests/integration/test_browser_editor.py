"""A person in Chromium writes a Mastodon variant and watches its preview count update as they type."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Page, expect

from .browser import collect_page_errors, sign_in

pytestmark = [pytest.mark.integration, pytest.mark.browser]


def test_the_preview_follows_the_author_s_typing_and_saving_keeps_the_variant(page: Page, stack, own_user):
    api = own_user("editor")
    toots = api.create(
        "/channels",
        {
            "name": f"toots {secrets.token_hex(2)}",
            "platform": "mastodon",
            "settings": {"url": "https://social.example.test"},
            "credentials": {"access_token": "tok-123456"},
        },
    )
    content = api.create("/contents", {"title": "Launch", "body": "The long article."})
    errors = collect_page_errors(page)
    failed: list[str] = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)

    sign_in(page, stack, api.email)
    page.goto(f"/contents/{content['id']}/edit")

    card = page.get_by_role("article", name=f"Preview on {toots['name']}")
    expect(card.get_by_text("17 / 500 characters")).to_be_visible()  # the base body, inherited
    page.get_by_label("body for every Mastodon channel", exact=True).press_sequentially("Out now https://example.com/x")
    expect(card.get_by_text("31 / 500 characters")).to_be_visible()  # "Out now " 8 + a URL counted as 23
    expect(card.get_by_text("body: platform variant")).to_be_visible()

    page.get_by_role("button", name="Save content and variants").click()
    expect(page.get_by_text("saved with 1 variant.")).to_be_visible()
    saved = api.call("GET", f"/contents/{content['id']}").json()
    assert [(v["platform"], v["body"]) for v in saved["variants"]] == [("mastodon", "Out now https://example.com/x")]
    assert errors == []  # no CSP violation, no script error
    assert failed == []  # /favicon.ico answers too
