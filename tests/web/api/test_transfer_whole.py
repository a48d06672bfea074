"""Exports that come back whole: variants, images, templates, chains and exceptions survive a round trip."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime

import pytest

from tests.frozen import frozen_clock
from tests.media_files import image_bytes
from webapp.domain.content import content_templates, media
from webapp.domain.operations import transfer
from webapp.domain.publishing import occurrences, schedules
from webapp.extensions import db
from webapp.models import Content, ContentTemplate, Media, Schedule, ScheduleException

from .transfer_peer import MediaPeer

NOW = datetime(2031, 3, 3, 8, 0, tzinfo=UTC)  # a Monday
_clock = frozen_clock(NOW)


@pytest.fixture
def peer(app, media_folder, monkeypatch):
    """Serve stored images over HTTP (Herald's media URLs point at it) and any bytes a test puts in `extra`."""
    with MediaPeer(media_folder) as served:
        monkeypatch.setitem(app.config, "PUBLIC_URL", served.url)
        app.extensions.pop(media.EXTENSION, None)
        yield served
        app.extensions.pop(media.EXTENSION, None)


def _channels(make, actor):
    return make.channel(actor, name="Blog"), make.channel(actor, name="News")


def _whole_workspace(make, actor):
    """Content with variants, an image and a template; a recurring chained schedule with exceptions; a one-time one."""
    blog, news = _channels(make, actor)
    item = make.content(
        actor,
        title="Launch",
        tags=["news"],
        slug="launch",
        variants=[
            {"platform": "webhook", "title": "Launch (hooks)"},
            {"channel_id": news.id, "excerpt": "For the newsroom", "slug": "launch-news", "tags": ["press"]},
        ],
    )
    media.add_media(actor, item.id, image_bytes("PNG"), "square.png", "A red square")
    content_templates.save_as_template(
        actor,
        item.id,
        {"name": "Launch kit", "channel_ids": [news.id], "schedule": {"cron": "0 9 * * *", "timezone": "UTC"}},
    )
    series = schedules.create_schedule(
        actor,
        {
            "content_id": item.id,
            "channel_ids": [blog.id, news.id],
            "cron": "0 9 * * *",
            "timezone": "Europe/Paris",
            "ends_at": "2031-06-01T00:00:00Z",
            "max_runs": 20,
            "clash_policy": "skip",
            "chain": [{"channel_id": news.id, "after_channel_id": blog.id}],
        },
    )
    occurrences.skip(actor, series.id, {"at": "2031-03-05T08:00:00Z"})
    occurrences.move(actor, series.id, {"at": "2031-03-06T08:00:00Z", "to": "2031-03-06T10:00:00Z"})
    schedules.create_schedule(
        actor, {"content_id": item.id, "channel_ids": [blog.id], "run_at": "2031-04-01T12:00:00Z"}
    )
    return blog, news


def _comparable(document: dict) -> dict:
    """The document without what an import does not carry: ids, the export's time, images' signed URLs."""
    document = copy.deepcopy(document)
    document.pop("exported_at")
    for row in document["items"]:
        for field in ("id", "content_id", "channel_ids"):
            row.pop(field, None)
        for image in row.get("images", []):
            image.pop("url")
    return document


def test_a_json_export_imported_into_an_empty_workspace_exports_the_same_document(api, make, api_key, outsider, peer):
    _whole_workspace(make, api_key[1])
    other_key, other = outsider
    _channels(make, other)  # channels travel by name; their credentials never do
    for kind in ("contents", "schedules"):
        exported = api("GET", f"/export?kind={kind}&format=json").json

        answer = api("POST", f"/import?kind={kind}", key_override=other_key, json=exported)

        assert answer.status_code == 201, answer.json
        again = api("GET", f"/export?kind={kind}&format=json", key_override=other_key).json
        assert _comparable(again) == _comparable(exported)
    first, second = db.session.query(Media).order_by(Media.id).all()
    assert second.workspace_id == other.workspace_id and second.sha256 == first.sha256
    assert media.read_bytes(second) == media.read_bytes(first) and second.storage_key != first.storage_key


def test_the_round_trip_carries_every_part_the_issue_named(api, make, api_key, peer):
    _whole_workspace(make, api_key[1])
    contents = api("GET", "/export?kind=contents").json
    schedules_ = api("GET", "/export?kind=schedules").json

    [item] = contents["items"]
    assert [v.get("platform") or v.get("channel") for v in item["variants"]] == ["webhook", "News"]
    assert item["variants"][1]["slug"] == "launch-news"
    assert item["images"][0]["sha256"] == hashlib.sha256(image_bytes("PNG")).hexdigest()
    assert item["images"][0]["url"].startswith(peer.url)
    assert contents["templates"][0]["channels"] == ["News"]
    series = schedules_["items"][0]
    assert series["chain"] == [{"channel": "News", "after_channel": "Blog"}]
    assert (series["clash_policy"], series["max_runs"], series["ends_at"]) == ("skip", 20, "2031-06-01T00:00:00Z")
    assert series["exceptions"] == [
        {"original_at": "2031-03-05T08:00:00Z", "change": "skip", "moved_to": None},
        {"original_at": "2031-03-06T08:00:00Z", "change": "move", "moved_to": "2031-03-06T10:00:00Z"},
    ]


def test_a_zip_export_carries_the_images_as_files_and_imports_without_any_url(
    api, make, api_key, outsider, media_folder
):
    _whole_workspace(make, api_key[1])
    other_key, other = outsider
    _channels(make, other)

    archive = api("GET", "/export?kind=contents&format=zip")

    assert archive.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(archive.data)) as opened:
        document = json.loads(opened.read("herald.json"))
        [image] = document["items"][0]["images"]
        assert image["url"] is None and opened.read(image["file"]) == image_bytes("PNG")
    answer = api(
        "POST",
        "/import?kind=contents",
        key_override=other_key,
        data=archive.data,
        headers={"Content-Type": "application/zip"},
    )
    assert answer.status_code == 201, answer.json
    copy_ = db.session.get(Content, answer.json["ids"][0])
    assert [m.sha256 for m in copy_.media] == [image["sha256"]]
    assert db.session.query(ContentTemplate).filter_by(workspace_id=other.workspace_id).count() == 1


