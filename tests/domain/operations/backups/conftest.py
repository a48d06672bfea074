"""A workspace with one of everything a backup holds."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.media_files import image_bytes
from webapp.domain.content import approvals, content_templates, media
from webapp.domain.integrations import notifications, subscriptions
from webapp.domain.publishing import schedules
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra.crypto import encrypt_credentials
from webapp.models import Attempt, MediaUpload, Workspace, utcnow


@pytest.fixture(autouse=True)
def _media(media_folder):
    return media_folder


@pytest.fixture
def workspace(make):
    actor = make.actor()
    blog = make.channel(actor, name="Blog", rules={"daily_limit": 3})
    news = make.channel(actor, name="News")
    content = make.content(
        actor,
        title="Launch",
        tags=["a"],
        variants=[{"channel_id": news.id, "title": "Launch, short"}, {"platform": "webhook", "excerpt": "Hooked"}],
    )
    approvals.submit(actor, content, "please look")
    image = media.add_media(actor, content.id, image_bytes("PNG"), "launch.png", "A red square")
    schedule = schedules.create_schedule(
        actor,
        {"content_id": content.id, "channel_ids": [blog.id, news.id], "run_at": utcnow() + timedelta(hours=2)},
    )
    published = schedules.publications_of(schedule)[1]
    published.status, published.attempts_count = "published", 1
    db.session.add(Attempt(publication_id=published.id, number=1, started_at=utcnow(), outcome="published"))
    db.session.add(MediaUpload(publication_id=published.id, media_id=image.id, remote_id="m-1", remote_url=None))
    # News (the lower channel id) waits for Blog: the waiting publication comes first in id order.
    chained = schedules.create_schedule(
        actor,
        {
            "content_id": content.id,
            "channel_ids": [blog.id, news.id],
            "run_at": utcnow() + timedelta(hours=3),
            "chain": [{"channel_id": news.id, "after_channel_id": blog.id}],
        },
    )
    content_templates.save_as_template(
        actor, content.id, {"name": "Launch template", "channel_ids": [news.id], "schedule": None}
    )
    alerts.raise_alert(actor.workspace_id, "missed", "one alert", channel_id=blog.id)
    subscriptions.create_subscription(actor, "https://example.test/hook", ["schedule.missed"])
    settings = notifications.settings_of(actor.user_id)
    settings.kinds, settings.digest_hour = ["failed"], 7
    settings.slack_url_encrypted = encrypt_credentials({"url": "https://hooks.example.test/T1"})
    db.session.add(settings)
    db.session.commit()
    assert [p.after_publication_id is not None for p in schedules.publications_of(chained)] == [False, True]
    return actor, db.session.get(Workspace, actor.workspace_id)
