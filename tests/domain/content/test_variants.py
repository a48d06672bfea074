"""Per-channel variants: field-by-field resolution, the platforms' limits, storage, and what publishing receives."""

from __future__ import annotations

import pytest

from webapp.adapters import ContentPayload
from webapp.core.errors import Forbidden, ValidationFailed
from webapp.domain.channels import channels
from webapp.domain.content import contents, variants
from webapp.extensions import db
from webapp.models import ContentVariant

BASE = {"title": "Base title", "body": "Base body", "excerpt": "Base excerpt", "tags": ["base"]}
CREDENTIALS = {
    "mastodon": ({"url": "https://social.example.test"}, {"access_token": "tok-123456"}),
    "ghost": ({"url": "https://blog.example.test"}, {"admin_api_key": "6489ab6489ab6489ab6489ab:" + "ab" * 32}),
    "wordpress": ({"url": "https://wp.example.test"}, {"username": "ada", "app_password": "abcd efgh"}),
    "webhook": ({"url": "https://hooks.example.test/h"}, {"secret": "s3cret"}),
}


@pytest.fixture
def owner(make):
    return make.actor()


@pytest.fixture
def channel_on(owner):
    def build(platform: str, name: str | None = None):
        settings, credentials = CREDENTIALS[platform]
        return channels.create_channel(
            owner, name=name or f"{platform} channel", platform=platform, settings=settings, credentials=credentials
        )

    return build


def _rows() -> int:
    return db.session.query(ContentVariant).count()


def test_a_field_without_overrides_comes_from_the_base():
    resolved = variants.resolve_fields(BASE)
    assert resolved.fields == {**BASE, "slug": None}
    assert set(resolved.sources.values()) == {"base"}


def test_the_channel_override_wins_over_the_platform_override_field_by_field():
    platform = {"title": "Platform title", "body": "Platform body", "excerpt": None, "tags": None}
    channel = {"title": "Channel title", "body": None, "excerpt": None, "tags": []}
    resolved = variants.resolve_fields(BASE, platform, channel)
    assert resolved.fields == {
        "title": "Channel title",
        "body": "Platform body",
        "excerpt": "Base excerpt",
        "tags": [],
        "slug": None,
    }
    assert resolved.sources == {
        "title": "channel",
        "body": "platform",
        "excerpt": "base",
        "tags": "channel",
        "slug": "base",
    }


def test_resolve_gives_the_adapter_payload_of_the_stored_variant(owner, make, channel_on):
    toot, other = channel_on("mastodon", "toots"), channel_on("mastodon", "second toots")
    content = make.content(
        owner,
        title="Launch",
        body="Long article",
        tags=["launch"],
        variants=[
            {"platform": "mastodon", "body": "We launched! https://example.test/launch"},
            {"channel_id": toot.id, "tags": ["news"]},
        ],
    )
    assert variants.resolve(content, toot) == ContentPayload(
        id=content.id,
        title="Launch",
        body="We launched! https://example.test/launch",
        excerpt=None,
        content_type="article",
        tags=("news",),
    )
    assert variants.resolve(content, other).tags == ("launch",)
    assert variants.resolve(content, channel_on("webhook")).body == "Long article"


def test_a_mastodon_variant_counts_each_url_as_23_and_remote_mentions_by_their_local_part(owner, make):
    # 23 + 1 + 10 ("@ada" 4, " " 1, "x" * 5) ... built so the count is exactly the limit.
    url = "https://example.com/" + "a" * 200
    mention = "@ada@very-long-instance-name.example.test"
    body = f"{url} {mention} " + "x" * (500 - 23 - 1 - 4 - 1)
    content = make.content(owner, variants=[{"platform": "mastodon", "body": body}])
    assert content.variants[0].body == body

    with pytest.raises(ValidationFailed) as error:
        make.content(owner, variants=[{"platform": "mastodon", "body": body + "y"}])
    assert error.value.fields == {
        "variants.platform:mastodon": "status is 501 characters (each URL counts as 23); this instance allows 500"
    }


def test_a_mastodon_variant_with_nothing_to_post_is_refused_and_nothing_is_written(owner, make):
    with pytest.raises(ValidationFailed) as error:
        make.content(owner, body="", variants=[{"platform": "mastodon", "title": "Only a title"}])
    assert error.value.fields == {"variants.platform:mastodon": "content has no text to post"}
    assert _rows() == 0


