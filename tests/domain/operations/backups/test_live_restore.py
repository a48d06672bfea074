"""A test restore beside the original on a live install sends nothing until resumed, then under its own keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.adapters.receiver import Receiver
from tests.domain.operations.backups.archives import restore, rows_in, write
from tests.frozen import frozen_clock
from tests.web.api_actions.support import tick, work
from webapp.domain.operations import bulk
from webapp.domain.publishing import schedules
from webapp.domain.publishing.reconcile import reconcile
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Publication, Workspace

T0 = datetime(2030, 1, 7, 9, 2, tzinfo=UTC)
_clock = frozen_clock(T0)


@pytest.fixture
def receiver():
    with Receiver() as peer:
        peer.respond(200, body={"id": "post-1"})
        yield peer


def _sent(receiver: Receiver) -> list[str]:
    return [request.headers["Idempotency-Key"] for request in receiver.requests]


def _keys(workspace_id: int) -> dict[int, str]:
    return {p.id: p.idempotency_key for p in rows_in(Publication, db.session.get(Workspace, workspace_id))}


def _statuses(workspace_id: int) -> dict[int, str]:
    return {p.id: p.status for p in rows_in(Publication, db.session.get(Workspace, workspace_id))}


def _run_due(at: datetime) -> None:
    """What the live install's processes do at that instant: repair, move due jobs to queues, work them."""
    with time_machine.travel(at, tick=False):
        reconcile()
        tick()
        work()
    db.session.remove()


def test_a_restore_beside_the_original_sends_nothing_until_resumed(make, receiver):
    actor = make.actor()
    channel = make.channel(actor, url=receiver.url)
    content = make.content(actor, status="approved")
    for data in ({"run_at": T0 + timedelta(minutes=10)}, {"cron": "*/15 * * * *", "timezone": "UTC"}):
        schedules.create_schedule(actor, {"content_id": content.id, "channel_ids": [channel.id], **data})
    slug = db.session.get(Workspace, actor.workspace_id).slug
    original_id = actor.workspace_id

    copy_id = restore(write(slug), "copy").id
    held = _keys(copy_id)  # the one-time run at 09:12 and the series' first run at 09:15
    assert len(held) == 2 and set(held.values()).isdisjoint(_keys(original_id).values())

    _run_due(T0 + timedelta(minutes=20))

    # The original published both runs; the copy sent nothing, and its series materialised no new run.
    assert sorted(_sent(receiver)) == sorted(
        k for p, k in _keys(original_id).items() if _statuses(original_id)[p] == "published"
    )
    assert len(receiver.requests) == 2
    assert _statuses(copy_id) == dict.fromkeys(held, "paused")

    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        result = bulk.run_bulk(
            Actor(actor.user_id, copy_id, "owner", "api"), "resume", filter={"status": "paused"}, kind="schedules"
        )
    assert result["changed"] == 2
    _run_due(T0 + timedelta(minutes=21))

    # Both held runs went out once, late, under the copy's own keys; its next run (09:30) waits for its time.
    statuses = _statuses(copy_id)
    assert {p: statuses[p] for p in held} == dict.fromkeys(held, "published")
    assert sorted(_sent(receiver)[2:]) == sorted(held.values())
    assert sorted(statuses.values()) == ["published", "published", "scheduled"]
