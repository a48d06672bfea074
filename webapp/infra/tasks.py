"""RQ jobs by name: every job is enqueued as "webapp.jobs.<name>", so no module imports the jobs module.

`webapp.jobs` sits at the top of the house (it opens the app context and calls into every domain);
a domain module that imported it to enqueue a job would close an import cycle through the whole
package. A name is all RQ needs: it stores the dotted path and the worker resolves it. The names are
constants here, and a test resolves every one of them, so a typo fails CI rather than a worker.
"""

from __future__ import annotations

from rq import Queue
from rq.job import Job

JOBS_MODULE = "webapp.jobs"

PUBLISH_PUBLICATION = f"{JOBS_MODULE}.publish_publication"
RECONCILE = f"{JOBS_MODULE}.reconcile_job"
PREFLIGHT = f"{JOBS_MODULE}.preflight_job"
DELIVER_WEBHOOK = f"{JOBS_MODULE}.deliver_webhook_job"
OUTBOUND_SWEEP = f"{JOBS_MODULE}.outbound_sweep_job"
RETENTION = f"{JOBS_MODULE}.retention_job"
DELIVER_NOTIFICATION = f"{JOBS_MODULE}.deliver_notification_job"
NOTIFICATIONS_TICK = f"{JOBS_MODULE}.notifications_job"
RUN_BULK = f"{JOBS_MODULE}.run_bulk_job"
DELIVER_MAIL = f"{JOBS_MODULE}.deliver_mail_job"

ALL = (
    PUBLISH_PUBLICATION,
    RECONCILE,
    PREFLIGHT,
    DELIVER_WEBHOOK,
    OUTBOUND_SWEEP,
    RETENTION,
    DELIVER_NOTIFICATION,
    NOTIFICATIONS_TICK,
    RUN_BULK,
    DELIVER_MAIL,
)

# Jobs enqueued by an older Herald under a path that no longer exists; workers still run them.
# Drop an entry once a release note has said that jobs from before that release are gone.
LEGACY_NAMES = {
    "webapp.services.bulk.run_bulk_job": RUN_BULK,
    "webapp.mail.deliver_job": DELIVER_MAIL,
}


def enqueue(queue: Queue, name: str, *args, **options) -> Job:
    """Enqueue the job called `name` (one of this module's constants) on `queue` with RQ's own options."""
    if name not in ALL:
        raise ValueError(f"unknown job {name!r}: declare it in webapp.infra.tasks")
    return queue.enqueue(name, *args, **options)


def current_name(func_name: str) -> str:
    """Return the job name a stored job should run under today (legacy paths map to their successors)."""
    return LEGACY_NAMES.get(func_name, func_name)
