"""flask workspace backup|verify|restore|resume: a workspace to and from a versioned zip archive."""

from __future__ import annotations

import click
from flask import current_app
from redis.exceptions import RedisError

from webapp.domain.operations import backups


@click.group("workspace", help="Back up and restore workspaces.")
def workspace():
    pass


@workspace.command("backup", help="Write the workspace SLUG to FILE ('-' for standard output) as a zip archive.")
@click.argument("slug")
@click.argument("file", type=click.File("wb", lazy=True))
def backup_command(slug: str, file):
    try:
        summary = backups.write(slug, file)  # streamed: entry by entry, never the whole archive in memory
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    counts = ", ".join(f"{count} {name}" for name, count in summary.counts.items())
    click.echo(f"backed up workspace {slug!r}: {counts}; {summary.files} image files", err=True)
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)


def _checked(file):
    try:
        return backups.open_archive(file)
    except backups.BackupError as exc:
        raise click.ClickException(f"nothing was restored: {exc}") from None


@workspace.command("verify", help="Check a backup FILE whole (checksums, format, version) without restoring it.")
@click.argument("file", type=click.File("rb"))
def verify_command(file):
    source = _checked(file)
    header = source.header
    counts = header.get("counts") or {name: len(header.get(name, [])) for name, _ in backups.SECTIONS}
    summary = ", ".join(f"{count} {name}" for name, count in counts.items())
    click.echo(f"backup of workspace {header['workspace'].get('slug')!r} made {header.get('created_at')}: intact")
    click.echo(f"holds {summary}")


@workspace.command("restore", help="Restore a backup FILE into a new workspace, in one transaction.")
@click.argument("file", type=click.File("rb"))
@click.option("--as-slug", "slug", default=None, help="Slug of the new workspace (default: the backed-up one).")
@click.option("--owner", "owner_email", required=True, help="Email of an existing user to make its owner.")
@click.option(
    "--resume",
    is_flag=True,
    help="Dispatch its pending publications at once (a move to a new install, the original gone). "
    "Without it they stay paused with their schedules until you resume them.",
)
def restore_command(file, slug: str | None, owner_email: str, resume: bool):
    source = _checked(file)  # the whole archive is checked before anything is written
    invited: list[tuple[str, str, str]] = []
    try:
        restored = backups.restore(
            source, slug, owner_email, on_invite=lambda *made: invited.append(made), resume=resume
        )
    except backups.BackupError as exc:
        raise click.ClickException(f"nothing was restored: {exc}") from None
    workspace, holds = restored.workspace, restored.holds
    click.echo(f"restored workspace {workspace.slug!r} (id {workspace.id}), owned by {owner_email}")
    base = current_app.config["PUBLIC_URL"]
    for email, role, token in invited:
        # Members of the archive are invited, not added: hand each link on (it works once, for that email).
        click.echo(f"invited {email} as {role}: {base}/invitations/{token}")
    if not resume:
        click.echo(holds.message())
        click.echo(f"to send them: flask --app webapp workspace resume {workspace.slug}")
        return
    try:
        click.echo(f"re-dispatched pending publications: {backups.redispatch_restored()}")
    except RedisError:
        click.echo("Redis is unavailable: the scheduler's reconciler will dispatch pending publications", err=True)


@workspace.command("resume", help="Resume the schedules a restore of workspace SLUG paused (nothing else).")
@click.argument("slug")
def resume_command(slug: str):
    try:
        schedules, publications = backups.resume_restored(slug)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"resumed {schedules} schedules of {slug!r}: {publications} publications back on schedule")
