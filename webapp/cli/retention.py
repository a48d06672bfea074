"""`flask retention run`: apply the retention settings once, outside the periodic job."""

from __future__ import annotations

import click


@click.group(help="Prune old history as RETENTION_* settings say.")
def retention():
    pass


@retention.command(
    "run", help="Delete old attempts, read alerts, audit events, webhook deliveries and notifications now, in batches."
)
def run_command():
    from webapp.domain.operations import retention as service

    report = service.run()
    click.echo(", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in report.items()) + " deleted")
