"""Shared fixtures: the app on a clean database and Redis DB, clients, and small factories.

No test may depend on today's date or on the time of day it happens to run. Two opt-in switches
move the clock of the whole test process (it keeps ticking), so that can be checked:

- HERALD_TEST_CLOCK_SHIFT_DAYS=N: the session runs as if N days from now (N may be negative or
  fractional). Try a year ahead and more (400, 800) and half a year (180, the other side of a DST
  change).
- HERALD_TEST_CLOCK_AT=2027-03-28T00:59:58Z: every test starts at that instant (UTC unless the
  value has an offset), to try one just before midnight, the end of a month, or a DST change.

Leave out tests/integration: their real web, worker and scheduler processes keep the true clock.

    HERALD_TEST_CLOCK_SHIFT_DAYS=400 .venv/bin/python -m pytest -q -p no:cacheprovider --ignore=tests/integration tests

A test that passes normally and fails shifted depends on the date: give the code under test an
explicit `now`, or freeze the clock with `time_machine.travel(..., tick=False)`, or make its dates
relative to a frozen instant.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from redis import Redis
from sqlalchemy import text

from webapp import create_app
from webapp.domain.accounts import accounts
from webapp.domain.channels import channels
from webapp.domain.content import contents
from webapp.domain.publishing import schedules
from webapp.domain.shared.actor import Actor
from webapp.extensions import db
from webapp.models import Membership, utcnow

# Unit tests use their own Redis DB index (flushed around each test); end-to-end tests use another.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "Correct-Horse-42!"
HERALD_ENV_VARS = ("HERALD_ENV", "SECRET_KEY", "CREDENTIALS_KEY", "REDIS_URL", "PORT", "HERALD_INSTANCE_PATH")
# Opt-in clock shifts (see the module docstring).
CLOCK_SHIFT_DAYS = os.environ.get("HERALD_TEST_CLOCK_SHIFT_DAYS", "").strip()
CLOCK_AT = os.environ.get("HERALD_TEST_CLOCK_AT", "").strip()
_CLOCK_SHIFT_KEY = pytest.StashKey[time_machine.travel]()


def _clock_at() -> datetime:
    at = datetime.fromisoformat(CLOCK_AT.replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


# Receivers, fake platforms and the real peers listen on loopback: outbound calls may reach it, by name
# (the app's OUTBOUND_ALLOW_PRIVATE says the same; adapter tests run without an app).
LOOPBACK_TARGETS = "127.0.0.0/8,::1/128"


def pytest_configure(config) -> None:
    """Allow loopback targets, and start the opt-in session clock shift before any test reads the time."""
    from webapp.adapters import targets

    targets.set_policy(targets.TargetPolicy.from_setting(LOOPBACK_TARGETS))
    if CLOCK_SHIFT_DAYS:
        shift = time_machine.travel(datetime.now(UTC) + timedelta(days=float(CLOCK_SHIFT_DAYS)), tick=True)
        shift.start()
        config.stash[_CLOCK_SHIFT_KEY] = shift


def pytest_unconfigure(config) -> None:
    shift = config.stash.get(_CLOCK_SHIFT_KEY, None)
    if shift is not None:
        shift.stop()
        del config.stash[_CLOCK_SHIFT_KEY]


def pytest_report_header(config) -> list[str]:
    lines = []
    if CLOCK_SHIFT_DAYS:
        now = f"{datetime.now(UTC):%Y-%m-%d %H:%M}"
        lines.append(f"clock shifted {CLOCK_SHIFT_DAYS} days (HERALD_TEST_CLOCK_SHIFT_DAYS): it is {now} UTC")
    if CLOCK_AT:
        lines.append(f"every test starts at {_clock_at().isoformat()} (HERALD_TEST_CLOCK_AT)")
    return lines


@pytest.fixture(autouse=True)
def _clock_at_each_test():
    """With HERALD_TEST_CLOCK_AT set, start each test at that instant (before its other fixtures)."""
    if not CLOCK_AT:
        yield
        return
    with time_machine.travel(_clock_at(), tick=True):
        yield


def test_database_url(tmp_path_factory) -> str:
    """PostgreSQL when DATABASE_URL names one (CI), else a SQLite file for this session."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql")):
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "herald-test.db")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return test_database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def _session_app(database_url, tmp_path_factory):
    environ_backup = {k: os.environ.get(k) for k in HERALD_ENV_VARS}
    os.environ.update({"HERALD_ENV": "testing", "HERALD_INSTANCE_PATH": str(tmp_path_factory.mktemp("instance"))})
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _normalised(database_url),
            "REDIS_URL": TEST_REDIS_URL,
            "WTF_CSRF_ENABLED": False,
            "REDIS_KEY_PREFIX": "herald-test",
            "SERVER_NAME": "herald.test",
            "SIGNUP": "open",  # most tests sign up several people; tests/web/views/test_signup_modes.py the rest
            "OUTBOUND_ALLOW_PRIVATE": LOOPBACK_TARGETS,
        }
    )
    with app.app_context():
        from flask_migrate import upgrade

        # The real migrations build the test schema, so a model without a migration fails here.
        _drop_everything()
        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    yield app
    app.extensions["herald.broker"].stop()
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    app.extensions["herald.redis"].close()
    for key, value in environ_backup.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _normalised(url: str) -> str:
    from webapp.config import normalise_database_url

    return normalise_database_url(url)