def test_a_ghost_variant_keeps_ghost_s_excerpt_limit(owner, make):
    with pytest.raises(ValidationFailed) as error:
        make.content(owner, variants=[{"platform": "ghost", "excerpt": "e" * 301}])
    assert error.value.fields == {"variants.platform:ghost": "excerpt is 301 characters; Ghost allows at most 300"}


def test_a_channel_variant_is_judged_by_its_channel_s_platform(owner, make, channel_on):
    ghost = channel_on("ghost")
    with pytest.raises(ValidationFailed) as error:
        make.content(owner, variants=[{"channel_id": ghost.id, "title": "t" * 256}])
    assert error.value.fields == {
        f"variants.channel:{ghost.id}": "title is 256 characters; this platform allows at most 255"
    }


@pytest.mark.parametrize(
    ("raw", "field", "message"),
    [
        ("nope", "variants", "must be a list of overrides"),
        (["x"], "variants[0]", "must be an object"),
        ([{}], "variants[0]", "give either platform or channel_id"),
        ([{"platform": "mastodon", "channel_id": 1}], "variants[0]", "give either platform or channel_id"),
        (
            [{"platform": "myspace"}],
            "variants[0]",
            "platform must be one of webhook, wordpress, ghost, shopify, mastodon",
        ),
        ([{"channel_id": 999}], "variants[0]", "unknown channel id"),
        ([{"platform": "ghost", "colour": "red"}], "variants[0]", "unknown field(s): colour"),
        ([{"platform": "ghost"}, {"platform": "ghost"}], "variants[1]", "a second override for platform:ghost"),
        (
            [{"platform": "ghost", "title": "t" * 301}],
            "variants.platform:ghost.title",
            "must be at most 300 characters",
        ),
        ([{"platform": "ghost", "body": 5}], "variants.platform:ghost.body", "must be text"),
        ([{"platform": "ghost", "tags": "a,b"}], "variants.platform:ghost.tags", "must be a list of short texts"),
    ],
)
def test_malformed_variants_are_refused_by_field(owner, make, raw, field, message):
    with pytest.raises(ValidationFailed) as error:
        make.content(owner, variants=raw)
    assert error.value.fields[field] == message
    assert _rows() == 0


def test_another_workspace_s_channel_reads_as_unknown(owner, make):
    outsider = make.actor()
    theirs = channels.create_channel(
        outsider,
        name="theirs",
        platform="webhook",
        settings={"url": "https://h.example.test"},
        credentials={"secret": "s"},
    )
    with pytest.raises(ValidationFailed) as error:
        make.content(owner, variants=[{"channel_id": theirs.id, "body": "hi"}])
    assert error.value.fields == {"variants[0]": "unknown channel id"}


def test_blank_override_fields_are_inherited_and_an_empty_override_is_not_stored(owner, make):
    content = make.content(owner, variants=[{"platform": "ghost", "title": "  ", "body": ""}, {"platform": "webhook"}])
    assert content.variants == []


def test_an_update_replaces_the_variants_in_place_and_drops_the_missing(owner, make, channel_on):
    hook = channel_on("webhook")
    content = make.content(owner, variants=[{"platform": "ghost", "title": "G"}, {"channel_id": hook.id, "body": "H"}])
    ghost_row = content.variants[0].id

    contents.update_content(owner, content.id, {"variants": [{"platform": "ghost", "title": "G2"}]})

    db.session.expire_all()
    rows = db.session.query(ContentVariant).all()
    assert [(r.id, r.platform, r.title) for r in rows] == [(ghost_row, "ghost", "G2")]


def test_an_update_without_variants_keeps_them_but_rechecks_them_against_the_new_base(owner, make):
    content = make.content(owner, body="short", variants=[{"platform": "mastodon", "title": "Toot title"}])
    contents.update_content(owner, content.id, {"title": "Renamed"})
    assert variants.overrides_of(content) == [
        {
            "platform": "mastodon",
            "channel_id": None,
            "title": "Toot title",
            "body": None,
            "excerpt": None,
            "tags": None,
            "slug": None,
        }
    ]
    with pytest.raises(ValidationFailed) as error:
        contents.update_content(owner, content.id, {"body": "x" * 600})
    assert list(error.value.fields) == ["variants.platform:mastodon"]
    db.session.rollback()
    assert contents.get_content(owner, content.id).body == "short"


