"""API fixtures: cheap password hashes, row snapshots, another workspace, a viewer, schedules, a schema check."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime

import pytest
from sqlalchemy import func, select

from webapp.domain.accounts import accounts
from webapp.domain.publishing import schedules
from webapp.extensions import db
from webapp.infra.dispatch import get_scheduler
from webapp.models import Membership, Role, Workspace
from webapp.web.api.openapi import document

from .helpers import iso, schema_problems, soon


@pytest.fixture
def owner(api_key):
    """The actor behind the `api` fixture's key: the owner of its workspace."""
    return api_key[1]


@pytest.fixture
def snapshot(app, redis_conn):
    """Return a function counting every table's rows and rq-scheduler's pending entries."""

    def take() -> dict[str, int]:
        counts = {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
        counts["rq-scheduler entries"] = redis_conn.zcard(get_scheduler().scheduled_jobs_key)
        return counts

    return take


@pytest.fixture
def unchanged(snapshot):
    """Assert that the requests made inside the block wrote no row and scheduled no job."""

    @contextmanager
    def block():
        before = snapshot()
        yield
        assert snapshot() == before

    return block


@pytest.fixture
def outsider(make):
    """(plaintext key, actor) of a user in a different workspace from the `api` fixture's."""
    user = make.user()
    _, key = accounts.create_api_key(user)
    return key, make.actor(user)


@pytest.fixture
def member(make, owner):
    """Add someone to the owner's workspace with a role; return (membership, their API key)."""

    def add(role: str = "editor", email: str | None = None):
        user = make.user(email)
        membership = Membership(workspace_id=owner.workspace_id, user_id=user.id, role=role)
        db.session.add(membership)
        db.session.commit()
        slug = db.session.get(Workspace, owner.workspace_id).slug
        return membership, accounts.create_api_key(user, workspace_slug=slug)[1]

    return add


@pytest.fixture
def viewer_key(member):
    """A key acting with the viewer role in the owner's workspace."""
    return member(Role.VIEWER.value)[1]


@pytest.fixture
def editor_key(member):
    """A second writer (editor) in the owner's workspace, so the owner's own content can be reviewed."""
    return member(Role.EDITOR.value)[1]


@pytest.fixture
def schedule_for(app):
    """Create a one-time schedule through the service: schedule_for(actor, content, [channels], run_at=None)."""

    def build(actor, content, channels, run_at: datetime | None = None):
        body = {"content_id": content.id, "channel_ids": [c.id for c in channels], "run_at": iso(run_at or soon())}
        schedule = schedules.create_schedule(actor, body)
        return schedule, schedules.publications_of(schedule)

    return build


@pytest.fixture
def assert_schema():
    """assert_schema(json_value, "Channel"): the value conforms to the documented component."""
    components = document()["components"]["schemas"]

    def check(value, name: str) -> None:
        assert schema_problems(value, {"$ref": f"#/components/schemas/{name}"}, components) == []

    return check