def test_an_imported_series_keeps_its_skipped_first_run_skipped(api, make, api_key, outsider):
    blog, _ = _channels(make, api_key[1])
    item = make.content(api_key[1], title="Daily")
    series = schedules.create_schedule(
        api_key[1], {"content_id": item.id, "channel_ids": [blog.id], "cron": "0 9 * * *", "timezone": "UTC"}
    )
    occurrences.skip(api_key[1], series.id)  # the first run, 2031-03-03 09:00
    other_key, other = outsider
    _channels(make, other)
    make.content(other, title="Daily")

    answer = api(
        "POST", "/import?kind=schedules", key_override=other_key, json=api("GET", "/export?kind=schedules").json
    )

    assert answer.status_code == 201, answer.json
    copy_ = db.session.get(Schedule, answer.json["ids"][0])
    assert copy_.next_run_at == datetime(2031, 3, 4, 9, 0, tzinfo=UTC)
    assert [p.due_at for p in schedules.publications_of(copy_)] == [datetime(2031, 3, 4, 9, 0, tzinfo=UTC)]
    assert db.session.query(ScheduleException).filter_by(schedule_id=copy_.id).count() == 1


def _content_rows(api, peer, **image):
    good = image_bytes("PNG")
    peer.extra["/good.png"] = good
    entry = {
        "alt_text": "A square",
        "filename": "a.png",
        "url": f"{peer.url}/good.png",
        "sha256": hashlib.sha256(good).hexdigest(),
    } | image
    return [{"title": "Fine"}, {"title": "With image", "images": [entry]}]


@pytest.mark.parametrize(
    ("image", "field", "says"),
    [
        ({"sha256": "0" * 64}, "images[0].sha256", "does not match"),
        (
            {"url": "PEER/text.txt", "sha256": hashlib.sha256(b"not an image").hexdigest()},
            "images[0].file",
            "not an image",
        ),
        ({"url": "PEER/missing.png"}, "images[0].url", "could not be fetched"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "images[0].url", "is refused"),
        ({"url": None}, "images[0].url", "is required"),
        ({"alt_text": ""}, "images[0].alt_text", "required"),
    ],
)
def test_an_image_that_fails_its_checks_imports_nothing(api, peer, media_folder, image, field, says):
    peer.extra["/text.txt"] = b"not an image"
    image = {k: v.replace("PEER", peer.url) if isinstance(v, str) else v for k, v in image.items()}

    answer = api("POST", "/import?kind=contents", json=_content_rows(api, peer, **image))

    assert answer.status_code == 422
    [problem] = answer.json["error"]["rows"]
    assert (problem["row"], problem["field"]) == (2, field) and says in problem["message"], problem
    assert db.session.query(Content).count() == 0 and db.session.query(Media).count() == 0
    assert not [p for p in media_folder.rglob("*") if p.is_file()]


