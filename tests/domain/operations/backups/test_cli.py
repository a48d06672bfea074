"""flask workspace backup, verify, restore and resume, as an operator runs them."""

from __future__ import annotations

import zipfile

from tests.domain.operations.backups.archives import rows_in
from webapp.extensions import db
from webapp.models import Schedule, User, Workspace


def test_the_commands_back_up_verify_restore_and_resume(workspace, runner, tmp_path):
    actor, original = workspace
    path = tmp_path / "ws.zip"

    result = runner.invoke(args=["workspace", "backup", original.slug, str(path)])
    assert result.exit_code == 0, result.output
    assert zipfile.is_zipfile(path) and "1 media" in result.output and "1 image files" in result.output

    result = runner.invoke(args=["workspace", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert f"backup of workspace {original.slug!r}" in result.output and "intact" in result.output

    email = db.session.get(User, actor.user_id).email
    result = runner.invoke(args=["workspace", "restore", str(path), "--as-slug", "from-file", "--owner", email])
    assert result.exit_code == 0, result.output
    assert "restored workspace 'from-file' (id" in result.output
    assert "3 publications of 2 schedules are paused" in result.output
    assert "flask --app webapp workspace resume from-file" in result.output
    restored = db.session.query(Workspace).filter_by(slug="from-file").one()
    assert {s.status for s in rows_in(Schedule, restored)} == {"paused"}

    result = runner.invoke(args=["workspace", "resume", "from-file"])
    assert result.exit_code == 0, result.output
    assert "resumed 2 schedules of 'from-file': 3 publications back on schedule" in result.output
    db.session.expire_all()
    assert {s.status for s in rows_in(Schedule, restored)} == {"active"}


def test_a_damaged_file_is_refused_by_verify_and_restore_alike(workspace, runner, tmp_path):
    _, original = workspace
    path = tmp_path / "ws.zip"
    runner.invoke(args=["workspace", "backup", original.slug, str(path)])
    path.write_bytes(path.read_bytes()[:-200])  # cut short: the end of the zip is gone

    for args in (["verify", str(path)], ["restore", str(path), "--owner", "x@example.test", "--as-slug", "x"]):
        result = runner.invoke(args=["workspace", *args])
        assert result.exit_code != 0 and "nothing was restored: this file is not a Herald backup" in result.output
    assert db.session.query(Workspace).filter_by(slug="x").count() == 0


def test_the_backup_command_names_a_missing_workspace(workspace, runner, tmp_path):
    result = runner.invoke(args=["workspace", "backup", "no-such-slug", str(tmp_path / "x.zip")])
    assert result.exit_code != 0 and "no workspace" in result.output
