"""Domain signals: the moments other features react to (outbound webhooks, notifications).

Each signal is sent inside the transaction that records the moment, before its commit, so a
receiver can add rows to the same session (an outbox) and they commit or roll back together.
Receivers must not commit, must not do network I/O, and must be cheap: the publishing path
sends them.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the Publication that was just marked published.
publication_published = _signals.signal("publication-published")

# sender: the Alert just added (kinds in services.alerts.KINDS: failure, needs_intervention, missed,
# channel_unhealthy, preflight, ...). Cool-off-suppressed alerts are not sent.
alert_raised = _signals.signal("alert-raised")

# sender: the Content just sent to review (submitted, or reopened by an edit after approval); kwargs:
# `alert` (its review_requested Alert) and `requested_by` (the user id, or None). Tells the reviewers.
review_requested = _signals.signal("review-requested")

# sender: the ids of the workspaces whose scheduler_silent alerts were just resolved (the scheduler is back).
scheduler_back = _signals.signal("scheduler-back")
