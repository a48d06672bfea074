"""Workspace backup and restore: a round trip keeps everything but ids; restore is one transaction."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from webapp.crypto import decrypt_credentials
from webapp.extensions import db
from webapp.models import Alert, Attempt, Channel, Publication, Workspace, utcnow
from webapp.scheduling import dispatch
from webapp.services import alerts, backup, schedules, subscriptions


def _id_like(key: str) -> bool:
    # Ids and references differ after a restore by design (users are not in a backup: created_by_id is None).
    return key == "id" or key.endswith("_id") or key in ("idempotency_key", "dispatch_seq")


def _normalised(archive: dict) -> dict:
    """The archive with ids dropped and encrypted values decrypted (Fernet tokens differ on every encryption)."""
    result = {"workspace": {k: v for k, v in archive["workspace"].items() if k not in ("id", "slug")}}
    result["members"] = archive["members"]
    for name, _ in backup.SECTIONS:
        rows = []
        for row in archive[name]:
            row = {k: v for k, v in row.items() if not _id_like(k)}
            for column in backup.ENCRYPTED.values():
                if column in row:
                    row[column] = decrypt_credentials(row[column])
            rows.append(row)
        result[name] = rows
    result["schedule_channels"] = len(archive["schedule_channels"])
    return result


@pytest.fixture
def workspace(make):
    actor = make.actor()
    blog = make.channel(actor, name="Blog", rules={"daily_limit": 3})
    news = make.channel(actor, name="News")
    content = make.content(actor, title="Launch", tags=["a"])
    schedule = schedules.create_schedule(
        actor,
        {"content_id": content.id, "channel_ids": [blog.id, news.id], "run_at": utcnow() + timedelta(hours=2)},
    )
    published = schedules.publications_of(schedule)[1]
    published.status, published.attempts_count = "published", 1
    db.session.add(Attempt(publication_id=published.id, number=1, started_at=utcnow(), outcome="published"))
    alerts.raise_alert(actor.workspace_id, "missed", "one alert", channel_id=blog.id)
    subscriptions.create_subscription(actor, "https://example.test/hook", ["schedule.missed"])
    db.session.commit()
    return actor, db.session.get(Workspace, actor.workspace_id)


def test_backup_restore_backup_gives_the_same_archive_but_for_ids(workspace, make):
    actor, original = workspace
    first = json.loads(json.dumps(backup.backup(original.slug)))  # through JSON, as the file is
    owner = make.user()

    restored = backup.restore(first, "copy", owner.email)
    second = backup.backup("copy")

    assert restored.id != original.id
    assert len(first["publications"]) == 2 and len(first["attempts"]) == 1 and len(first["alerts"]) == 1
    assert _normalised(second)["channels"] == _normalised(first)["channels"]
    expected = _normalised(first)
    expected["members"] = [*first["members"], {"email": owner.email, "role": "owner"}]
    assert _normalised(second) == expected


def test_the_restored_records_point_at_each_other(workspace):
    _, original = workspace
    restored = backup.restore(backup.backup(original.slug), "copy")

    channels = {c.name: c.id for c in db.session.query(Channel).filter_by(workspace_id=restored.id)}
    publications = db.session.query(Publication).filter_by(workspace_id=restored.id).all()
    assert {p.channel_id for p in publications} == set(channels.values())
    assert all(p.schedule.workspace_id == restored.id and p.content.workspace_id == restored.id for p in publications)
    [alert] = db.session.query(Alert).filter_by(workspace_id=restored.id).all()
    assert alert.channel_id == channels["Blog"]
    original_keys = {p.idempotency_key for p in db.session.query(Publication).filter_by(workspace_id=original.id)}
    assert original_keys.isdisjoint({p.idempotency_key for p in publications})  # unique per install


def test_restored_pending_publications_are_dispatched_by_the_reconciler(workspace):
    _, original = workspace
    restored = backup.restore(backup.backup(original.slug), "copy")
    pending = db.session.query(Publication).filter_by(workspace_id=restored.id, status="scheduled").one()
    assert dispatch.scheduled_time(pending) is None

    backup.redispatch_restored()

    assert dispatch.scheduled_time(pending) is not None


def test_a_failed_restore_writes_nothing(workspace, app):
    _, original = workspace
    archive = backup.backup(original.slug)
    archive["channels"][1]["credentials_encrypted"] = "not-a-fernet-token"
    before = db.session.query(Workspace).count()

    with pytest.raises(backup.BackupError, match="CREDENTIALS_KEY"):
        backup.restore(archive, "copy")

    assert db.session.query(Workspace).count() == before
    assert db.session.query(Channel).filter(Channel.name == "Blog").count() == 1


def test_restore_refuses_a_taken_slug_and_a_foreign_file(workspace):
    _, original = workspace
    with pytest.raises(backup.BackupError, match="exists"):
        backup.restore(backup.backup(original.slug))
    with pytest.raises(backup.BackupError, match="not a Herald"):
        backup.restore({"hello": 1}, "x")
    with pytest.raises(backup.BackupError, match="version"):
        backup.restore({**backup.backup(original.slug), "version": 99}, "x")


def test_the_flask_commands_back_up_and_restore(workspace, runner, tmp_path):
    _, original = workspace
    path = tmp_path / "ws.json"

    result = runner.invoke(args=["workspace", "backup", original.slug, str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(path.read_text())["format"] == backup.FORMAT

    result = runner.invoke(args=["workspace", "restore", str(path), "--as-slug", "from-file"])
    assert result.exit_code == 0, result.output
    assert "restored workspace 'from-file'" in result.output
    assert db.session.query(Workspace).filter_by(slug="from-file").count() == 1

    result = runner.invoke(args=["workspace", "backup", "no-such-slug", str(path)])
    assert result.exit_code != 0 and "no workspace" in result.output
