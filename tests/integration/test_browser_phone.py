"""Every main page at phone width (375 x 740) in Chromium: nothing wider than the screen, the nav in reach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from .browser import sign_in
from .harness import utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]

PHONE = {"width": 375, "height": 740}
NAV_LINKS = (
    "dashboard",
    "publications",
    "calendar",
    "analytics",
    "schedules",
    "content",
    "templates",
    "channels",
    "integrations",
    "health",
    "audit",
)
# What is wider than the screen: the element (tag#id.class), its right edge and the screen's width.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    // Inside a scroll box (a wide table's wrapper) it is scrolled, not overflowing; unless it is positioned
    // absolutely against something outside that box, which the box then does not clip.
    let clipped = false;
    let anchored = getComputedStyle(el).position !== "absolute";
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      anchored = anchored || style.position !== "static";
      if (anchored && /(auto|scroll|hidden)/.test(style.overflowX) && up.getBoundingClientRect().right <= width + 1) {
        clipped = true;
        break;
      }
    }
    if (!clipped) wide.push(el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
      (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\\s+/).join(".") : "") +
      " right=" + Math.round(box.right));
  }
  return {scrollWidth: document.documentElement.scrollWidth, clientWidth: width, wide: wide.slice(0, 8)};
}"""


@pytest.fixture(scope="module")
def account(own_user, webhook_channel) -> dict:
    """A user of their own with a channel, a long-titled item scheduled hours ahead, and a published one."""
    api = own_user("phone")
    blog = webhook_channel(api, "company blog")
    content = api.create(
        "/contents",
        {
            "title": "A rather long title about the spring pricing update for every customer",
            "body": "Prices change on the first of the month. " * 8,
            "excerpt": "What changes, and when.",
            "status": "approved",
        },
    )
    run_at = utc_text(datetime.now(UTC) + timedelta(hours=3))
    schedule = api.create("/schedules", {"content_id": content["id"], "channel_ids": [blog["id"]], "run_at": run_at})
    (publication,) = schedule["publications"]
    now = api.create("/contents", {"title": "right now", "body": "b", "status": "approved"})
    (published,) = api.create("/publish-now", {"content_id": now["id"], "channel_ids": [blog["id"]]})["items"]
    api.wait_until_final(published["id"])
    return {"api": api, "content": content["id"], "publication": publication["id"], "published": published["id"]}


def main_pages(account: dict) -> dict[str, str]:
    content, publication = account["content"], account["publication"]
    return {
        "dashboard": "/",
        "job monitor": "/publications/",
        "publication detail": f"/publications/{publication}",
        "published detail": f"/publications/{account['published']}",
        "calendar month": "/calendar/",
        "calendar week": "/calendar/?view=week",
        "calendar day": "/calendar/?view=day",
        "calendar timeline": "/calendar/?view=timeline",
        "calendar list": "/calendar/?view=list",
        "analytics": "/analytics/",
        "schedules": "/schedules/",
        "content": "/contents/",
        "content editor": f"/contents/{content}/edit",
        "review page": f"/contents/{content}/review",
        "templates": "/templates/",
        "channels": "/channels/",
        "integrations": "/integrations/",
        "members": "/members/",
        "health": "/health",
        "audit": "/audit/",
        "alerts": "/alerts/",
        "settings": "/settings/",
        "notification settings": "/settings/notifications/",
        "new workspace": "/workspaces/new",
    }


@pytest.fixture
def phone(browser: Browser, base_url: str):
    context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def settled(page: Page) -> None:
    page.wait_for_load_state("load")
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def test_no_main_page_is_wider_than_a_phone_and_the_nav_is_in_reach(phone: Page, stack, account):
    sign_in(phone, stack, account["api"].email)
    too_wide = {}
    for name, path in main_pages(account).items():
        phone.goto(path)
        settled(phone)
        found = phone.evaluate(OVERFLOW)
        if found["scrollWidth"] > found["clientWidth"]:
            too_wide[name] = found
        nav = phone.get_by_role("navigation", name="Main")
        for link in NAV_LINKS:
            box = nav.get_by_role("link", name=link, exact=True).bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (name, link, box)
    assert too_wide == {}


@pytest.mark.parametrize("path", ["/signin", "/signup", "/forgot"])
def test_the_signed_out_pages_fit_a_phone(phone: Page, stack, path):
    phone.goto(path)
    settled(phone)
    found = phone.evaluate(OVERFLOW)
    assert found["scrollWidth"] <= found["clientWidth"], found


def test_a_phone_reaches_every_nav_link_by_tapping(phone: Page, stack, account):
    sign_in(phone, stack, account["api"].email)
    nav = phone.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="integrations", exact=True).tap()
    expect(phone).to_have_url(stack.url("/integrations/"))
    phone.get_by_role("navigation", name="Main").get_by_role("link", name="audit", exact=True).tap()
    expect(phone).to_have_url(stack.url("/audit/"))


def test_the_editor_s_variant_columns_stack_on_a_phone(phone: Page, stack, account):
    sign_in(phone, stack, account["api"].email)
    phone.goto(f"/contents/{account['content']}/edit")
    settled(phone)
    columns = phone.locator(".variants > .variant")
    expect(columns).to_have_count(3)  # the base text, every webhook channel, the one channel
    base, variant = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert variant["y"] >= base["y"] + base["height"]  # below, not beside
    assert variant["x"] + variant["width"] <= PHONE["width"]
