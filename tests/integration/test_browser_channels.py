"""A channel, whole, in Chromium against the real web, worker and scheduler: edit, rotate the secret, pause, delete."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from webapp.adapters.signing import verify

from .browser import collect_page_errors, loaded, sign_in
from .harness import utc_text

pytestmark = [pytest.mark.integration, pytest.mark.browser]

FIRST_SECRET = "first-secret-AAAA-1111"
SECOND_SECRET = "second-secret-BBBB-2222"
THIRD_SECRET = "third-secret-CCCC-3333"


@pytest.fixture(scope="module")
def api(own_user):
    return own_user("channels")


def _wait_status(api, publication_id: int, status: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        publication = api.publication(publication_id)
        if publication["status"] == status:
            return publication
        assert time.monotonic() < deadline, f"publication {publication_id} still {publication['status']}"
        time.sleep(0.1)


def _no_secret_in(page: Page) -> None:
    source = page.content()
    for secret in (FIRST_SECRET, SECOND_SECRET, THIRD_SECRET):
        assert secret not in source


def _save(page: Page) -> None:
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_role("status").filter(has_text="saved")).to_be_visible()
    loaded(page)


def test_a_person_edits_rotates_pauses_and_resumes_a_channel(page: Page, stack, api, receiver):
    errors = collect_page_errors(page)
    first_url, second_url = receiver.hook(), receiver.hook()
    channel = api.create(
        "/channels",
        {
            "name": "Team blog",
            "platform": "webhook",
            "settings": {"url": first_url},
            "credentials": {"secret": FIRST_SECRET},
        },
    )
    content = api.create("/contents", {"title": "Launch notes", "body": "We shipped.", "status": "approved"})
    sign_in(page, stack, api.email)

    page.goto("/channels/")
    page.get_by_role("link", name="Team blog", exact=True).click()
    expect(page.get_by_role("heading", name="Edit")).to_be_visible()
    _no_secret_in(page)

    page.get_by_label("Name", exact=True).fill("Team blog (main)")
    page.get_by_label("Webhook URL").fill(second_url)
    page.get_by_text("Publishing rules (optional)").click()
    page.get_by_label("Weekly limit").fill("50")
    page.get_by_label("Rate limit (posts per minute)").fill("20")
    page.get_by_label("New signing secret").fill(SECOND_SECRET)
    _save(page)
    _no_secret_in(page)
    expect(page.get_by_role("heading", name="channel Team blog (main)")).to_be_visible()
    expect(page.get_by_label("Webhook URL")).to_have_value(second_url)
    expect(page.get_by_label("New signing secret")).to_have_value("")

    page.get_by_label("New signing secret").fill(THIRD_SECRET)  # rotate once more
    _save(page)
    _no_secret_in(page)
    stored = api.call("GET", f"/channels/{channel['id']}").json()
    assert (stored["name"], stored["settings"]["url"]) == ("Team blog (main)", second_url)
    assert stored["rules"] == {"weekly_limit": 50, "rate_per_minute": 20}

    page.get_by_role("button", name="Pause channel").click()
    expect(page.locator("#channel-state")).to_contain_text("paused since")
    loaded(page)
    # Due while the channel is paused: the worker holds it rather than send it.
    (held,) = api.create("/publish-now", {"content_id": content["id"], "channel_ids": [channel["id"]]})["items"]
    held = _wait_status(api, held["id"], "paused")
    assert held["hold_reason"].startswith("held: the channel is paused")
    assert receiver.deliveries_to(second_url) == []
    # The page learns of it live (SSE), with no reload, and offers to release it.
    resume = page.get_by_role("button", name="Resume the 1 held publication")
    expect(resume).to_be_visible()
    resume.click()
    expect(page.get_by_role("button", name="Pause channel")).to_be_visible()

    published = api.wait_until_final(held["id"])
    assert published["status"] == "published"
    (delivery,) = receiver.wait_for(second_url, 1)
    headers = delivery.headers
    assert verify(THIRD_SECRET, headers["X-Herald-Timestamp"], delivery.body, headers["X-Herald-Signature"])
    assert receiver.deliveries_to(first_url) == []
    _no_secret_in(page)
    assert errors == []


def test_a_person_deletes_a_channel_with_a_pending_post(page: Page, stack, api, receiver):
    channel = api.create(
        "/channels",
        {
            "name": "Old shop news",
            "platform": "webhook",
            "settings": {"url": receiver.hook()},
            "credentials": {"secret": FIRST_SECRET},
        },
    )
    content = api.create("/contents", {"title": "Next week", "body": "Soon.", "status": "approved"})
    later = utc_text(datetime.now(UTC).replace(microsecond=0) + timedelta(days=2))
    schedule = api.create("/schedules", {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": later})
    (pending,) = schedule["publications"]
    sign_in(page, stack, api.email)

    page.goto(f"/channels/{channel['id']}")
    expect(page.locator("#delete")).to_contain_text("1 pending publication")
    page.get_by_role("button", name="Delete channel").click()
    expect(page.locator("#pending-error")).to_contain_text("1 pending publication")
    assert api.publication(pending["id"])["status"] == "scheduled"

    page.get_by_label("Cancel its 1 pending publication").check()
    page.get_by_role("button", name="Delete channel").click()

    expect(page).to_have_url(stack.url("/channels/"))
    expect(page.get_by_role("status").filter(has_text="deleted")).to_be_visible()
    expect(page.locator("#channel-list").get_by_text("Old shop news")).to_have_count(0)
    assert api.publication(pending["id"])["status"] == "cancelled"
    assert api.call("GET", f"/channels/{channel['id']}").status_code == 404
    page.goto(f"/publications/{pending['id']}")
    expect(page.get_by_text(f"Old shop news (deleted #{channel['id']})")).to_be_visible()


def test_what_a_person_typed_survives_the_platform_fields_arriving_late(page: Page, stack, api, receiver):
    """On a busy server the chosen platform's fields can land after the URL and secret were typed: keep them."""
    errors = collect_page_errors(page)
    hook = receiver.hook()
    held: list = []
    sign_in(page, stack, api.email)
    page.goto("/channels/")
    loaded(page)
    # Hold the fields' answer until the person has typed, as a slow server would.
    page.route("**/channels/fields?*", lambda route: held.append(route))

    page.get_by_label("Platform", exact=True).select_option("webhook")
    deadline = time.monotonic() + 10
    while not held:
        assert time.monotonic() < deadline, "choosing the platform sent no request for its fields"
        page.wait_for_timeout(20)
    page.get_by_label("Name", exact=True).fill("Typed fast")
    page.get_by_label("Webhook URL", exact=True).fill(hook)
    page.get_by_label("Signing secret", exact=True).fill(FIRST_SECRET)
    page.evaluate("() => { document.querySelector('#platform-fields').dataset.typedInto = ''; }")
    (route,) = held
    route.fulfill(response=route.fetch())
    # The fields the person typed into are gone: the platform's answer took their place.
    expect(page.locator("#platform-fields[data-typed-into]")).to_have_count(0)
    expect(page.locator("#platform-fields")).to_have_count(1)

    expect(page.get_by_label("Webhook URL", exact=True)).to_have_value(hook)
    expect(page.get_by_label("Signing secret", exact=True)).to_have_value(FIRST_SECRET)
    page.get_by_role("button", name="Add channel").click()
    expect(page.get_by_role("cell", name="Typed fast", exact=True)).to_be_visible()
    (created,) = [c for c in api.call("GET", "/channels").json()["items"] if c["name"] == "Typed fast"]
    assert created["settings"]["url"] == hook
    _no_secret_in(page)
    assert errors == []
