"""Chained publications: a publication on channel B goes out only once the same occurrence has published on A.

A schedule's `chain` lists links `{"channel_id": B, "after_channel_id": A}`. Each occurrence's
publication on B records the one on A (`after_publication_id`), and A is marked `has_dependents`,
so publishing anything outside a chain never looks for dependents. B waits `scheduled` with no
rq-scheduler entry and a visible reason ("waiting for #12 on blog"). When A publishes, B is
released in A's transaction and enqueued after its commit; when A fails, is missed or cancelled, B
is held (`paused`, with the reason) and a later publish of A (a retry) releases it. The worker's
claim and the reconciler check the order too, so no path sends B before A or with a broken link.

The parts: `links` (validating a schedule's chain and tying an occurrence's publications together),
`order` (who may go when: release, hold, the claim's check, the reconciler's repair), and
`placeholders` (A's URL and title in B's text).
"""

from __future__ import annotations

from webapp.core import signals
from webapp.domain.publishing.chains.links import WAITING_PREFIX, chain_problem, link, waiting_reason
from webapp.domain.publishing.chains.order import (
    BROKEN,
    HOLD_PREFIX,
    RELEASED,
    enqueue_released,
    hold,
    hold_back,
    on_alert,
    on_published,
    ready,
    release,
    repair,
    waiting_note,
)
from webapp.domain.publishing.chains.placeholders import PLACEHOLDER, fill_placeholders, substitute
from webapp.infra import outbox

__all__ = [
    "BROKEN",
    "HOLD_PREFIX",
    "PLACEHOLDER",
    "WAITING_PREFIX",
    "chain_problem",
    "fill_placeholders",
    "hold",
    "hold_back",
    "init_app",
    "link",
    "ready",
    "release",
    "repair",
    "substitute",
    "waiting_note",
    "waiting_reason",
]


def init_app(app) -> None:
    """Connect A's outcomes (published, failure alerts) to its dependents, enqueueing releases after commit."""
    signals.publication_published.connect(on_published)
    signals.alert_raised.connect(on_alert)
    outbox.register(RELEASED, enqueue_released)
