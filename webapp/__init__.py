"""Herald: a self-hosted content publishing scheduler."""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
RESOURCES = ("templates", "static", "migrations")
# Where a built wheel carries the checkout's top-level templates/, static/ and migrations/ (pyproject.toml).
BUNDLE = Path(__file__).resolve().parent / "_bundle"


@functools.cache
def resources() -> Path:
    """Return the folder holding templates/, static/ and migrations/.

    In a checkout (`make run`, an editable install, the tests) that is the checkout itself, so its live files are
    served; in an installed wheel it is the copy bundled inside the package.
    """
    if (ROOT / "pyproject.toml").is_file() and all((ROOT / name).is_dir() for name in RESOURCES):
        return ROOT
    if all((BUNDLE / name).is_dir() for name in RESOURCES):
        return BUNDLE
    raise RuntimeError(f"Herald's {', '.join(RESOURCES)} are neither in a checkout at {ROOT} nor bundled in {BUNDLE}")


def create_app(test_config: dict | None = None) -> Flask:
    """Build the Flask app: configuration, extensions, blueprints and commands."""
    from webapp.config import read_dotenv

    read_dotenv()  # a .env beside the checkout, before anything reads the environment (set variables win)
    app = Flask(
        __name__,
        instance_path=os.environ.get("HERALD_INSTANCE_PATH") or str(ROOT / "instance"),
        template_folder=str(resources() / "templates"),
        static_folder=str(resources() / "static"),
    )
    from webapp.config import load_config

    app.config.update(load_config(app.instance_path))
    register_id_bounds(app)
    if test_config:
        app.config.update(test_config)
    register_outbound_policy(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    register_proxy_fix(app)
    register_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_error_pages(app)
    return app


def register_outbound_policy(app: Flask) -> None:
    """Install which non-public addresses outbound calls may reach (OUTBOUND_ALLOW_PRIVATE; none by default)."""
    from webapp.adapters import targets
    from webapp.config import ConfigError

    try:
        targets.set_policy(targets.TargetPolicy.from_setting(app.config.get("OUTBOUND_ALLOW_PRIVATE", "")))
    except targets.SettingError as exc:
        raise ConfigError(str(exc)) from None


def register_error_pages(app: Flask) -> None:
    """Register error handlers and template filters."""
    from webapp.web.views import errors, filters

    errors.register(app)
    filters.register(app)


def register_id_bounds(app: Flask) -> None:
    """Make `<int:...>` URL parts refuse numbers no record id can have (404, not a database error)."""
    from flask import abort

    from webapp.core.validation import MAX_ID

    # Not the converter's own `max`: Werkzeug answers a converter's refusal with 405 for every method that another
    # rule at the same path accepts (`DELETE /api/v1/contents/<huge>/reviews`), where 404 is the truth. Refused here,
    # after routing and before any view or sign-in check, it is 404 for every method.
    @app.url_value_preprocessor
    def refuse_impossible_ids(endpoint: str | None, values: dict | None) -> None:
        if values and any(type(value) is int and value > MAX_ID for value in values.values()):
            abort(404)


def register_proxy_fix(app: Flask) -> None:
    """Behind trusted reverse proxies, take the client's address and scheme from their X-Forwarded-* headers.

    Only as many hops as PROXY_FIX_X_FOR / PROXY_FIX_X_PROTO say are believed: with 0 (the default) the
    headers are ignored, since anyone reaching Herald directly could send them.
    """
    x_for, x_proto = app.config["PROXY_FIX_X_FOR"], app.config["PROXY_FIX_X_PROTO"]
    if x_for or x_proto:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=x_for, x_proto=x_proto, x_host=0, x_port=0, x_prefix=0)


def register_logging(app: Flask) -> None:
    """Log as LOG_FORMAT says, each line tagged with its request or job id; keep libraries' start-up chatter out."""
    from webapp.infra import logs

    logs.init_app(app)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def register_extensions(app: Flask) -> None:
    from webapp.extensions import csrf, db, login_manager, migrate
    from webapp.infra import queues
    from webapp.infra.live.fanout import Fanout
    from webapp.infra.live.sse import Broker
    from webapp.web import auth, security

    db.init_app(app)
    migrate.init_app(app, db, directory=str(resources() / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    queues.init_app(app)
    auth.init_app(app)
    security.init_app(app)
    from webapp.web import i18n

    i18n.init_app(app)  # the UI's language and timezone (Flask-Babel), and dates and numbers shown in them
    from webapp.domain.integrations import outbound_webhooks

    outbound_webhooks.init_app(app)  # outbound webhooks: signal receivers and the outbox's commit hook
    from webapp.domain.integrations import notifications
    from webapp.domain.publishing import chains

    chains.init_app(app)  # chained publications: a publish releases, a failure holds, what waits for it
    notifications.init_app(app)  # email and Slack notifications: signal receivers and the outbox's hook
    from webapp.domain.shared import alerts

    alerts.init_app(app)  # a raised or read alert announces itself live once it commits
    # The process's one writer for every /events stream gunicorn hands over, fed by its one subscription.
    app.extensions["herald.fanout"] = Fanout()
    app.extensions["herald.broker"] = Broker(
        app.extensions[queues.EXTENSION],
        f"{app.config['REDIS_KEY_PREFIX']}:events:*",
        fanout=app.extensions["herald.fanout"],
    )


def register_blueprints(app: Flask) -> None:
    from webapp.web.api import bp as api_bp
    from webapp.web.views import (
        alerts,
        analytics,
        api_docs,
        audit,
        bulk,
        calendar,
        channels,
        content_templates,
        contents,
        dashboard,
        health,
        icon,
        integrations,
        media,
        members,
        metrics,
        notifications,
        occurrences,
        publications,
        schedules,
        sessions,
        settings,
        stream,
        workspaces,
    )

    for module in (
        sessions,
        dashboard,
        channels,
        contents,
        schedules,
        occurrences,
        publications,
        bulk,
        alerts,
        settings,
        stream,
        health,
        metrics,
        audit,
        calendar,
        analytics,
        workspaces,
        members,
        content_templates,
        integrations,
        media,
        notifications,
        api_docs,
        icon,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(api_bp)


def register_commands(app: Flask) -> None:
    from webapp.cli import register

    register(app)
