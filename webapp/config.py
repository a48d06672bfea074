"""The one module that reads the environment."""

from __future__ import annotations

import os
from pathlib import Path

ENVIRONMENTS = ("production", "development", "testing")
# Smooth bursts before a platform bounces them; long-window quotas (Mastodon: 300 statuses per
# 3 hours) are still met by the platform's own 429 and Retry-After.
# Publications per minute per channel, by platform (0: no limit). A webhook is the user's own
# receiver, so it is not limited unless a channel rule says so.
RATE_PER_MINUTE_DEFAULTS = {"webhook": 0, "wordpress": 30, "ghost": 30, "shopify": 30, "mastodon": 5}
# The web server (gunicorn.conf.py): processes and threads; each open /events stream holds a thread.
WEB_WORKERS_DEFAULT, WEB_THREADS_DEFAULT = 2, 128
WEB_SWITCH_INTERVAL_MS_DEFAULT = 50  # gunicorn.conf.py: the web processes' sys.setswitchinterval
# Publications in flight at once per channel, by platform (0: no cap), shared by every worker on every
# machine: a platform that stalls holds at most this many worker slots. WordPress and Mastodon 5, as
# Postiz does; Shopify throttles hardest; a webhook is the user's own receiver.
MAX_IN_FLIGHT_DEFAULTS = {"webhook": 10, "wordpress": 5, "ghost": 5, "shopify": 2, "mastodon": 5}


class ConfigError(RuntimeError):
    """The environment is missing or has a malformed setting."""


# The .env beside the checkout (README: Configuration); HERALD_DOTENV names another file, or `off`.
DOTENV = Path(__file__).resolve().parent.parent / ".env"


def read_dotenv(environ: os._Environ | dict | None = None) -> list[str]:
    """Copy the .env file's settings into the environment where a variable is not already set; return their names.

    Variables already in the environment win; an empty value in the file counts as unset. Tests (HERALD_ENV=testing)
    read no file, so a developer's .env never leaks into them.
    """
    from dotenv import dotenv_values

    environ = os.environ if environ is None else environ
    choice = environ.get("HERALD_DOTENV", "").strip()
    if choice.lower() in ("off", "0", "false", "no") or environ.get("HERALD_ENV", "").strip().lower() == "testing":
        return []
    path = Path(choice) if choice else DOTENV
    if not path.is_file():
        return []
    applied = []
    for name, value in dotenv_values(path).items():
        if value and name not in environ:
            environ[name] = value
            applied.append(name)
    return applied


SIGNUP_MODES = ("open", "invite", "closed")


