"""A backup restored elsewhere keeps everything but ids: records, links, images, and who may get in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.domain.operations.backups.archives import legacy, pack, restore, rows_in, unpack, write
from tests.media_files import image_bytes
from webapp.domain.accounts import accounts
from webapp.domain.content import media
from webapp.domain.operations import backups
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra.crypto import decrypt_credentials
from webapp.models import (
    Alert,
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
)

ENCRYPTED_COLUMNS = ("credentials_encrypted", "secret_encrypted", "slack_url_encrypted")


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


def _normalised(parts: dict) -> dict:
    """The archive with ids dropped and encrypted values decrypted (Fernet tokens differ on every encryption)."""
    names = {c["id"]: c["name"] for c in parts["channels"]}
    manifest = parts["manifest"]
    result = {"workspace": {k: v for k, v in manifest["workspace"].items() if k not in ("id", "slug")}}
    result["members"] = [
        {**m, "notification_settings": _plain(m["notification_settings"], names)} if "notification_settings" in m else m
        for m in manifest["members"]
    ]
    result["users"] = sorted(u["email"] for u in manifest["users"])
    for name, _ in backups.SECTIONS:
        result[name] = [_plain(row, names) for row in parts[name]]
    result["schedule_channels"] = len(parts["schedule_channels"])
    result["files"] = sorted(parts["files"].values())
    return result


def test_backup_restore_backup_gives_the_same_archive_but_for_ids(workspace, make):
    _, original = workspace
    first = unpack(write(original.slug))
    owner = make.user()

    restored = restore(pack(first), "copy", owner_email=owner.email, resume=True)
    second = unpack(write("copy"))

    assert restored.id != original.id
    assert first["manifest"]["version"] == 3 and first["manifest"]["warnings"] == []
    counts = {name: len(first[name]) for name, _ in backups.SECTIONS}
    assert counts == first["manifest"]["counts"]
    assert counts.pop("alerts") >= 1  # the one raised, and any its content's review raised
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
        "webhook_subscriptions": 1,
    }
    assert first["manifest"]["members"][0]["notification_settings"]["kinds"] == ["failed"]
    expected = _normalised(first)
    # The named owner is the only member: the archive's members were invited, not added.
    expected["members"] = [{"email": owner.email, "role": "owner"}]
    expected["users"] = sorted([*expected["users"], owner.email])
    assert _normalised(second) == expected


def test_the_restored_records_point_at_each_other(workspace):
    actor, original = workspace
    restored = restore(write(original.slug), "copy")

    channels = {c.name: c.id for c in rows_in(Channel, restored)}
    publications = rows_in(Publication, restored)
    assert {p.channel_id for p in publications} == set(channels.values())
    assert all(p.schedule.workspace_id == restored.id and p.content.workspace_id == restored.id for p in publications)
    [alert] = [a for a in rows_in(Alert, restored) if a.kind == "missed"]
    assert alert.channel_id == channels["Blog"]
    original_keys = {p.idempotency_key for p in rows_in(Publication, original)}
    assert original_keys.isdisjoint({p.idempotency_key for p in publications})  # unique per install
    content = publications[0].content
    assert content.created_by_id == actor.user_id  # authors are matched by email
    assert {v.target for v in rows_in(ContentVariant, restored)} == {"platform:webhook", f"channel:{channels['News']}"}
    [decision] = rows_in(ReviewDecision, restored)
    assert (decision.content_id, decision.reviewer_id, decision.comment) == (content.id, actor.user_id, "please look")


def test_a_chain_is_restored_onto_the_new_channels_and_publications(workspace):
    _, original = workspace
    restored = restore(write(original.slug), "copy")

    channels = {c.name: c.id for c in rows_in(Channel, restored)}
    [chained] = [s for s in rows_in(Schedule, restored) if s.chain]
    assert chained.chain == [{"channel_id": channels["News"], "after_channel_id": channels["Blog"]}]
    by_channel = {p.channel_id: p for p in schedules.publications_of(chained)}
    waiting, first = by_channel[channels["News"]], by_channel[channels["Blog"]]
    assert waiting.after_publication_id == first.id and first.has_dependents


def test_a_template_keeps_its_channels_and_variants_on_the_new_channels(workspace):
    _, original = workspace
    restored = restore(write(original.slug), "copy")

    news = db.session.query(Channel).filter_by(workspace_id=restored.id, name="News").one()
    [template] = rows_in(ContentTemplate, restored)
    assert template.name == "Launch template" and template.channel_ids == [news.id]
    assert {v["channel_id"] for v in template.variants} == {news.id, None}


def test_images_travel_as_files_of_their_own_with_their_upload_records(workspace):
    _, original = workspace
    parts = unpack(write(original.slug))
    [before] = rows_in(Media, original)
    assert parts["files"] == {f"media/{before.id}": image_bytes("PNG")}

    restored = restore(pack(parts), "copy")

    [image] = rows_in(Media, restored)
    assert image.storage_key != before.storage_key and image.storage_key.startswith(f"w{restored.id}/")
    assert media.read_bytes(image) == media.read_bytes(before) == image_bytes("PNG")
    [upload] = db.session.query(MediaUpload).filter_by(media_id=image.id).all()
    assert upload.remote_id == "m-1" and db.session.get(Publication, upload.publication_id).workspace_id == restored.id


def test_a_failed_restore_removes_the_files_it_stored(workspace, app):
    _, original = workspace
    parts = unpack(write(original.slug))
    parts["webhook_subscriptions"][0]["secret_encrypted"] = "not-a-fernet-token"  # fails after the image
    files_before = sorted(Path(app.config["MEDIA_ROOT"]).rglob("*.png"))

    with pytest.raises(backups.BackupError, match="CREDENTIALS_KEY"):
        restore(pack(parts), "copy")

    assert sorted(Path(app.config["MEDIA_ROOT"]).rglob("*.png")) == files_before
    assert db.session.query(Workspace).filter_by(slug="copy").count() == 0


def test_an_image_missing_from_storage_is_left_out_with_a_warning(workspace):
    _, original = workspace
    [image] = rows_in(Media, original)
    media.storage().delete(image.storage_key)

    parts = unpack(write(original.slug))

    assert parts["media"] == [] and parts["media_uploads"] == [] and parts["files"] == {}
    [warning] = parts["manifest"]["warnings"]
    assert "launch.png" in warning
    restored = restore(pack(parts), "copy")
    assert rows_in(Media, restored) == [] and len(rows_in(Publication, restored)) == 4


def test_a_restore_touches_no_account_but_the_workspace_it_creates(workspace, make):
    actor, original = workspace
    bystander = make.user("owner-of-another-workspace@example.test")
    parts = unpack(write(original.slug))
    # A crafted archive: it names someone else's account as a member, with Slack settings of its own.
    members = parts["manifest"]["members"]
    members.append(
        {
            "email": bystander.email,
            "role": "editor",
            **{k: v for k, v in members[0].items() if k not in ("email", "role")},
        }
    )
    db.session.query(NotificationSettings).filter_by(user_id=actor.user_id).delete()  # the owner has none here
    db.session.commit()
    invited = []

    restored = restore(pack(parts), "copy", on_invite=lambda *made: invited.append(made))

    members = db.session.query(Membership).filter_by(workspace_id=restored.id).all()
    assert [(m.user_id, m.role) for m in members] == [(actor.user_id, "owner")]  # the named owner only
    assert [(email, role) for email, role, _ in invited] == [(bystander.email, "editor")]
    invitation = db.session.query(Invitation).filter_by(workspace_id=restored.id).one()
    assert invitation.email == bystander.email and invitation.token_hash == accounts.hash_token(invited[0][2])
    assert db.session.query(NotificationSettings).count() == 0  # nobody's notification settings were written


def test_a_restore_needs_an_owner_with_an_account_here(workspace):
    _, original = workspace
    data = write(original.slug)

    with pytest.raises(backups.BackupError, match="name the restored workspace's owner"):
        restore(data, "copy", owner_email=None)
    with pytest.raises(backups.BackupError, match="no user 'nobody@example.test' on this install"):
        restore(data, "copy", owner_email="nobody@example.test")
    assert db.session.query(Workspace).filter_by(slug="copy").count() == 0


def test_a_version_2_archive_still_restores_with_its_images(workspace):
    _, original = workspace

    restored = restore(legacy(unpack(write(original.slug))), "copy")

    assert len(rows_in(Publication, restored)) == 4 and len(rows_in(Channel, restored)) == 2
    [image] = rows_in(Media, restored)
    assert media.read_bytes(image) == image_bytes("PNG")


def test_a_version_1_archive_still_restores(workspace):
    _, original = workspace
    document = json.loads(legacy(unpack(write(original.slug)), version=1))
    # What Herald wrote before version 2: no users, images, variants, templates, reviews or settings.
    for name in ("users", "warnings", "media", "media_uploads", "content_variants", "content_templates"):
        document.pop(name)
    document.pop("review_decisions")
    document["members"] = [{"email": m["email"], "role": m["role"]} for m in document["members"]]

    restored = restore(json.dumps(document).encode(), "copy")

    assert len(rows_in(Publication, restored)) == 4 and len(rows_in(Channel, restored)) == 2
    assert rows_in(Publication, restored)[0].content.created_by_id is None  # no user references in version 1
    assert rows_in(Media, restored) == [] and rows_in(ContentVariant, restored) == []
