"""Run Herald for real: web, worker and scheduler processes on real Redis and a fresh database.

A `Stack` owns everything it starts (a database, three process groups, their log files) and
`stop()` takes all of it down again, whatever state the start reached. A `Receiver` is the
webhook peer: a local HTTP server that records what Herald sends and answers like a platform.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import requests
from redis import Redis
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.served import ServedInThread, answer_json, wait_until

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PASSWORD = "Correct-Horse-42!"
REDIS_URL = os.environ.get("E2E_REDIS_URL", "redis://127.0.0.1:6379/14")
# Only one stack may own an end-to-end Redis DB at a time (two runs would steal each other's jobs); runs
# on different E2E_REDIS_URLs may go side by side.
LOCK_PATH = Path(tempfile.gettempdir()) / f"herald-e2e-redis-{hashlib.sha256(REDIS_URL.encode()).hexdigest()[:12]}.lock"
FINAL_STATUSES = {"published", "failed", "unconfirmed", "paused", "cancelled", "missed"}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def utc_text(instant: datetime) -> str:
    """Format an aware instant the way the API does: whole seconds, Z."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_utc(text: str) -> datetime:
    """Parse the API's `YYYY-MM-DDTHH:MM:SSZ` into an aware datetime."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def whole_seconds_ahead(seconds: int) -> datetime:
    """Return the whole UTC second at least `seconds` from now (X.0 s, as the tests want)."""
    return datetime.fromtimestamp(int(time.time()) + 1 + seconds, UTC)


# --- the database -------------------------------------------------------------------------------


class Database:
    """A database of its own: a new PostgreSQL database when DATABASE_URL names a server, else SQLite."""

    def __init__(self, workdir: Path, server_url: str | None = None) -> None:
        server_url = server_url if server_url is not None else os.environ.get("DATABASE_URL", "")
        self._admin_url: str | None = None
        self.name: str | None = None
        if server_url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
            parts = urlsplit(server_url)
            self._admin_url = urlunsplit(parts._replace(scheme="postgresql"))
            # Named after DATABASE_URL's own database, so runs sharing a server (several worktrees) stay apart.
            self.name = f"{parts.path.strip('/') or 'herald'}_e2e_{secrets.token_hex(4)}"
            self.url = urlunsplit(parts._replace(scheme="postgresql", path="/" + self.name))
        else:
            self.url = "sqlite:///" + str(workdir / "herald-e2e.db")

    @property
    def dialect(self) -> str:
        return "postgresql" if self._admin_url else "sqlite"

    def create(self) -> None:
        if self._admin_url:
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self) -> None:
        if self._admin_url:
            # FORCE: a process killed mid-query may leave a backend behind for a moment.
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    def _admin(self, statement: str) -> None:
        with psycopg.connect(self._admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(statement)


# --- the processes ------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path
    log_file: IO[bytes]

    def tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError as exc:
            return f"(no log: {exc})"
        return "\n".join(text.splitlines()[-lines:])


class StackError(RuntimeError):
    """The stack did not come up; the message carries the processes' last log lines."""


