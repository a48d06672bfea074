"""Workspace backup and restore: a round trip keeps everything but ids; restore is one transaction."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest

from tests.media_files import image_bytes
from webapp.domain.accounts import accounts
from webapp.domain.content import approvals, content_templates, media
from webapp.domain.integrations import notifications, subscriptions
from webapp.domain.operations import backup
from webapp.domain.publishing import schedules
from webapp.domain.shared import alerts
from webapp.extensions import db
from webapp.infra import dispatch
from webapp.infra.crypto import decrypt_credentials, encrypt_credentials
from webapp.models import (
    Alert,
    Attempt,
    Channel,
    ContentTemplate,
    ContentVariant,
    Invitation,
    Media,
    MediaUpload,
    Membership,
    NotificationSettings,
    Publication,
    ReviewDecision,
    Schedule,
    Workspace,
    utcnow,
)

ENCRYPTED_COLUMNS = (*backup.ENCRYPTED.values(), backup.SETTINGS_ENCRYPTED)

pytestmark = pytest.mark.usefixtures("media_folder")


def _id_like(key: str) -> bool:
    # Ids and references differ after a restore by design; storage keys are new ones of the new workspace.
    return key == "id" or key.endswith("_id") or key in ("idempotency_key", "dispatch_seq", "storage_key")


def _plain(row: dict, channel_names: dict[int, str]) -> dict:
    """A row with ids dropped, secrets decrypted, and the channel ids inside JSON columns named."""
    row = {k: v for k, v in row.items() if not _id_like(k)}
    for column in ENCRYPTED_COLUMNS:
        if row.get(column):
            row[column] = decrypt_credentials(row[column])
    if row.get("chain"):
        row["chain"] = [{k: channel_names[v] for k, v in link.items()} for link in row["chain"]]
    if "channel_ids" in row:
        row["channel_ids"] = [channel_names[c] for c in row["channel_ids"]]
    if "variants" in row:
        row["variants"] = [{**v, "channel_id": channel_names.get(v["channel_id"])} for v in row["variants"]]
    return row


def _normalised(archive: dict) -> dict:
    """The archive with ids dropped and encrypted values decrypted (Fernet tokens differ on every encryption)."""
    names = {c["id"]: c["name"] for c in archive["channels"]}
    result = {"workspace": {k: v for k, v in archive["workspace"].items() if k not in ("id", "slug")}}
    result["members"] = [
        {**m, "notification_settings": _plain(m["notification_settings"], names)} if "notification_settings" in m else m
        for m in archive["members"]
    ]
    result["users"] = sorted(u["email"] for u in archive["users"])
    for name, _ in backup.SECTIONS:
        result[name] = [_plain(row, names) for row in archive[name]]
    result["schedule_channels"] = len(archive["schedule_channels"])
    return result


def _restore(archive: dict, slug: str | None = None, **kwargs):
    """Restore as the operator does, naming the archive's (first) owner as the new workspace's owner."""
    owners = (
        [m["email"] for m in archive.get("members", []) if m.get("role") == "owner"]
        if isinstance(archive, dict)
        else []
    )
    kwargs.setdefault("owner_email", owners[0] if owners else None)
    return backup.restore(archive, slug, **kwargs)


@pytest.fixture
def workspace(make):
    """A workspace with one of everything a backup holds."""
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


def _in(model, workspace: Workspace) -> list:
    return db.session.query(model).filter_by(workspace_id=workspace.id).order_by(model.id).all()


def test_backup_restore_backup_gives_the_same_archive_but_for_ids(workspace, make):
    actor, original = workspace
    first = json.loads(json.dumps(backup.backup(original.slug)))  # through JSON, as the file is
    owner = make.user()

    restored = _restore(first, "copy", owner_email=owner.email)
    second = backup.backup("copy")

    assert restored.id != original.id
    assert first["version"] == 2 and first["warnings"] == []
    counts = {name: len(first[name]) for name, _ in backup.SECTIONS}
    assert counts == {
        "channels": 2,
        "contents": 1,
        "content_variants": 2,
        "content_templates": 1,
        "review_decisions": 1,
        "media": 1,
        "schedules": 2,
        "publications": 4,
        "attempts": 1,
        "media_uploads": 1,
        "alerts": 1,
        "webhook_subscriptions": 1,
    }
    assert first["members"][0]["notification_settings"]["kinds"] == ["failed"]
    assert _normalised(second)["channels"] == _normalised(first)["channels"]
    expected = _normalised(first)
    # The named owner is the only member: the archive's members were invited, not added.
    expected["members"] = [{"email": owner.email, "role": "owner"}]
    expected["users"] = sorted([*expected["users"], owner.email])
    assert _normalised(second) == expected


def test_the_restored_records_point_at_each_other(workspace):
    actor, original = workspace
    restored = _restore(backup.backup(original.slug), "copy")

    channels = {c.name: c.id for c in _in(Channel, restored)}
    publications = _in(Publication, restored)
    assert {p.channel_id for p in publications} == set(channels.values())
    assert all(p.schedule.workspace_id == restored.id and p.content.workspace_id == restored.id for p in publications)
    [alert] = _in(Alert, restored)
    assert alert.channel_id == channels["Blog"]
    original_keys = {p.idempotency_key for p in _in(Publication, original)}
    assert original_keys.isdisjoint({p.idempotency_key for p in publications})  # unique per install
    [content] = [p.content for p in publications[:1]]
    assert content.created_by_id == actor.user_id  # authors are matched by email
    assert {v.target for v in _in(ContentVariant, restored)} == {"platform:webhook", f"channel:{channels['News']}"}
    [decision] = _in(ReviewDecision, restored)
    assert (decision.content_id, decision.reviewer_id, decision.comment) == (content.id, actor.user_id, "please look")


def test_a_chain_is_restored_onto_the_new_channels_and_publications(workspace):
    _, original = workspace
    restored = _restore(backup.backup(original.slug), "copy")

    channels = {c.name: c.id for c in _in(Channel, restored)}
    [chained] = [s for s in _in(Schedule, restored) if s.chain]
    assert chained.chain == [{"channel_id": channels["News"], "after_channel_id": channels["Blog"]}]
    by_channel = {p.channel_id: p for p in schedules.publications_of(chained)}
    waiting, first = by_channel[channels["News"]], by_channel[channels["Blog"]]
    assert waiting.after_publication_id == first.id and first.has_dependents
    [original_waiting] = [p for p in _in(Publication, original) if p.after_publication_id]
    assert waiting.updated_at == original_waiting.updated_at


def test_a_template_keeps_its_channels_and_variants_on_the_new_channels(workspace):
    _, original = workspace
    restored = _restore(backup.backup(original.slug), "copy")

    news = db.session.query(Channel).filter_by(workspace_id=restored.id, name="News").one()
    [template] = _in(ContentTemplate, restored)
    assert template.name == "Launch template" and template.channel_ids == [news.id]
    assert {v["channel_id"] for v in template.variants} == {news.id, None}


def test_images_travel_with_their_bytes_and_upload_records(workspace, app):
    _, original = workspace
    archive = json.loads(json.dumps(backup.backup(original.slug)))
    assert base64.b64decode(archive["media"][0]["data"]) == image_bytes("PNG")

    restored = _restore(archive, "copy")

    [image] = _in(Media, restored)
    [before] = _in(Media, original)
    assert image.storage_key != before.storage_key and image.storage_key.startswith(f"w{restored.id}/")
    assert media.read_bytes(image) == media.read_bytes(before) == image_bytes("PNG")
    [upload] = db.session.query(MediaUpload).filter_by(media_id=image.id).all()
    assert upload.remote_id == "m-1" and db.session.get(Publication, upload.publication_id).workspace_id == restored.id


def test_a_damaged_image_in_the_archive_restores_nothing_and_leaves_no_file(workspace, app):
    _, original = workspace
    archive = backup.backup(original.slug)
    archive["media"][0]["data"] = base64.b64encode(b"not the image").decode()
    files_before = sorted(Path(app.config["MEDIA_ROOT"]).rglob("*.png"))

    with pytest.raises(backup.BackupError, match="damaged"):
        _restore(archive, "copy")

    assert db.session.query(Workspace).filter_by(slug="copy").count() == 0
    assert sorted(Path(app.config["MEDIA_ROOT"]).rglob("*.png")) == files_before


def test_a_failed_restore_removes_the_files_it_stored(workspace, app):
    _, original = workspace
    archive = backup.backup(original.slug)
    archive["webhook_subscriptions"][0]["secret_encrypted"] = "not-a-fernet-token"  # fails after the image
    files_before = sorted(Path(app.config["MEDIA_ROOT"]).rglob("*.png"))

    with pytest.raises(backup.BackupError, match="CREDENTIALS_KEY"):
        _restore(archive, "copy")

    assert sorted(Path(app.config["MEDIA_ROOT"]).rglob("*.png")) == files_before


def test_an_image_missing_from_storage_is_left_out_with_a_warning(workspace):
    _, original = workspace
    [image] = _in(Media, original)
    media.storage().delete(image.storage_key)

    archive = backup.backup(original.slug)

    assert archive["media"] == [] and archive["media_uploads"] == []
    assert len(archive["warnings"]) == 1 and "launch.png" in archive["warnings"][0]
    restored = _restore(archive, "copy")
    assert _in(Media, restored) == [] and len(_in(Publication, restored)) == 4


def test_a_restore_touches_no_account_but_the_workspace_it_creates(workspace, make):
    actor, original = workspace
    bystander = make.user("owner-of-another-workspace@example.test")
    archive = backup.backup(original.slug)
    # A crafted archive: it names someone else's account as a member, with Slack settings of its own.
    crafted = {
        "email": bystander.email,
        "role": "editor",
        "notification_settings": {**archive["members"][0]["notification_settings"]},
    }
    archive["members"].append(crafted)
    db.session.query(NotificationSettings).filter_by(user_id=actor.user_id).delete()  # the owner has none here
    db.session.commit()
    invited = []

    restored = _restore(archive, "copy", on_invite=lambda *made: invited.append(made))

    members = db.session.query(Membership).filter_by(workspace_id=restored.id).all()
    assert [(m.user_id, m.role) for m in members] == [(actor.user_id, "owner")]  # the named owner only
    assert [(email, role) for email, role, _ in invited] == [(bystander.email, "editor")]
    invitation = db.session.query(Invitation).filter_by(workspace_id=restored.id).one()
    assert invitation.email == bystander.email and invitation.token_hash == accounts.hash_token(invited[0][2])
    assert db.session.query(NotificationSettings).count() == 0  # nobody's notification settings were written


def test_a_restore_needs_an_owner_with_an_account_here(workspace):
    _, original = workspace
    archive = backup.backup(original.slug)

    with pytest.raises(backup.BackupError, match="name the restored workspace's owner"):
        backup.restore(archive, "copy")
    with pytest.raises(backup.BackupError, match="no user 'nobody@example.test' on this install"):
        backup.restore(archive, "copy", owner_email="nobody@example.test")
    assert db.session.query(Workspace).filter_by(slug="copy").count() == 0


def test_a_version_1_archive_still_restores(workspace):
    _, original = workspace
    archive = backup.backup(original.slug)
    # What Herald wrote before version 2: no users, images, variants, templates, reviews or settings.
    for name in ("users", "warnings", "media", "media_uploads", "content_variants", "content_templates"):
        archive.pop(name)
    archive.pop("review_decisions")
    archive["members"] = [{"email": m["email"], "role": m["role"]} for m in archive["members"]]
    archive["version"] = 1

    restored = _restore(archive, "copy")

    assert len(_in(Publication, restored)) == 4 and len(_in(Channel, restored)) == 2
    assert _in(Publication, restored)[0].content.created_by_id is None  # no user references in version 1
    assert _in(Media, restored) == [] and _in(ContentVariant, restored) == []


def test_restored_pending_publications_are_dispatched_by_the_reconciler(workspace):
    _, original = workspace
    restored = _restore(backup.backup(original.slug), "copy")
    pending = db.session.query(Publication).filter_by(workspace_id=restored.id, status="scheduled").first()
    assert dispatch.scheduled_time(pending) is None

    backup.redispatch_restored()

    assert dispatch.scheduled_time(pending) is not None


def test_a_failed_restore_writes_nothing(workspace, app):
    _, original = workspace
    archive = backup.backup(original.slug)
    archive["channels"][1]["credentials_encrypted"] = "not-a-fernet-token"
    before = db.session.query(Workspace).count()

    with pytest.raises(backup.BackupError, match="CREDENTIALS_KEY"):
        _restore(archive, "copy")

    assert db.session.query(Workspace).count() == before
    assert db.session.query(Channel).filter(Channel.name == "Blog").count() == 1


def test_restore_refuses_a_taken_slug_and_a_foreign_file(workspace):
    _, original = workspace
    with pytest.raises(backup.BackupError, match="exists"):
        _restore(backup.backup(original.slug))
    with pytest.raises(backup.BackupError, match="not a Herald"):
        _restore({"hello": 1}, "x")
    with pytest.raises(backup.BackupError, match="version"):
        _restore({**backup.backup(original.slug), "version": 99}, "x")


def test_the_flask_commands_back_up_and_restore(workspace, runner, tmp_path):
    _, original = workspace
    path = tmp_path / "ws.json"

    result = runner.invoke(args=["workspace", "backup", original.slug, str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["format"] == backup.FORMAT
    assert "1 media" in result.output and "2 content_variants" in result.output

    owner = json.loads(path.read_text())["members"][0]["email"]
    result = runner.invoke(args=["workspace", "restore", str(path), "--as-slug", "from-file", "--owner", owner])
    assert result.exit_code == 0, result.output
    assert "restored workspace 'from-file' (id" in result.output and f"owned by {owner}" in result.output
    assert db.session.query(Workspace).filter_by(slug="from-file").count() == 1

    result = runner.invoke(args=["workspace", "backup", "no-such-slug", str(path)])
    assert result.exit_code != 0 and "no workspace" in result.output


def test_the_backup_command_prints_its_warnings(workspace, runner, tmp_path):
    _, original = workspace
    [image] = _in(Media, original)
    media.storage().delete(image.storage_key)

    result = runner.invoke(args=["workspace", "backup", original.slug, str(tmp_path / "ws.json")])

    assert result.exit_code == 0, result.output
    assert "warning: image 'launch.png'" in result.output
