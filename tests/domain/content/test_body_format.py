"""A body's format travels with it: to the publish request (variants written the same way) and to the limits check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.core.errors import ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.domain.publishing import publisher, schedules
from webapp.models import utcnow


def _published_request(actor, make, content, channel):
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    (publication,) = schedules.publications_of(schedules.create_schedule(actor, data))
    return publisher.build_request(publication)


def test_the_publish_request_carries_the_content_s_format_to_its_variant(make):
    owner = make.actor()
    hook = make.channel(owner)
    content = make.content(
        owner, body="<p>Base</p>", body_format="html", variants=[{"platform": "webhook", "body": "Hello <b>hook</b>"}]
    )

    request = _published_request(owner, make, content, hook)

    assert (request.content.body, request.content.body_format) == ("Hello <b>hook</b>", "html")


def test_a_markdown_item_s_request_says_markdown(make):
    owner = make.actor()
    content = make.content(owner, body="Hello **there**")

    assert _published_request(owner, make, content, make.channel(owner)).content.body_format == "markdown"


def test_the_mastodon_limit_is_judged_on_the_text_the_format_gives(make):
    owner = make.actor()
    toots = channels.create_channel(
        owner,
        name="Toots",
        platform="mastodon",
        settings={"url": "https://social.example.test"},
        credentials={"access_token": "tok-123456"},
    )
    # 600 characters of markup around 10 of text: as HTML the status is short; as Markdown it is the markup.
    body = '<span title="' + "x" * 580 + '">short text</span>'

    html_item = contents.create_content(owner, title="H", body="b", body_format="html")
    contents.update_content(owner, html_item.id, {"variants": [{"channel_id": toots.id, "body": body}]})

    markdown_item = contents.create_content(owner, title="M", body="b")
    with pytest.raises(ValidationFailed) as refused:
        contents.update_content(owner, markdown_item.id, {"variants": [{"channel_id": toots.id, "body": body}]})
    assert list(refused.value.fields) == [f"variants.channel:{toots.id}"]