class Stack:
    """Herald's web, worker and scheduler processes, with a fresh database and a flushed Redis DB."""

    def __init__(self, workdir: Path, database_server_url: str | None = None) -> None:
        self.workdir = workdir
        self.database = Database(workdir, database_server_url)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.redis_url = REDIS_URL
        self.processes: list[Process] = []
        self.http = requests.Session()
        # gunicorn closes an idle keep-alive connection after 2 s; a request that meets the close
        # on a reused connection is reset. Retrying is safe only for reads, so only they retry.
        reads_retry = Retry(total=2, connect=2, read=2, status=0, allowed_methods={"GET", "HEAD"}, backoff_factor=0.1)
        self.http.mount("http://", HTTPAdapter(max_retries=reads_retry))
        self._lock_file: IO[str] | None = None
        self._database_created = False
        self.timings: dict[str, float] = {}  # seconds per start/stop phase, for slow-run reports
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("HERALD_", "FLASK_"))},
            "HERALD_ENV": "testing",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": self.database.url,
            "REDIS_URL": self.redis_url,
            "REDIS_KEY_PREFIX": "herald-e2e",
            "SIGNUP": "open",  # the browser tests sign several people up
            "OUTBOUND_ALLOW_PRIVATE": "127.0.0.0/8,::1/128",  # the receivers and peers listen on loopback
            "HERALD_INSTANCE_PATH": str(workdir / "instance"),
            "PORT": str(self.port),
            "SCHEDULER_INTERVAL_S": "1",
            "PYTHONUNBUFFERED": "1",
        }
        self.env.pop("CREDENTIALS_KEY", None)

    # lifecycle

    def start(self, timeout: float = 45.0) -> Stack:
        """Bring everything up and wait for /healthz; on any failure, take down what started."""
        try:
            with self._timed("lock"):
                self._acquire_lock(timeout=120)
            with self._timed("database"):
                self._flush_redis()
                self.database.create()
                self._database_created = True
                self.cli("db", "upgrade")
            with self._timed("healthy"):
                self._spawn("web", self._gunicorn_command())
                self._spawn("worker", [PYTHON, "worker.py"])
                self._spawn("scheduler", [PYTHON, "-m", "flask", "--app", "webapp", "scheduler"])
                self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL), drop the database, flush Redis; never raises."""
        started = time.monotonic()
        self.http.close()  # no idle keep-alive connection for gunicorn to wait on
        for process in self.processes:
            _signal_group(process.popen, signal.SIGTERM)
        deadline = time.monotonic() + 6
        for process in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Kill the whole group in any case: gunicorn's worker may outlive a killed master.
            _signal_group(process.popen, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)
            process.log_file.close()
        self.processes = []
        if self._database_created:
            self._database_created = False
            try:
                self.database.drop()
            except psycopg.Error as exc:
                print(f"could not drop {self.database.name}: {exc}", file=sys.stderr)
        if self._lock_file is not None:
            self._flush_redis()
            self._lock_file.close()  # releases the flock
            self._lock_file = None
        self.timings["stop"] = time.monotonic() - started

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # helpers for tests

    def assert_running(self) -> None:
        """Fail with the logs if any process has exited (a crash between two health checks)."""
        exited = [f"{p.name} (exit {p.popen.poll()})" for p in self.processes if p.popen.poll() is not None]
        if exited:
            raise StackError(f"{', '.join(exited)} stopped while the tests ran\n{self.tails()}")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run `flask --app webapp ARGS` against this stack; raise with its output if it fails."""
        result = subprocess.run(
            [PYTHON, "-m", "flask", "--app", "webapp", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if result.returncode != 0:
            raise StackError(f"flask {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def create_user_and_key(self, email: str, password: str = PASSWORD, timezone: str = "UTC") -> str:
        """Create a user with the CLI, then an API key for them; return the key."""
        self.cli("users", "create", email, "--password", password, "--timezone", timezone)
        output = self.cli("api-keys", "create", email).stdout
        return output.strip().splitlines()[-1].strip()

    def url(self, path: str) -> str:
        return self.base_url + path

    def running(self) -> list[str]:
        """Names of the processes still running."""
        return [p.name for p in self.processes if p.popen.poll() is None]

    def tails(self, lines: int = 40) -> str:
        """The last lines each process wrote, for a failure report."""
        return f"start/stop timings (s): {self.timings}\n" + "\n".join(
            f"----- {p.name} (exit {p.popen.poll()}) : {p.log_path} -----\n{p.tail(lines)}" for p in self.processes
        )

    # internals

    @contextlib.contextmanager
    def _timed(self, phase: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[phase] = time.monotonic() - started

    def _gunicorn_command(self) -> list[str]:
        return [
            PYTHON,
            "-m",
            "gunicorn",
            "-k",
            "gthread",
            "--threads",
            "32",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--graceful-timeout",
            "2",
            "--no-control-socket",
            "webapp:create_app()",
        ]

    def _spawn(self, name: str, command: list[str]) -> None:
        log_path = self.workdir / f"{name}.log"
        log_file = log_path.open("wb")
        try:
            popen = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches every child
            )
        except BaseException:
            log_file.close()
            raise
        self.processes.append(Process(name, popen, log_path, log_file))

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        while time.monotonic() < deadline:
            exited = [p.name for p in self.processes if p.popen.poll() is not None]
            if exited:
                raise StackError(f"{', '.join(exited)} exited during start-up\n{self.tails()}")
            try:
                response = self.http.get(self.url("/healthz"), timeout=2)
            except requests.RequestException as exc:
                last = f"{type(exc).__name__}"
            else:
                if response.status_code == 200:
                    return
                last = f"{response.status_code} {response.text.strip()}"
            time.sleep(0.1)
        raise StackError(f"/healthz not 200 after {timeout:.0f} s (last: {last})\n{self.tails()}")

    def _flush_redis(self) -> None:
        redis = Redis.from_url(self.redis_url, socket_connect_timeout=3)
        try:
            redis.flushdb()
        finally:
            redis.close()

    def _acquire_lock(self, timeout: float) -> None:
        lock_file = LOCK_PATH.open("w")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    lock_file.close()
                    raise StackError(f"another end-to-end run holds {LOCK_PATH}") from None
                time.sleep(0.2)
            else:
                self._lock_file = lock_file
                return


def _signal_group(popen: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(popen.pid, sig)


# --- the API --------------------------------------------------------------------------------------


class Api:
    """Call /api/v1 with one user's key."""

    def __init__(self, stack: Stack, key: str, email: str) -> None:
        self.stack, self.key, self.email = stack, key, email

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.key}", **kwargs.pop("headers", {})}
        # A write goes on a connection of its own: on a pooled one gunicorn may have closed meanwhile (idle
        # keep-alive) it is reset, and only reads may be retried (the session's adapter does that).
        send = self.stack.http.request if method in ("GET", "HEAD") else requests.request
        return send(method, self.stack.url("/api/v1" + path), headers=headers, timeout=10, **kwargs)

    def create(self, path: str, body: dict) -> dict:
        """POST a record and return it, failing loudly on anything but 201."""
        response = self.call("POST", path, json=body)
        assert response.status_code == 201, f"POST {path}: {response.status_code} {response.text}"
        return response.json()

    def publication(self, publication_id: int) -> dict:
        response = self.call("GET", f"/publications/{publication_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait_until_final(self, publication_id: int, timeout: float = 30.0) -> dict:
        """Poll a publication until it reaches a final status; return it."""
        deadline = time.monotonic() + timeout
        while True:
            self.stack.assert_running()  # a dead worker or scheduler: say so now, not at the timeout
            publication = self.publication(publication_id)
            if publication["status"] in FINAL_STATUSES:
                return publication
            if time.monotonic() > deadline:
                raise AssertionError(f"publication {publication_id} still {publication['status']} after {timeout} s")
            time.sleep(0.1)


# --- the webhook peer -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    path: str
    headers: Message
    body: bytes
    arrived_at: float  # time.time() when the request had been read

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver(ServedInThread):
    """A webhook receiver on 127.0.0.1:0: records every request, answers 200 {"id": "ext-N", "url": …}.

    Each test takes its own path from `hook()`, so tests sharing the receiver never see each
    other's requests, and N counts the requests on that path.
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._counts: Counter[str] = Counter()
        self._delays: dict[str, float] = {}
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def hook(self, delay: float = 0.0) -> str:
        """Return a fresh URL for one channel; its requests are answered `delay` seconds after arriving."""
        host, port = self._server.server_address[:2]
        path = f"/hook/{secrets.token_hex(4)}"
        self._delays[path] = delay
        return f"http://{host}:{port}{path}"

    def deliveries_to(self, url: str) -> list[Delivery]:
        path = urlsplit(url).path
        with self._lock:
            return [d for d in self.deliveries if d.path == path]

    def wait_for(self, url: str, count: int, timeout: float = 20.0) -> list[Delivery]:
        """Wait until `count` requests have reached `url`; return them."""
        return wait_until(lambda: self.deliveries_to(url), count, timeout)

    def _record(self, path: str, headers: Message, body: bytes) -> int:
        with self._lock:
            self.deliveries.append(Delivery(path, headers, body, time.time()))
            self._counts[path] += 1
            return self._counts[path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each keep-alive request stalls ~40 ms

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                n = receiver._record(self.path, self.headers, body)
                time.sleep(receiver._delays.get(self.path, 0.0))
                answer_json(self, 200, {"id": f"ext-{n}", "url": f"http://receiver.test/p/{n}"})

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# --- stacks of their own: a private redis-server and control over single processes -----------------


class RedisServer:
    """A throw-away `redis-server` on a free loopback port, without persistence.

    For tests that break Redis on purpose (FLUSHALL, a restart): the shared 127.0.0.1:6379 is
    never touched. `restart()` keeps the port, so every client reconnects to an empty server.
    """

    def __init__(self, workdir: Path, binary: str = "redis-server") -> None:
        self.workdir, self.binary = workdir, binary
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = workdir / f"redis-{self.port}.log"
        self.popen: subprocess.Popen | None = None

    def start(self, timeout: float = 10.0) -> RedisServer:
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir), "--logfile", str(self.log_path)]
        self.popen = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.popen.poll() is not None:
                raise StackError(f"redis-server exited {self.popen.returncode}: {self.tail()}")
            try:
                with contextlib.closing(self.client()) as redis:
                    if redis.ping():
                        return self
            except Exception:  # noqa: BLE001 - not up yet
                if time.monotonic() > deadline:
                    self.stop()
                    raise StackError(f"redis-server on port {self.port} did not answer: {self.tail()}") from None
            time.sleep(0.05)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """Stop the server (SIGTERM, SIGKILL after 5 s); safe to call twice."""
        if self.popen is None:
            return
        _signal_group(self.popen, sig)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _signal_group(self.popen, signal.SIGKILL)
            self.popen.wait(timeout=5)
        self.popen = None

    def restart(self) -> None:
        """kill -9 and start again on the same port: everything in memory is gone."""
        self.stop(signal.SIGKILL)
        self.start()

    def client(self) -> Redis:
        return Redis.from_url(self.url, socket_connect_timeout=2, socket_timeout=5)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class IsolatedStack(Stack):
    """A Stack on a redis-server of its own, with env overrides and control over single processes.

    No lock is taken (nothing is shared), so it can run beside the session's `stack`. Processes
    are named by role and a number: `worker`, `worker-2`, `scheduler`, `scheduler-2`, ...; a role
    name (`worker`) addresses every process of that role.
    """

    def __init__(
        self, workdir: Path, env: dict[str, str] | None = None, database_server_url: str | None = None
    ) -> None:
        super().__init__(workdir, database_server_url)
        self.redis_server = RedisServer(workdir)
        self.redis_url = self.redis_server.url
        self.env.update({"REDIS_URL": self.redis_url, "REDIS_KEY_PREFIX": "herald-iso", **(env or {})})
        self.retired: list[Process] = []  # killed or stopped one by one; kept for their logs
        self._spawned: Counter[str] = Counter()

    def start(self, timeout: float = 45.0, user: str | None = None) -> IsolatedStack:
        """Start Redis, the database and the three processes; with `user`, make that user and key meanwhile.

        The user is then `self.api` (an Api), created while the processes boot instead of after.
        """
        try:
            with self._timed("redis"):
                self.redis_server.start()
            with self._timed("database"):
                self.database.create()
                self._database_created = True
                self.cli("db", "upgrade")
            with self._timed("healthy"):
                self._spawn("web", self._gunicorn_command())
                self._spawn("worker", [PYTHON, "worker.py"])
                self._spawn("scheduler", [PYTHON, "-m", "flask", "--app", "webapp", "scheduler"])
                self._spawned.update(["web", "worker", "scheduler"])
                if user is not None:
                    self.api = Api(self, self.create_user_and_key_at_once(user), user)
                self._wait_healthy(timeout)
                self._wait_worker_idle(self.process("worker"), timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def create_user_and_key_at_once(self, email: str, password: str = PASSWORD) -> str:
        """Create a user and an API key in one app boot (the CLI takes two); return the key."""
        script = (
            "import sys\n"
            "from webapp import create_app\n"
            "from webapp.domain.accounts import accounts\n"
            "with create_app().app_context():\n"
            "    user = accounts.create_user(sys.argv[1], sys.argv[2], 'UTC', source='cli')\n"
            "    print(accounts.create_api_key(user, None, 'cli')[1])\n"
        )
        result = subprocess.run(
            [PYTHON, "-c", script, email, password], cwd=REPO, env=self.env, capture_output=True, text=True, timeout=60
        )
        if result.returncode != 0:
            raise StackError(f"creating {email} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result.stdout.strip().splitlines()[-1].strip()

    def stop(self) -> None:
        super().stop()
        self.redis_server.stop()

    def redis(self) -> Redis:
        """A new client of this stack's Redis (the caller closes it)."""
        return self.redis_server.client()

    # single processes

    def role(self, role: str) -> list[Process]:
        """The running processes of a role (`worker`, `scheduler`, `web`), oldest first."""
        return [p for p in self.processes if p.name == role or p.name.startswith(role + "-")]

    def process(self, name: str) -> Process:
        (found,) = [p for p in self.processes if p.name == name]
        return found

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL, timeout: float = 10.0) -> list[Process]:
        """Send `sig` (kill -9 by default) to a process or every process of a role; wait for them to exit."""
        victims = [self.process(name)] if any(p.name == name for p in self.processes) else self.role(name)
        assert victims, f"no running process named {name!r}: {[p.name for p in self.processes]}"
        for process in victims:
            _signal_group(process.popen, sig)
        for process in victims:
            try:
                process.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(process.popen, signal.SIGKILL)
                process.popen.wait(timeout=5)
            _signal_group(process.popen, signal.SIGKILL)  # nothing of its group survives
            process.log_file.close()
            self.processes.remove(process)
            self.retired.append(process)
        return victims

    def terminate(self, name: str) -> list[Process]:
        """Stop a process or a role gracefully (SIGTERM), as a deploy would."""
        return self.kill(name, signal.SIGTERM)

    def spawn_worker(self, wait: bool = True) -> Process:
        """Start one more worker; with `wait`, return once RQ lists it idle."""
        name = self._next_name("worker")
        self._spawn(name, [PYTHON, "worker.py", "--name", f"{name}-{secrets.token_hex(3)}"])
        process = self.processes[-1]
        if wait:
            self.wait_ready(process)
        return process

    def spawn_scheduler(self, wait: bool = True) -> Process:
        """Start one more scheduler process; with `wait`, return once its rq-scheduler loop runs."""
        name = self._next_name("scheduler")
        self._spawn(name, [PYTHON, "-m", "flask", "--app", "webapp", "scheduler"])
        process = self.processes[-1]
        if wait:
            self.wait_ready(process)
        return process

    def wait_ready(self, *processes: Process, timeout: float = 30.0) -> None:
        """Wait until each worker is idle in RQ and each scheduler has entered rq-scheduler's loop."""
        deadline = time.monotonic() + timeout
        for process in processes:
            if process.name.startswith("worker"):
                self._wait_worker_idle(process, max(0.1, deadline - time.monotonic()))
            else:
                # The runner syncs periodic jobs and reconciles first; rq-scheduler logs its birth after.
                while "Registering birth" not in process.tail(200):
                    self._check_alive(process, deadline, "its rq-scheduler loop to start")
                    time.sleep(0.05)

    def restore(self, workers: int = 1, schedulers: int = 1) -> list[str]:
        """Retire processes that exited on their own, then bring the stack back to `workers` workers and
        `schedulers` schedulers (after a test that broke it); return the names of those that had exited."""
        exited = [p for p in self.processes if p.popen.poll() is not None]
        for process in exited:
            process.log_file.close()
            self.processes.remove(process)
            self.retired.append(process)
        if "web" in {p.name for p in exited}:
            raise StackError(f"web exited {exited[0].popen.poll()}\n{self.tails()}")
        started = []
        for role, wanted, spawn in (
            ("worker", workers, self.spawn_worker),
            ("scheduler", schedulers, self.spawn_scheduler),
        ):
            running = self.role(role)
            for extra in running[wanted:]:
                self.terminate(extra.name)
            started += [spawn(wait=False) for _ in range(wanted - len(running))]
        self.wait_ready(*started)
        return [f"{p.name} (exit {p.popen.poll()})" for p in exited]

    def tails(self, lines: int = 40) -> str:
        retired = "\n".join(
            f"----- {p.name} (retired, exit {p.popen.poll()}) : {p.log_path} -----\n{p.tail(lines)}"
            for p in self.retired
        )
        return f"{super().tails(lines)}\n{retired}\n----- redis-server -----\n{self.redis_server.tail(10)}"

    # the database, read directly (alerts have no API)

    def sql(self, statement: str, *params: object) -> list[tuple]:
        """Run one read-only statement with `?` placeholders against this stack's database; return the rows."""
        if self.database.dialect == "postgresql":
            with psycopg.connect(self.database.url, autocommit=True, connect_timeout=5) as conn:
                return conn.execute(statement.replace("?", "%s"), params).fetchall()
        connection = sqlite3.connect(self.database.url.removeprefix("sqlite:///"), timeout=10)
        try:
            return connection.execute(statement, params).fetchall()
        finally:
            connection.close()

    # internals

    def _acquire_lock(self, timeout: float) -> None:
        """Nothing shared to lock: this stack's Redis is its own."""

    def _next_name(self, role: str) -> str:
        self._spawned[role] += 1
        return role if self._spawned[role] == 1 else f"{role}-{self._spawned[role]}"

    def _wait_worker_idle(self, process: Process, timeout: float) -> None:
        rq_name = None
        deadline = time.monotonic() + timeout
        with contextlib.closing(self.redis()) as redis:
            while True:
                if rq_name is None and "--name" in process.popen.args:
                    rq_name = process.popen.args[process.popen.args.index("--name") + 1]
                # rq:worker:<name>:executions is a set beside each worker's hash: only the hashes have a state.
                workers = (k for k in redis.scan_iter("rq:worker:*") if not k.endswith(b":executions"))
                keys = [f"rq:worker:{rq_name}"] if rq_name else list(workers)
                if any(redis.hget(k, "state") == b"idle" for k in keys):
                    return
                self._check_alive(process, deadline, "RQ to list it idle")
                time.sleep(0.05)

    def _check_alive(self, process: Process, deadline: float, waiting_for: str) -> None:
        if process.popen.poll() is not None:
            raise StackError(f"{process.name} exited {process.popen.poll()}\n{process.tail()}")
        if time.monotonic() > deadline:
            raise StackError(f"{process.name}: gave up waiting for {waiting_for}\n{process.tail()}")


@contextlib.contextmanager
def report_tails(config: Any, stack: Stack) -> Iterator[None]:
    """While active, a failing test's report carries `stack`'s process logs (like the session stack's)."""

    class Plugin:
        @staticmethod
        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_makereport(item: Any, call: Any) -> Any:
            report = yield
            if report.failed and report.when in ("setup", "call"):
                report.sections.append((f"isolated stack {stack.base_url} (last lines)", stack.tails()))
            return report

    plugin = Plugin()
    config.pluginmanager.register(plugin)
    try:
        yield
    finally:
        config.pluginmanager.unregister(plugin)


@contextlib.contextmanager
def running_isolated_stack(folder: Path, config: Any, env: dict[str, str], user_prefix: str) -> Iterator[IsolatedStack]:
    """An IsolatedStack started with a fresh user, its logs in failing reports, stopped at the end."""
    stack = IsolatedStack(folder, env=env)
    stack.start(user=f"{user_prefix}-{secrets.token_hex(3)}@example.test")
    try:
        with report_tails(config, stack):
            yield stack
    finally:
        stack.stop()


def assert_survived(stack: IsolatedStack) -> None:
    """Put the stack back to one worker and one scheduler; fail if a process died without the test killing it."""
    if crashed := stack.restore():
        raise StackError(f"{', '.join(crashed)} stopped on its own during the test\n{stack.tails()}")


def isolated_stack_fixtures(env: dict[str, str], label: str) -> tuple[Any, Any]:
    """The fixtures of a test module on a stack of its own, bound by name in the module:

    `iso, _processes_survive_each_test = isolated_stack_fixtures(KNOBS, "chaos")`. `iso` is the module's running
    IsolatedStack; the second replaces conftest's check of the session stack (never started here) with one of
    `iso` around each test: it is put back to one worker and one scheduler after the test, so one failure does
    not cascade, and a process that died on its own (not killed by the test) fails the test.
    """

    @pytest.fixture(scope="module")
    def iso(tmp_path_factory: Any, pytestconfig: Any) -> Iterator[IsolatedStack]:
        with running_isolated_stack(tmp_path_factory.mktemp(f"herald-{label}"), pytestconfig, env, label) as stack:
            yield stack

    @pytest.fixture(autouse=True)
    def processes_survive_each_test(iso: IsolatedStack) -> Iterator[None]:
        iso.assert_running()
        yield
        assert_survived(iso)

    return iso, processes_survive_each_test


# --- peers that behave like real platforms ----------------------------------------------------------


@dataclass(frozen=True)
class Post:
    id: str
    url: str
    key: str
    created_at: float


class IdempotentReceiver(ServedInThread):
    """A webhook endpoint that honours Idempotency-Key like a real platform.

    The first request with a key creates one post (at arrival, before answering) and its reply;
    every later request with that key gets the same reply and creates nothing. Per hook, the
    first answer can be delayed (`first_delay`) or never sent (`hang_first`: the connection is
    held open until the receiver stops); later requests are answered at once.
    """

    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self.posts: dict[str, dict[str, Post]] = {}  # path -> key -> post
        self._behaviour: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def hook(self, first_delay: float = 0.0, hang_first: bool = False) -> str:
        host, port = self._server.server_address[:2]
        path = f"/idem/{secrets.token_hex(4)}"
        self._behaviour[path] = (first_delay, hang_first)
        self.posts[path] = {}
        return f"http://{host}:{port}{path}"

    def deliveries_to(self, url: str) -> list[Delivery]:
        path = urlsplit(url).path
        with self._lock:
            return [d for d in self.deliveries if d.path == path]

    def posts_at(self, url: str) -> list[Post]:
        with self._lock:
            return list(self.posts[urlsplit(url).path].values())

    def wait_for(self, url: str, count: int, timeout: float = 20.0) -> list[Delivery]:
        return wait_until(lambda: self.deliveries_to(url), count, timeout)

    def _before_stop(self) -> None:
        self._stopping.set()  # releases held connections

    def _receive(self, path: str, headers: Message, body: bytes) -> tuple[Post | None, bool]:
        """Record the request; return the key's post (None without a key) and whether this request created it."""
        key = headers.get("Idempotency-Key")
        with self._lock:
            self.deliveries.append(Delivery(path, headers, body, time.time()))
            posts = self.posts.setdefault(path, {})
            if key is None:
                return None, False
            if key in posts:
                return posts[key], False
            n = sum(len(p) for p in self.posts.values()) + 1
            posts[key] = Post(f"post-{n}", f"http://receiver.test/posts/{n}", key, time.time())
            return posts[key], True

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                post, created = receiver._receive(self.path, self.headers, body)
                if post is None:
                    return self._answer(400, {"error": "Idempotency-Key is required"})
                delay, hang = receiver._behaviour.get(self.path, (0.0, False))
                if created and hang:
                    receiver._stopping.wait()
                    return None
                if created and delay:
                    receiver._stopping.wait(delay)
                return self._answer(200, {"id": post.id, "url": post.url})

            def _answer(self, status: int, document: dict) -> None:
                with contextlib.suppress(OSError):  # the caller may have died while we waited
                    answer_json(self, status, document)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@dataclass(frozen=True)
class Forwarded:
    method: str
    path: str
    status: int
    forwarded_at: float  # when the upstream's answer was in (the platform has acted)


class SlowProxy(ServedInThread):
    """An HTTP proxy in front of one upstream that holds chosen responses back after forwarding.

    `slow(method, path)` says which requests are answered `delay` seconds after the upstream
    answered; `forwarded` lists what reached the upstream, so a test can act mid-call.
    """

    def __init__(self, upstream: str, delay: float, slow: Any) -> None:
        self.upstream, self.delay, self.slow = upstream.rstrip("/"), delay, slow
        self.forwarded: list[Forwarded] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def requests_matching(self, method: str, path_prefix: str) -> list[Forwarded]:
        with self._lock:
            return [f for f in self.forwarded if f.method == method and f.path.startswith(path_prefix)]

    def wait_for(self, method: str, path_prefix: str, count: int = 1, timeout: float = 20.0) -> list[Forwarded]:
        return wait_until(lambda: self.requests_matching(method, path_prefix), count, timeout)

    def _before_stop(self) -> None:
        self._stopping.set()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self
        hop_by_hop = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding"}

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in hop_by_hop | {"host"}}
                upstream = requests.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    data=body or None,
                    timeout=60,
                    allow_redirects=False,
                )
                with proxy._lock:
                    proxy.forwarded.append(Forwarded(self.command, self.path, upstream.status_code, time.time()))
                if proxy.slow(self.command, self.path):
                    proxy._stopping.wait(proxy.delay)
                with contextlib.suppress(OSError):  # the caller may have died while we waited
                    self.send_response(upstream.status_code)
                    for name, value in upstream.headers.items():
                        if name.lower() not in hop_by_hop:
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(upstream.content)))
                    self.end_headers()
                    self.wfile.write(upstream.content)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
