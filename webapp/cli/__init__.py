"""flask commands: users, api-keys, worker and scheduler processes, reconcile."""

from __future__ import annotations

import click
from flask import Flask

from webapp.core.errors import NotFound, ValidationFailed
from webapp.domain.accounts import accounts


def register(app: Flask) -> None:
    app.cli.add_command(users)
    app.cli.add_command(api_keys)
    app.cli.add_command(scheduler)
    app.cli.add_command(reconcile_command)
    app.cli.add_command(credentials)
    from webapp.cli.workspace import workspace

    app.cli.add_command(workspace)  # backup and restore
    from webapp.cli.retention import retention

    app.cli.add_command(retention)


@click.group(help="Manage users.")
def users():
    pass


@users.command("create", help="Create a user and their own workspace.")
@click.argument("email")
@click.option("--password", required=True, help="At least 10 characters, not only letters or digits.")
@click.option("--timezone", default="UTC", show_default=True, help="IANA timezone of the user's profile.")
def create_user(email: str, password: str, timezone: str):
    try:
        user = accounts.create_user(email, password, timezone, source="cli")
    except ValidationFailed as exc:
        raise click.ClickException("; ".join(f"{k} {v}" for k, v in exc.fields.items())) from None
    click.echo(f"created user {user.email} (id {user.id})")


@click.group("api-keys", help="Manage API keys.")
def api_keys():
    pass


@api_keys.command("create", help="Create an API key; the key is printed once, alone on the last line.")
@click.argument("email")
@click.option("--workspace", "workspace_slug", default=None, help="Workspace slug (default: the user's own).")
@click.option("--name", default="cli", show_default=True)
def create_api_key(email: str, workspace_slug: str | None, name: str):
    try:
        user = accounts.find_user(email)
        record, plaintext = accounts.create_api_key(user, workspace_slug, name)
    except NotFound as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"API key '{record.name}' for {user.email} in workspace #{record.workspace_id} (shown once):")
    click.echo(plaintext)


@click.command("scheduler", help="Run the scheduler process (rq-scheduler loop with Herald's reconciler).")
@click.option("--burst", is_flag=True, help="Move what is due once, then exit.")
def scheduler(burst: bool):
    from webapp.processes.scheduler import run_scheduler

    run_scheduler(burst=burst)


@click.command("reconcile", help="Make Redis agree with the database once (restore lost entries).")
def reconcile_command():
    from webapp.domain.publishing.reconcile import reconcile

    click.echo(reconcile())


@click.group(help="Manage encrypted channel credentials.")
def credentials():
    pass


@credentials.command("rotate", help="Re-encrypt every channel's credentials under the newest CREDENTIALS_KEY.")
def rotate_credentials_command():
    from webapp.extensions import db
    from webapp.infra.crypto import rotate_credentials
    from webapp.models import Channel

    count = 0
    for channel in db.session.scalars(db.select(Channel)):
        channel.credentials_encrypted = rotate_credentials(channel.credentials_encrypted)
        count += 1
    from webapp.models import WebhookSubscription

    hooks = 0
    for subscription in db.session.scalars(db.select(WebhookSubscription)):  # outbound webhook signing secrets
        subscription.secret_encrypted = rotate_credentials(subscription.secret_encrypted)
        hooks += 1
    from webapp.models import NotificationSettings, WorkspaceNotificationSettings

    slack = 0
    for model in (NotificationSettings, WorkspaceNotificationSettings):  # users' and workspaces' webhook URLs
        for settings in db.session.scalars(db.select(model).where(model.slack_url_encrypted.is_not(None))):
            settings.slack_url_encrypted = rotate_credentials(settings.slack_url_encrypted)
            slack += 1
    db.session.commit()
    click.echo(f"re-encrypted the credentials of {count} channel(s) under the newest key")
    click.echo(f"re-encrypted the signing secrets of {hooks} webhook subscription(s)")
    click.echo(f"re-encrypted {slack} notification webhook URL(s)")
