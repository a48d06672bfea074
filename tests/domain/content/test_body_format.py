"""A body's format travels with it: to the publish request (variants written the same way) and to the limits check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from webapp.core.errors import ValidationFailed
from webapp.domain.content import contents
from webapp.domain.publishing import publisher, schedules
from webapp.models import utcnow

from . import test_variants

owner, channel_on = test_variants.owner, test_variants.channel_on  # the variants tests' fixtures


def _published_request(actor, content, channel):
    data = {"content_id": content.id, "channel_ids": [channel.id], "run_at": utcnow() + timedelta(hours=1)}
    (publication,) = schedules.publications_of(schedules.create_schedule(actor, data))
    return publisher.build_request(publication)


def test_the_publish_request_carries_the_content_s_format_to_its_variant(owner, make, channel_on):
    content = make.content(
        owner, body="<p>Base</p>", body_format="html", variants=[{"platform": "webhook", "body": "Hello <b>hook</b>"}]
    )

    request = _published_request(owner, content, channel_on("webhook"))

    assert (request.content.body, request.content.body_format) == ("Hello <b>hook</b>", "html")


def test_a_markdown_item_s_request_says_markdown(owner, make, channel_on):
    content = make.content(owner, body="Hello **there**")

    assert _published_request(owner, content, channel_on("webhook")).content.body_format == "markdown"


def test_the_mastodon_limit_is_judged_on_the_text_the_format_gives(owner, channel_on):
    toots = channel_on("mastodon")
    # 600 characters of markup around 10 of text: as HTML the status is short; as Markdown it is the markup.
    override = {"variants": [{"channel_id": toots.id, "body": '<span title="' + "x" * 580 + '">short text</span>'}]}

    contents.update_content(owner, contents.create_content(owner, title="H", body="b", body_format="html").id, override)
    with pytest.raises(ValidationFailed) as refused:
        contents.update_content(owner, contents.create_content(owner, title="M", body="b").id, override)

    assert list(refused.value.fields) == [f"variants.channel:{toots.id}"]