def _drop_everything() -> None:
    db.session.remove()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    else:
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


def _truncate_all() -> None:
    """Empty every table between tests, ids starting at 1 again.

    DELETE, not TRUNCATE, on PostgreSQL too: a test leaves a few rows, and TRUNCATE's fixed cost (new files for
    every table and index, ~0.35 s for the whole schema on this machine) was most of a test's setup.
    """
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # children first: no foreign key is left dangling
    with db.engine.begin() as conn:
        for name in tables:
            conn.execute(text(f"DELETE FROM {name}"))
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT setval(schemaname || '.' || sequencename, 1, false) FROM pg_sequences"))


@pytest.fixture(autouse=True)
def _cheap_password_hashes(monkeypatch):
    """Hash passwords at argon2's smallest cost: a real hash takes ~50 ms and most tests sign people up and in.

    tests/domain/accounts/test_passwords.py overrides this fixture to check the real parameters.
    """
    from argon2 import PasswordHasher

    from webapp.domain.accounts import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def strict_targets():
    """Production's outbound policy for one test: no non-public address at all (tests allow loopback)."""
    from webapp.adapters import targets

    before = targets.policy()
    targets.set_policy(targets.TargetPolicy())
    yield
    targets.set_policy(before)


@pytest.fixture
def app(_session_app):
    redis = Redis.from_url(TEST_REDIS_URL)
    redis.flushdb()
    with _session_app.app_context():
        _truncate_all()
        yield _session_app
        db.session.remove()
    redis.flushdb()
    redis.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_conn(app):
    from webapp.infra.queues import get_redis

    return get_redis()


class Factory:
    """Small builders: a test states only the fields it cares about."""

    def __init__(self):
        self._n = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def user(self, email: str | None = None, timezone: str = "UTC"):
        email = email or f"user{self._next()}-{uuid.uuid4().hex[:6]}@example.test"
        return accounts.create_user(email, PASSWORD, timezone)

    def actor(self, user=None, role: str | None = None, source: str = "api") -> Actor:
        user = user or self.user()
        membership = db.session.query(Membership).filter_by(user_id=user.id).first()
        if role is not None:
            membership.role = role
            db.session.commit()
        return Actor(user.id, membership.workspace_id, membership.role, source)

    def member(self, actor: Actor, role: str, source: str = "ui") -> Actor:
        """Add a new user to the actor's workspace with this role; return them acting there."""
        user = self.user()
        db.session.add(Membership(workspace_id=actor.workspace_id, user_id=user.id, role=role))
        db.session.commit()
        return Actor(user.id, actor.workspace_id, role, source)

    def channel(self, actor: Actor, url: str = "http://127.0.0.1:9/hook", secret: str = "s3cret", **extra):
        return channels.create_channel(
            actor,
            name=extra.pop("name", f"hook {self._next()}"),
            platform="webhook",
            settings={"url": url},
            credentials={"secret": secret},
            **extra,
        )

    def content(self, actor: Actor, **values):
        values.setdefault("title", f"Post {self._next()}")
        values.setdefault("body", "Hello")
        return contents.create_content(actor, **values)

    def publication(self, actor: Actor, content, channel=None, run_at: datetime | None = None):
        """Schedule content once on a channel (a new webhook one unless given); return its publication.

        It is due at run_at, five minutes ahead unless told: scheduled, so nothing runs it by itself.
        """
        channel = channel or self.channel(actor)
        run_at = run_at or utcnow() + timedelta(minutes=5)
        schedule = schedules.create_schedule(
            actor, {"content_id": content.id, "channel_ids": [channel.id], "run_at": run_at}
        )
        return schedules.publications_of(schedule)[0]


@pytest.fixture
def make(app) -> Factory:
    return Factory()


@pytest.fixture
def media_folder(app, tmp_path, monkeypatch) -> Path:
    """Store images in this test's own empty folder; the storage is rebuilt for it and forgotten after."""
    from webapp.domain.content import media

    folder = tmp_path / "media"
    monkeypatch.setitem(app.config, "MEDIA_ROOT", str(folder))
    app.extensions.pop(media.EXTENSION, None)
    yield folder
    app.extensions.pop(media.EXTENSION, None)


class AuthActions:
    """Sign up, in and out through the real forms (flaskr's AuthActions)."""

    def __init__(self, client):
        self._client = client

    def sign_up(self, email: str = "ada@example.test", password: str = PASSWORD, timezone: str = "UTC"):
        return self._client.post("/signup", data={"email": email, "password": password, "timezone": timezone})

    def sign_in(self, email: str = "ada@example.test", password: str = PASSWORD):
        return self._client.post("/signin", data={"email": email, "password": password})

    def sign_out(self):
        return self._client.post("/signout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def api_key(app, make):
    """Return (plaintext key, actor) for a fresh user's own workspace."""
    user = make.user()
    _, plaintext = accounts.create_api_key(user)
    return plaintext, make.actor(user)


@pytest.fixture
def api(client, api_key):
    """Call the JSON API with the fixture user's key: api("POST", "/channels", json={...})."""
    key, _ = api_key

    def call(method: str, path: str, key_override: str | None = None, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {key_override or key}")
        return client.open("/api/v1" + path, method=method, headers=headers, **kwargs)

    return call