def test_deleting_a_channel_or_the_content_deletes_their_variants(owner, make, channel_on):
    hook = channel_on("webhook")
    content = make.content(owner, variants=[{"channel_id": hook.id, "body": "H"}, {"platform": "ghost", "title": "G"}])
    channels.delete_channel(owner, hook.id)
    assert [v.platform for v in db.session.query(ContentVariant)] == ["ghost"]
    contents.delete_content(owner, content.id)
    assert _rows() == 0


def test_a_viewer_cannot_write_variants(make, owner):
    viewer = make.actor(role="viewer")
    with pytest.raises(Forbidden):
        make.content(viewer, variants=[{"platform": "ghost", "title": "G"}])


def test_the_offline_check_never_calls_the_instance_for_a_long_status():
    # A real MastodonAdapter would ask the (unreachable) instance for its limit; the editor must not.
    payload = ContentPayload(id=1, title="t", body="x" * 501, excerpt=None, content_type="social", tags=())
    assert variants.platform_problem("mastodon", payload).startswith("status is 501 characters")


def test_a_mastodon_variant_is_judged_by_mastodon_s_own_count(make, owner):
    # 468 CJK characters, a long URL (23), a remote mention (as "@ann", 4), an emoji family (1) and 4 spaces:
    # exactly 500 as Mastodon counts them, far more in code points. One more is refused before anything is sent.
    body = "字" * 468 + " https://example.com/" + "p" * 200 + "?q=1 @ann@example.social 👨\u200d👩\u200d👧 "
    fits = [{"platform": "mastodon", "body": body}]
    content = make.content(owner, title="T", variants=fits)
    assert [v.body for v in content.variants] == [body]

    with pytest.raises(ValidationFailed) as refused:
        make.content(owner, title="T", variants=[{"platform": "mastodon", "body": body + "字"}])
    assert refused.value.fields == {
        "variants.platform:mastodon": "status is 501 characters (each URL counts as 23); this instance allows 500"
    }


def test_the_publish_request_carries_the_channel_s_resolved_variant(owner, make, channel_on):
    from datetime import timedelta

    from webapp.domain.publishing import publisher, schedules
    from webapp.models import utcnow

    hook = channel_on("webhook")
    content = make.content(
        owner,
        title="Base",
        body="Long article",
        variants=[{"platform": "webhook", "body": "Short"}, {"channel_id": hook.id, "title": "Hook title"}],
    )
    data = {"content_id": content.id, "channel_ids": [hook.id], "run_at": utcnow() + timedelta(hours=1)}
    (publication,) = schedules.publications_of(schedules.create_schedule(owner, data))
    request = publisher.build_request(publication)
    assert (request.content.title, request.content.body, request.content.tags) == ("Hook title", "Short", ())


def test_a_worker_publishes_the_resolved_variant(owner, make, channel_on, monkeypatch):
    from datetime import timedelta

    from webapp.domain.publishing import publisher, schedules
    from webapp.extensions import db
    from webapp.models import utcnow

    hook = channel_on("webhook")
    variant = {"platform": "webhook", "body": "Short"}
    content = make.content(owner, title="Base", body="Long article", variants=[variant])
    data = {"content_id": content.id, "channel_ids": [hook.id], "run_at": utcnow() + timedelta(hours=1)}
    (publication,) = schedules.publications_of(schedules.create_schedule(owner, data))
    publication_id = publication.id
    publisher.mark_queued([publication_id])
    db.session.expunge_all()  # the worker loads everything itself, in its claim
    sent = []

    def fake_platform(publication):
        from webapp.adapters.base import PublishResult

        sent.append(publisher.build_request(publication).content.body)
        return PublishResult(external_id="1", external_url=None, http_status=200, response_excerpt=None)

    monkeypatch.setattr(publisher, "_call_platform", fake_platform)
    assert publisher.execute(publication_id) == "published"
    assert sent == ["Short"]
