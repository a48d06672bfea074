"""flask workspace backup|restore: a workspace to and from a versioned JSON archive."""

from __future__ import annotations

import json

import click
from flask import current_app
from redis.exceptions import RedisError

from webapp.domain.operations import backup as backups


@click.group("workspace", help="Back up and restore workspaces.")
def workspace():
    pass


@workspace.command("backup", help="Write the workspace SLUG to FILE ('-' for standard output) as a JSON archive.")
@click.argument("slug")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
def backup_command(slug: str, file):
    try:
        archive = backups.backup(slug)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    json.dump(archive, file, ensure_ascii=False, indent=1)
    file.write("\n")
    counts = ", ".join(f"{len(archive[name])} {name}" for name, _ in backups.SECTIONS)
    click.echo(f"backed up workspace {slug!r}: {counts}", err=True)
    for warning in archive["warnings"]:
        click.echo(f"warning: {warning}", err=True)


@workspace.command("restore", help="Restore a backup FILE into a new workspace, in one transaction.")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--as-slug", "slug", default=None, help="Slug of the new workspace (default: the backed-up one).")
@click.option("--owner", "owner_email", required=True, help="Email of an existing user to make its owner.")
def restore_command(file, slug: str | None, owner_email: str):
    try:
        archive = json.load(file)
    except ValueError as exc:
        raise click.ClickException(f"the file is not JSON: {exc}") from None
    invited: list[tuple[str, str, str]] = []
    try:
        restored = backups.restore(archive, slug, owner_email, on_invite=lambda *made: invited.append(made))
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored workspace {restored.slug!r} (id {restored.id}), owned by {owner_email}")
    base = current_app.config["PUBLIC_URL"]
    for email, role, token in invited:
        # Members of the archive are invited, not added: hand each link on (it works once, for that email).
        click.echo(f"invited {email} as {role}: {base}/invitations/{token}")
    try:
        click.echo(f"re-dispatched pending publications: {backups.redispatch_restored()}")
    except RedisError:
        click.echo("Redis is unavailable: the scheduler's reconciler will dispatch pending publications", err=True)