def env_bool(name: str, default: bool, environ: os._Environ | dict | None = None) -> bool:
    """Parse a boolean strictly: 1/true/yes/on or 0/false/no/off, anything else is an error."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int, environ: os._Environ | dict | None = None) -> int:
    """Parse an integer setting, failing loudly on garbage."""
    environ = os.environ if environ is None else environ
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None


def web_threads(environ: os._Environ | dict | None = None) -> int:
    """Threads per web process (WEB_THREADS): requests and SSE streams one gunicorn worker serves at once."""
    return max(1, env_int("WEB_THREADS", WEB_THREADS_DEFAULT, environ))


def env_proxy_count(name: str, environ: os._Environ | dict | None = None) -> int:
    """Read a number of trusted proxies: a whole number from 0 (trust no forwarding header)."""
    count = env_int(name, 0, environ)
    if count < 0:
        raise ConfigError(f"{name}={count} must be 0 or more (the number of proxies in front of Herald)")
    return count


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style postgres:// URLs and route PostgreSQL through psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def _public_url(environ) -> str:
    """Read PUBLIC_URL; emailed links need it, or a forged Host header could point them elsewhere."""
    url = environ.get("PUBLIC_URL", "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise ConfigError(f"PUBLIC_URL={url!r} must start with http:// or https://")
    if environ.get("SMTP_HOST", "").strip() and not (url and environ.get("SMTP_FROM", "").strip()):
        raise ConfigError("SMTP_HOST is set: set PUBLIC_URL (for the links in emails) and SMTP_FROM too")
    return url


def _media_settings(environ) -> dict:
    """Read the media settings: limits, and where bytes are stored (filesystem by default, or S3)."""
    backend = environ.get("MEDIA_STORAGE", "").strip().lower() or "filesystem"
    if backend not in ("filesystem", "s3"):
        raise ConfigError(f"MEDIA_STORAGE={backend!r} must be filesystem or s3")
    s3 = {name: environ.get(name, "").strip() for name in ("S3_ENDPOINT_URL", "S3_BUCKET", "S3_ACCESS_KEY_ID")}
    s3["S3_SECRET_ACCESS_KEY"] = environ.get("S3_SECRET_ACCESS_KEY", "")
    s3["S3_REGION"] = environ.get("S3_REGION", "").strip() or "us-east-1"
    if backend == "s3" and (missing := [name for name, value in s3.items() if not value]):
        raise ConfigError(f"MEDIA_STORAGE=s3 needs {', '.join(missing)}")
    if backend == "s3" and not s3["S3_ENDPOINT_URL"].startswith(("http://", "https://")):
        raise ConfigError("S3_ENDPOINT_URL must start with http:// or https://")
    return {
        "MEDIA_STORAGE": backend,
        "MEDIA_ROOT": environ.get("MEDIA_ROOT", "").strip(),
        "MEDIA_MAX_BYTES": env_int("MEDIA_MAX_BYTES", 5 * 1024 * 1024, environ),
        "MEDIA_MAX_WIDTH": env_int("MEDIA_MAX_WIDTH", 4096, environ),
        "MEDIA_UPLOADS_PER_HOUR": env_int("MEDIA_UPLOADS_PER_HOUR", 200, environ),
        "MEDIA_MAX_HEIGHT": env_int("MEDIA_MAX_HEIGHT", 4096, environ),
        "MEDIA_MAX_PER_CONTENT": env_int("MEDIA_MAX_PER_CONTENT", 10, environ),
        # How long a media URL handed to a platform or webhook receiver works (S3 allows a week at most).
        "MEDIA_URL_TTL_S": env_int("MEDIA_URL_TTL_S", 7 * 24 * 3600, environ),
        **s3,
    }


SECRET_KEY_FILE = "secret_key"


def _instance_secret(instance_path: str) -> str:
    # `make run` keeps its generated key in the instance folder; the flask CLI in the same checkout
    # (users create, api-keys create) must use the same key, or it could not read what the app wrote.
    path = Path(instance_path) / SECRET_KEY_FILE
    return path.read_text().strip() if path.is_file() else ""


def load_config(instance_path: str, environ: os._Environ | dict | None = None) -> dict:
    """Build the Flask config mapping from the environment, once, at app creation."""
    environ = os.environ if environ is None else environ
    env = environ.get("HERALD_ENV", "production").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"HERALD_ENV={env!r} must be one of {', '.join(ENVIRONMENTS)}")
    secret_key = environ.get("SECRET_KEY", "") or _instance_secret(instance_path)
    if not secret_key:
        if env == "production":
            raise ConfigError("SECRET_KEY is required in production (set HERALD_ENV=development to run locally)")
        secret_key = "dev-only-not-secret"
    sqlite_default = "sqlite:///" + str(Path(instance_path) / "herald.db")
    return {
        "HERALD_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": secret_key,
        # Fernet key(s) for channel credentials, comma-separated, newest first (rotation).
        "CREDENTIALS_KEYS": environ.get("CREDENTIALS_KEY", ""),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(environ.get("DATABASE_URL", "") or sqlite_default),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": environ.get("REDIS_URL", "") or "redis://127.0.0.1:6379/0",
        "PORT": env_int("PORT", 8000, environ),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", env == "production", environ),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # The remember-me cookie signs the user in as surely as the session cookie: same HTTPS rule.
        "REMEMBER_COOKIE_SECURE": env_bool("SESSION_COOKIE_SECURE", env == "production", environ),
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": env_int("MAX_CONTENT_LENGTH", 2 * 1024 * 1024, environ),
        # Sign-in attempts per email and address, and API calls per key, per window.
        # Who may make an account at /signup once the first one exists: anyone (open), only invited people
        # through their invitation link (invite), or nobody but the operator's CLI (closed).
        "SIGNUP": env_choice("SIGNUP", "invite", SIGNUP_MODES, environ),
        # Non-public addresses outbound calls may reach (adapters/targets.py): "" none, "true" all, or networks.
        "OUTBOUND_ALLOW_PRIVATE": environ.get("OUTBOUND_ALLOW_PRIVATE", "").strip(),
        "SIGNUP_ATTEMPTS_PER_ADDRESS": env_int("SIGNUP_ATTEMPTS_PER_ADDRESS", 10, environ),  # per hour
        "LOGIN_ATTEMPTS": env_int("LOGIN_ATTEMPTS", 10, environ),
        "LOGIN_WINDOW_S": env_int("LOGIN_WINDOW_S", 900, environ),
        # ...and from one address whatever the email: one machine trying many accounts (password spraying).
        "LOGIN_ATTEMPTS_PER_ADDRESS": env_int("LOGIN_ATTEMPTS_PER_ADDRESS", 100, environ),
        "API_RATE_LIMIT": env_int("API_RATE_LIMIT", 600, environ),
        "API_RATE_WINDOW_S": env_int("API_RATE_WINDOW_S", 60, environ),
        # One-time links (stored hashed): password resets, requests for them per window, invitations.
        "PASSWORD_RESET_TTL_MINUTES": env_int("PASSWORD_RESET_TTL_MINUTES", 60, environ),
        "PASSWORD_RESET_ATTEMPTS": env_int("PASSWORD_RESET_ATTEMPTS", 5, environ),
        "PASSWORD_RESET_WINDOW_S": env_int("PASSWORD_RESET_WINDOW_S", 3600, environ),
        "INVITATION_TTL_HOURS": env_int("INVITATION_TTL_HOURS", 168, environ),
        # Outgoing email (webapp/infra/mail.py), off while SMTP_HOST is empty; links in it start with PUBLIC_URL.
        "PUBLIC_URL": _public_url(environ),
        # Uploaded images (webapp/infra/storage.py, webapp/domain/content/media.py).
        **_media_settings(environ),
        "SMTP_HOST": environ.get("SMTP_HOST", "").strip(),
        "SMTP_PORT": env_int("SMTP_PORT", 587, environ),
        "SMTP_USER": environ.get("SMTP_USER", ""),
        "SMTP_PASSWORD": environ.get("SMTP_PASSWORD", ""),
        "SMTP_FROM": environ.get("SMTP_FROM", "").strip(),
        "SMTP_STARTTLS": env_bool("SMTP_STARTTLS", True, environ),
        # Implicit TLS from the first byte (SMTPS): the default on port 465, where servers expect it.
        "SMTP_SSL": env_bool("SMTP_SSL", env_int("SMTP_PORT", 587, environ) == 465, environ),
        "SMTP_TIMEOUT_S": env_int("SMTP_TIMEOUT_S", 10, environ),
        # Publishing behaviour.
        "PUBLISH_TIMEOUT_S": env_int("PUBLISH_TIMEOUT_S", 15, environ),
        "PUBLISH_MAX_ATTEMPTS": env_int("PUBLISH_MAX_ATTEMPTS", 5, environ),
        "RETRY_BASE_S": env_int("RETRY_BASE_S", 10, environ),
        "RETRY_CAP_S": env_int("RETRY_CAP_S", 900, environ),
        # Failure detection: N consecutive failures, or M within D days, need a person; one alert per cool-off.
        "FAILURE_CONSECUTIVE": env_int("FAILURE_CONSECUTIVE", 3, environ),
        "FAILURE_WINDOW_COUNT": env_int("FAILURE_WINDOW_COUNT", 5, environ),
        "FAILURE_WINDOW_DAYS": env_int("FAILURE_WINDOW_DAYS", 7, environ),
        "FAILURE_COOLOFF_S": env_int("FAILURE_COOLOFF_S", 3600, environ),
        "SCHEDULER_INTERVAL_S": env_int("SCHEDULER_INTERVAL_S", 1, environ),
        "RECONCILE_INTERVAL_S": env_int("RECONCILE_INTERVAL_S", 30, environ),
        "DEFAULT_GRACE_MINUTES": env_int("DEFAULT_GRACE_MINUTES", 60, environ),
        # A `publishing` row untouched this long lost its worker (must exceed the job timeout, 120 s).
        "ORPHAN_AFTER_S": env_int("ORPHAN_AFTER_S", 150, environ),
        # Publications one worker process has in flight (threads; processes/worker.py), and how many worker
        # processes `make run` starts: 2 x 8 slots keep 16 slow platform calls going on 2 cores.
        "WORKER_CONCURRENCY": env_int("WORKER_CONCURRENCY", 8, environ),
        "WORKER_PROCESSES": env_int("WORKER_PROCESSES", 2, environ),
        # How long a worker's slot may hold the interpreter lock before another may take it (Python's default:
        # 5,000 us). A slot back from Redis or the platform waits up to that for its turn, about ten times a
        # publish: 500 us made an instant-platform burst a third faster on 2 x 8 slots (bench/load.py). 0: leave it.
        "WORKER_SWITCH_INTERVAL_US": env_int("WORKER_SWITCH_INTERVAL_US", 500, environ),
        "SSE_KEEPALIVE_S": env_int("SSE_KEEPALIVE_S", 15, environ),
        # Open /events streams per user across all web processes (each tab holds one); 0: no cap.
        "SSE_MAX_STREAMS_PER_USER": env_int("SSE_MAX_STREAMS_PER_USER", 8, environ),
        # Open streams per web process: each holds a gunicorn thread, so a quarter of WEB_THREADS (32 of the
        # default 128) stays for pages and the API, however many streams are asked for.
        "SSE_MAX_STREAMS_PER_PROCESS": env_int(
            "SSE_MAX_STREAMS_PER_PROCESS", max(1, web_threads(environ) * 3 // 4), environ
        ),
        # Per-channel token buckets, posts per minute by platform (a burst of one minute's worth);
        # a channel's own `rate_per_minute` rule wins; 0 means no limit.
        "RATE_PER_MINUTE": {
            platform: env_int(f"RATE_PER_MINUTE_{platform.upper()}", default, environ)
            for platform, default in RATE_PER_MINUTE_DEFAULTS.items()
        },
        # A channel's own `max_in_flight` rule wins over its platform's cap; 0 means no cap.
        "MAX_IN_FLIGHT": {
            platform: env_int(f"MAX_IN_FLIGHT_{platform.upper()}", default, environ)
            for platform, default in MAX_IN_FLIGHT_DEFAULTS.items()
        },
        # Circuit breaker: N consecutive transient failures open a channel for the cool-off, then one
        # probe may pass; the probe lock outlives a hung call (job timeout 120 s).
        "BREAKER_FAILURES": env_int("BREAKER_FAILURES", 5, environ),
        "BREAKER_COOLOFF_S": env_int("BREAKER_COOLOFF_S", 300, environ),
        "BREAKER_PROBE_TTL_S": env_int("BREAKER_PROBE_TTL_S", 150, environ),
        # Pre-flight looks this far ahead for publications that would fail (0 s interval: off).
        "PREFLIGHT_MINUTES": env_int("PREFLIGHT_MINUTES", 10, environ),
        "PREFLIGHT_INTERVAL_S": env_int("PREFLIGHT_INTERVAL_S", 60, environ),
        # The scheduler counts as silent after three missed ticks (DESIGN: liveness).
        # A scheduler silent this long raises the `scheduler_silent` alert (domain/operations/scheduler_watch.py).
        "SCHEDULER_SILENT_ALERT_S": env_int("SCHEDULER_SILENT_ALERT_S", 60, environ),
        "HEARTBEAT_STALE_S": env_int("HEARTBEAT_STALE_S", 3 * env_int("SCHEDULER_INTERVAL_S", 1, environ), environ),
        # Prefix for Herald's own Redis keys, so several installs (or tests) can share one server.
        "REDIS_KEY_PREFIX": environ.get("REDIS_KEY_PREFIX", "herald"),
        # Outbound webhooks (event subscriptions): attempts before a delivery is marked failed, and how
        # often the sweep re-enqueues due deliveries (a Redis blip or a crash never loses one).
        "OUTBOUND_MAX_ATTEMPTS": env_int("OUTBOUND_MAX_ATTEMPTS", 8, environ),
        "OUTBOUND_SWEEP_INTERVAL_S": env_int("OUTBOUND_SWEEP_INTERVAL_S", 15, environ),
        # Notifications (email, Slack-compatible webhooks): how often due ones and digests are sent, attempts each.
        "NOTIFY_INTERVAL_S": env_int("NOTIFY_INTERVAL_S", 60, environ),
        "NOTIFY_MAX_ATTEMPTS": env_int("NOTIFY_MAX_ATTEMPTS", 5, environ),
        # Import: the most rows one upload may hold (the body is also capped by MAX_CONTENT_LENGTH).
        "IMPORT_MAX_ROWS": env_int("IMPORT_MAX_ROWS", 1000, environ),
        # Operations (docs/deploy.md): log lines as text or JSON, the /metrics bearer token (unset:
        # loopback clients only), and how long finished history is kept (0 days: forever).
        "LOG_FORMAT": env_choice("LOG_FORMAT", "text", ("text", "json"), environ),
        "LOG_LEVEL": env_choice("LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR"), environ),
        "METRICS_TOKEN": environ.get("METRICS_TOKEN", ""),
        "RETENTION_ATTEMPTS_DAYS": env_int("RETENTION_ATTEMPTS_DAYS", 90, environ),
        "RETENTION_AUDIT_DAYS": env_int("RETENTION_AUDIT_DAYS", 365, environ),
        "RETENTION_ALERTS_DAYS": env_int("RETENTION_ALERTS_DAYS", 30, environ),
        "RETENTION_INTERVAL_S": env_int("RETENTION_INTERVAL_S", 3600, environ),
        "RETENTION_WEBHOOK_DELIVERIES_DAYS": env_int("RETENTION_WEBHOOK_DELIVERIES_DAYS", 30, environ),
        "RETENTION_NOTIFICATIONS_DAYS": env_int("RETENTION_NOTIFICATIONS_DAYS", 30, environ),
        # Behind reverse proxies: how many of them to trust for X-Forwarded-For / X-Forwarded-Proto (0: none).
        "PROXY_FIX_X_FOR": env_proxy_count("PROXY_FIX_X_FOR", environ),
        "PROXY_FIX_X_PROTO": env_proxy_count("PROXY_FIX_X_PROTO", environ),
    }


def env_choice(name: str, default: str, choices: tuple[str, ...], environ: os._Environ | dict | None = None) -> str:
    """Read a setting that must be one of `choices` (case-insensitive), failing loudly on anything else."""
    environ = os.environ if environ is None else environ
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    for choice in choices:
        if raw.lower() == choice.lower():
            return choice
    raise ConfigError(f"{name}={raw!r} must be one of {', '.join(choices)}")