def test_an_image_bigger_than_uploads_may_be_is_refused(api, peer, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_MAX_BYTES", 50)

    answer = api("POST", "/import?kind=contents", json=_content_rows(api, peer))

    assert answer.json["error"]["rows"][0]["field"] == "images[0].file"
    assert "at most 50 are allowed" in answer.json["error"]["rows"][0]["message"]


def test_a_good_image_by_url_is_stored_with_its_content(api, peer, media_folder):
    answer = api("POST", "/import?kind=contents", json=_content_rows(api, peer))

    assert answer.status_code == 201, answer.json
    stored = db.session.get(Content, answer.json["ids"][1]).media
    assert [(m.alt_text, m.content_type) for m in stored] == [("A square", "image/png")]


@pytest.mark.parametrize(
    ("variant", "field"),
    [
        ({"channel": "Nowhere", "title": "x"}, "variants[0].channel"),
        ({"platform": "myspace", "title": "x"}, "variants[0]"),
        ({"channel": "Blog", "slug": "Not a slug!"}, "variants.channel:{blog}.slug"),
    ],
)
def test_a_bad_variant_imports_nothing_and_is_named(api, make, api_key, variant, field):
    blog, _ = _channels(make, api_key[1])

    answer = api("POST", "/import?kind=contents", json=[{"title": "Good"}, {"title": "Bad", "variants": [variant]}])

    assert answer.status_code == 422
    assert [(p["row"], p["field"]) for p in answer.json["error"]["rows"]] == [(2, field.format(blog=blog.id))]
    assert db.session.query(Content).count() == 0


def test_an_unknown_channel_in_a_chain_or_a_schedule_is_a_row_error(api, make, api_key):
    make.channel(api_key[1], name="Blog")
    make.content(api_key[1], title="Launch")
    rows = [
        {"content": "Launch", "channels": ["Blog"], "run_at": "2031-04-01T09:00:00Z"},
        {
            "content": "Launch",
            "channel_names": ["Blog"],
            "run_at": "2031-04-01T09:00:00Z",
            "chain": [{"channel": "Blog", "after_channel": "Gone"}],
        },
        {"content": "Launch", "channel_names": ["Gone"], "run_at": "2031-04-01T09:00:00Z"},
    ]

    answer = api("POST", "/import?kind=schedules", json=rows)

    assert answer.status_code == 422
    assert [(p["row"], p["field"]) for p in answer.json["error"]["rows"]] == [
        (2, "chain[0].after_channel"),
        (3, "channel_ids"),
    ]
    assert db.session.query(Schedule).count() == 0


def test_a_bad_exception_or_template_imports_nothing(api, make, api_key):
    make.channel(api_key[1], name="Blog")
    make.content(api_key[1], title="Launch")
    series = {
        "content": "Launch",
        "channels": ["Blog"],
        "cron": "0 9 * * *",
        "timezone": "UTC",
        "exceptions": [{"original_at": "2031-03-09T09:00:00Z", "change": "teleport"}],
    }
    answer = api("POST", "/import?kind=schedules", json=[series])
    assert [(p["row"], p["field"]) for p in answer.json["error"]["rows"]] == [(1, "exceptions[0].change")]

    document = {"items": [{"title": "Fine"}], "templates": [{"name": "T", "title": "T", "channels": ["Gone"]}]}
    answer = api("POST", "/import?kind=contents", json=document)
    assert answer.status_code == 422
    assert [(p["row"], p["field"]) for p in answer.json["error"]["rows"]] == [(None, "templates[0].channels")]
    assert db.session.query(Content).count() == 1 and db.session.query(Schedule).count() == 0  # "Launch" only


def test_a_schedules_export_from_this_workspace_names_its_own_records_by_id(api, make, api_key):
    actor = api_key[1]
    blog, _ = _channels(make, actor)
    first = make.content(actor, title="Same title")
    make.content(actor, title="Same title")  # a title alone would be ambiguous: the id decides
    schedules.create_schedule(
        actor, {"content_id": first.id, "channel_ids": [blog.id], "run_at": "2031-04-01T12:00:00Z"}
    )

    answer = api("POST", "/import?kind=schedules", json=api("GET", "/export?kind=schedules").json)

    assert answer.status_code == 201, answer.json
    assert db.session.get(Schedule, answer.json["ids"][0]).content_id == first.id


def test_a_zip_that_is_not_an_export_is_refused(api):
    answer = api(
        "POST", "/import?kind=contents", data=b"PK\x03\x04 not really", headers={"Content-Type": "application/zip"}
    )
    assert answer.status_code == 422 and answer.json["error"]["fields"] == {"file": "is not a readable ZIP archive"}
    assert api("GET", "/export?kind=schedules&format=zip").status_code == 422


def test_the_upload_cleanup_removes_files_when_the_commit_fails(api, peer, media_folder, monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(transfer.audit, "record", refuse)
    with pytest.raises(RuntimeError):
        api("POST", "/import?kind=contents", json=_content_rows(api, peer))
    assert not [p for p in media_folder.rglob("*") if p.is_file()]
