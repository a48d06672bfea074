"""Shared machinery of Herald's benchmarks: processes, a private Redis, a receiver, the Herald stack, the reference.

Every bench script starts what it measures itself, on 127.0.0.1 only, and stops it all at the end (Ctrl-C and
SIGTERM included): each child runs in its own session, is stopped by PID with SIGTERM, then its process group is
killed if it lingers, and the kernel sends it SIGTERM should the bench itself die (Linux parent-death signal).

    procs = Processes(tmp)                      # children, their logs in tmp/<name>.log
    stack = HeraldStack(procs, tmp, receiver, redis_server=..., database_url=..., workers=2)
    stack.start()                               # redis, release, user + API key, web, workers, scheduler
    with stack.app_context(): ...               # the app in this process, same environment as the processes
    reference = run_reference(procs, [...])     # shared/bench/reference_stack.py --json, echoed, parsed
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

try:
    from webapp.processes.procfile import procfile_argv, read_procfile, with_bind
except ImportError:  # a tree from before the launcher's Procfile helpers moved into webapp/processes/procfile.py
    from webapp.processes.launcher import procfile_argv, read_procfile, with_bind

ROOT = Path(__file__).resolve().parent.parent
# shared/ sits beside the clone (CI, developers); a clone elsewhere falls back to the workplace's copy.
REFERENCE_CANDIDATES = (ROOT.parent / "shared", Path("/work/shared"))
REFERENCE = next(
    (d / "bench" / "reference_stack.py" for d in REFERENCE_CANDIDATES if (d / "bench" / "reference_stack.py").exists()),
    REFERENCE_CANDIDATES[0] / "bench" / "reference_stack.py",
)
REDIS_SERVER = shutil.which("redis-server") or "redis-server"
PASSWORD = "Bench-Password-42!"
# The environment as the bench found it: children get this plus their own settings, never the app settings
# that app_context() puts in place for a moment.
BASE_ENV = dict(os.environ)
_CLK = os.sysconf("SC_CLK_TCK")


# -- small helpers ---------------------------------------------------------------------------------------------
def install_signal_handlers() -> None:
    """Make SIGTERM take Ctrl-C's way out, so `finally` blocks stop everything.

    SIGINT is set too, because a shell starts background jobs with it ignored.
    """
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def pct(values: Sequence[float], q: float) -> float | None:
    """Return the q-quantile by the nearest-rank method (the reference script's convention), None if empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def parse_utc(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def fmt_s(x: float | None, digits: int = 3) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}s"


def fmt_ms(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x * 1000:.1f}"


def ratio(ours: float | None, theirs: float | None) -> str:
    """Herald / reference as 'x1.23', or '-' when either side is missing or zero."""
    if ours is None or theirs is None or theirs == 0 or math.isnan(ours) or math.isnan(theirs):
        return "-"
    return f"x{ours / theirs:.2f}"


def parent_death_signal() -> Callable[[], None] | None:
    """Return a preexec_fn that makes the kernel SIGTERM the child when the bench dies (Linux only)."""
    if sys.platform != "linux":
        return None
    import ctypes

    # Resolved here, in the parent: the forked child should do nothing but make the one call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def preexec() -> None:  # pragma: no cover - runs in the forked child
        prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return preexec


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU seconds (user + system, reaped children included) of the processes and all their descendants."""
    table: dict[int, tuple[int, float]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            data = Path(f"/proc/{name}/stat").read_text()
        except OSError:
            continue
        rest = data[data.rfind(")") + 2 :].split()
        with contextlib.suppress(IndexError, ValueError):
            table[int(name)] = (int(rest[1]), sum(int(rest[i]) for i in (11, 12, 13, 14)) / _CLK)
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack, seen = 0.0, list(pids), set()
    while stack and len(seen) < 100_000:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += table.get(pid, (0, 0.0))[1]
        stack.extend(children.get(pid, ()))
    return total


# -- processes ---------------------------------------------------------------------------------------------------
@dataclass
class Proc:
    name: str
    process: subprocess.Popen


class Processes:
    """The children of one bench run, each with its log in <tmp>/<name>.log."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.items: list[Proc] = []

    def spawn(self, name: str, argv: Sequence[str], env: Mapping[str, str], *, stdout_pipe: bool = False) -> Proc:
        """Start argv in its own session, dying with this process; output to its log, or a pipe if asked."""
        with open(self.tmp / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                list(argv),
                cwd=ROOT,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if stdout_pipe else log,
                stderr=log if stdout_pipe else subprocess.STDOUT,
                text=stdout_pipe,
                start_new_session=True,
                preexec_fn=parent_death_signal(),
            )
        proc = Proc(name, process)
        self.items.append(proc)
        return proc

    def run(self, name: str, argv: Sequence[str], env: Mapping[str, str], timeout: float = 120) -> str:
        """Run a command to completion and return its stdout, failing loudly with its output."""
        done = subprocess.run(list(argv), cwd=ROOT, env=dict(env), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def log_tail(self, name: str, lines: int = 25) -> str:
        path = self.tmp / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def stop(self, procs: Sequence[Proc], timeout: float = 15.0) -> None:
        """SIGTERM each, wait up to timeout in all, then SIGKILL the process group of any still running."""
        for proc in procs:
            if proc.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.process.terminate()
        deadline = time.monotonic() + timeout
        for proc in procs:
            try:
                proc.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"# {proc.name} did not stop within {timeout:.0f}s; killing its process group")
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.process.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.process.wait(5)
            # Leftovers in its own group (gunicorn's workers if the master died first).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.process.pid, signal.SIGKILL)
            if proc.process.stdout is not None:
                proc.process.stdout.close()
        self.items = [p for p in self.items if p not in procs]

    def stop_all(self) -> None:
        self.stop(list(reversed(self.items)), timeout=15)


def start_redis(procs: Processes, name: str = "redis", redis_server: str = REDIS_SERVER) -> tuple[Proc, str]:
    """Start a private, non-persistent redis-server on a free loopback port and return it and its URL."""
    from redis import Redis
    from redis.exceptions import RedisError

    port = free_port()
    argv = [redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    proc = procs.spawn(name, [*argv, "--dir", str(procs.tmp)], BASE_ENV)
    url = f"redis://127.0.0.1:{port}/0"
    client = Redis.from_url(url, socket_connect_timeout=0.2, socket_timeout=0.2)
    try:
        for _ in range(100):
            with contextlib.suppress(RedisError, OSError):
                if client.ping():
                    return proc, url
            if proc.process.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        client.close()
    raise RuntimeError(f"redis-server did not answer at {url}:\n{procs.log_tail(name)}")


# -- receiver and API client -------------------------------------------------------------------------------------
class Receiver:
    """Stand-in publishing target on 127.0.0.1: records each delivery and answers 200 {"id", "url"}.

    It answers at once, or after `latency_s` (a platform's own time), or after `slow[path]` for that path (a
    stalled platform). `in_flight_max[path]` is the most requests to a path it held at one time.
    """

    def __init__(self, latency_s: float = 0.0, slow: dict[str, float] | None = None) -> None:
        self.lock = threading.Lock()
        self.deliveries: list[tuple[float, str]] = []  # (time received, Idempotency-Key)
        self.paths: list[tuple[float, str, float]] = []  # (time received, path, time answered)
        self.in_flight: Counter[str] = Counter()
        self.in_flight_max: Counter[str] = Counter()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # Nagle's algorithm meeting a delayed ACK stalls each keep-alive reply ~40 ms (FACTS.md).
            disable_nagle_algorithm = True
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                received = time.time()
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                number = 0
                if body.get("event") == "publication":
                    with receiver.lock:
                        receiver.deliveries.append((received, self.headers.get("Idempotency-Key", "")))
                        number = len(receiver.deliveries)
                        receiver.in_flight[self.path] += 1
                        receiver.in_flight_max[self.path] = max(
                            receiver.in_flight_max[self.path], receiver.in_flight[self.path]
                        )
                    wait = (slow or {}).get(self.path, latency_s)
                    if wait:
                        time.sleep(wait)  # this connection's thread only: other requests go on meanwhile
                    with receiver.lock:
                        receiver.in_flight[self.path] -= 1
                        receiver.paths.append((received, self.path, time.time()))
                reply = json.dumps({"id": f"bench-{number}", "url": f"http://receiver.test/{number}"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="receiver", daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def count(self) -> int:
        with self.lock:
            return len(self.deliveries)

    def snapshot(self) -> list[tuple[float, str]]:
        with self.lock:
            return list(self.deliveries)

    def wait_for(self, n: int, deadline: float) -> None:
        while self.count() < n and time.time() < deadline:
            time.sleep(0.05)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Api:
    """Minimal JSON client for Herald's /api/v1 with a bearer key."""

    def __init__(self, base: str, key: str):
        self.base, self.key = base, key

    def call(self, method: str, path: str, body: dict | None = None) -> dict:
        """Send one request and return the decoded JSON reply, raising on a non-2xx status."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/api/v1" + path, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                raise RuntimeError(f"{method} {path} -> {exc.code}: {exc.read()[:500]!r}") from None


# -- the Herald stack -----------------------------------------------------------------------------------------------
class HeraldStack:
    """Herald as the Procfile runs it (web, N workers, scheduler) on a private Redis and a temp or given database."""

    def __init__(
        self,
        procs: Processes,
        tmp: Path,
        receiver: Receiver,
        *,
        database_url: str = "",
        workers: int = 2,
        redis_server: str = REDIS_SERVER,
        tag: str = "",
        worker_profile_dir: Path | None = None,
    ):
        self.procs, self.tmp, self.receiver = procs, tmp, receiver
        # Set: each worker runs the Procfile's command under `python -m cProfile -o <dir>/workerN.prof`.
        self.worker_profile_dir = worker_profile_dir
        self.database_url = database_url or f"sqlite:///{tmp / f'herald{tag}.db'}"
        self.workers, self.redis_server, self.tag = workers, redis_server, tag
        self.env: dict[str, str] = {}
        self.children: list[Proc] = []
        self.redis: Proc | None = None
        self.redis_url = ""
        self.api: Api | None = None
        self.email = ""
        self.workspace_id = 0
        self.channel_id = 0
        self.content_id = 0
        self._app = None

    def _name(self, base: str) -> str:
        return f"{base}{self.tag}"

    def start(self) -> None:
        """Start Redis, migrate, create a user and key, start web/workers/scheduler, add a channel and content."""
        self.redis, self.redis_url = start_redis(self.procs, self._name("redis"), self.redis_server)
        port = free_port()
        self.env = {
            **BASE_ENV,
            "HERALD_ENV": "production",
            "OUTBOUND_ALLOW_PRIVATE": "127.0.0.0/8",  # the bench receivers listen on loopback
            "SECRET_KEY": secrets.token_urlsafe(32),
            "HERALD_INSTANCE_PATH": str(self.tmp / f"instance{self.tag}"),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "REDIS_KEY_PREFIX": "herald-bench",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
        procfile = read_procfile()
        self.procs.run("release", procfile_argv(procfile["release"], self.env), self.env)
        self.email = f"bench-{secrets.token_hex(4)}@example.test"
        flask = [sys.executable, "-m", "flask", "--app", "webapp"]
        self.procs.run("users create", [*flask, "users", "create", self.email, "--password", PASSWORD], self.env)
        out = self.procs.run("api-keys create", [*flask, "api-keys", "create", self.email], self.env)
        key = out.strip().splitlines()[-1]
        found = re.search(r"workspace #(\d+)", out)
        if not found:
            raise RuntimeError(f"could not read the workspace id from: {out!r}")
        self.workspace_id = int(found.group(1))

        web = with_bind(procfile_argv(procfile["web"], self.env), f"127.0.0.1:{port}")
        self.children.append(self.procs.spawn(self._name("web"), web, self.env))
        for i in range(self.workers):
            argv = procfile_argv(procfile["worker"], self.env)
            if self.worker_profile_dir is not None:
                argv = [
                    argv[0],
                    "-m",
                    "cProfile",
                    "-o",
                    str(self.worker_profile_dir / f"worker{i + 1}.prof"),
                    *argv[1:],
                ]
            self.children.append(self.procs.spawn(self._name(f"worker{i + 1}"), argv, self.env))
        argv = procfile_argv(procfile["scheduler"], self.env)
        self.children.append(self.procs.spawn(self._name("scheduler"), argv, self.env))
        base = f"http://127.0.0.1:{port}"
        self._wait_healthy(base)
        self.api = Api(base, key)
        channel = self.add_channel("bench receiver", "/hook")
        content = self.api.call("POST", "/contents", {"title": "Bench", "body": "x" * 900, "status": "approved"})
        self.channel_id, self.content_id = channel["id"], content["id"]
        print(
            f"# Herald up: web :{port}, {self.workers} workers, scheduler, redis {self.redis_url},"
            f" db {self.database_url.split('@')[-1]}, logs in {self.tmp}"
        )

    def add_channel(self, name: str, path: str) -> dict:
        """Add a webhook channel posting to `path` on the bench receiver; return it."""
        assert self.api is not None
        body = {
            "name": name,
            "platform": "webhook",
            "settings": {"url": f"http://127.0.0.1:{self.receiver.port}{path}"},
            "credentials": {"secret": "bench-secret"},
        }
        return self.api.call("POST", "/channels", body)

    def _wait_healthy(self, base: str) -> None:
        deadline = time.monotonic() + 90
        last = ""
        while time.monotonic() < deadline:
            for child in self.children:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited early:\n{self.procs.log_tail(child.name)}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    body = json.loads(response.read())
                    if body["checks"]["workers"]["alive"] >= self.workers:
                        return
                    last = str(body)
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.3)
        raise RuntimeError(f"Herald not healthy after 90 s: {last}")

    @contextlib.contextmanager
    def app_context(self) -> Iterator[object]:
        """Enter Herald's app in this process, built from the same environment as the processes."""
        if self._app is None:
            self._app = build_app(self.env)
        with self._app.app_context():
            try:
                yield self._app
            finally:
                from webapp.extensions import db

                db.session.remove()

    def rss_mb(self) -> float:
        """Resident memory of every process the stack runs (web, workers, scheduler, Redis), summed, in MB."""
        total = 0
        for pid in (pid for group in self.pids().values() for pid in group):
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024

    def pids(self) -> dict[str, list[int]]:
        """Process ids by role, for CPU accounting (gunicorn's workers are found as the master's descendants)."""
        groups: dict[str, list[int]] = {"web": [], "workers": [], "scheduler": [], "redis": []}
        for child in self.children:
            role = "workers" if child.name.startswith("worker") else child.name.removesuffix(self.tag)
            groups.setdefault(role, []).append(child.process.pid)
        if self.redis is not None:
            groups["redis"].append(self.redis.process.pid)
        return groups

    def cpu(self) -> dict[str, float]:
        snap = {role: cpu_seconds(pids) for role, pids in self.pids().items()}
        times = os.times()
        snap["bench"] = times.user + times.system
        return snap

    def stop(self) -> None:
        """Stop web, workers and scheduler (the workers finish their current job), then Redis."""
        self.procs.stop(self.children, timeout=20)
        self.children = []
        if self._app is not None:
            with contextlib.suppress(Exception):
                from webapp.extensions import db

                with self._app.app_context():
                    db.engine.dispose()
            self._app = None
        if self.redis is not None:
            self.procs.stop([self.redis], timeout=5)
            self.redis = None


# -- one run -----------------------------------------------------------------------------------------------------
class BenchRun:
    """Owns the temp folder and every process of one run (a stack and a receiver, when it starts them)."""

    def __init__(self, args, prefix: str):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix=prefix))
        self.procs = Processes(self.tmp)
        self.stack: HeraldStack | None = None
        self.receiver: Receiver | None = None

    def close(self) -> None:
        """Stop the stack, then any other child, then the receiver; remove the temp folder unless --keep-tmp."""
        if self.stack is not None:
            self.stack.stop()
        self.procs.stop_all()
        if self.receiver is not None:
            self.receiver.close()
        if self.args.keep_tmp:
            print(f"# kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


@contextlib.contextmanager
def exit_status(failures: tuple[type[Exception], ...] = (RuntimeError,)) -> Iterator[None]:
    """Turn Ctrl-C (or SIGTERM) into exit status 130 and a failure into 1, each said on the terminal.

    Wrap a bench's main body in it, inside the try whose `finally` stops everything: the message comes
    first, then the cleanup, then the exit.
    """
    try:
        yield
    except KeyboardInterrupt:
        print("# interrupted; stopping everything")
        raise SystemExit(130) from None
    except failures as exc:
        detail = getattr(exc, "stderr", "") or ""  # a failed command's own words
        print(f"bench failed: {exc}" + (f" {detail}" if detail else ""), file=sys.stderr)
        raise SystemExit(1) from None


def command_counts(redis) -> dict[str, int]:
    """Redis's per-command call counters (INFO commandstats), e.g. {"hset": 1234}."""
    return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in redis.info("commandstats").items()}


def build_app(env: Mapping[str, str]):
    """create_app() under the given environment; the config is read once, at creation, so it is put back after."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        from webapp import create_app

        return create_app()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- the reference stack -------------------------------------------------------------------------------------------
def run_reference(
    procs: Processes, options: Sequence[str], *, reference: Path = REFERENCE, max_total: float = 400
) -> dict | None:
    """Run reference_stack.py with --json, echo its output under 'ref |', and return its RESULTS_JSON (or None)."""
    if not reference.exists():
        print(f"# reference skipped: {reference} not found")
        return None
    argv = [sys.executable, str(reference), *options, "--json", "--max-total", str(int(max_total))]
    print(f"# reference: {' '.join(argv[1:])}", flush=True)
    proc = procs.spawn("reference", argv, {**BASE_ENV, "PYTHONUNBUFFERED": "1"}, stdout_pipe=True)
    result = None
    assert proc.process.stdout is not None
    for line in proc.process.stdout:
        if line.startswith("RESULTS_JSON "):
            result = json.loads(line[len("RESULTS_JSON ") :])
        else:
            print("  ref | " + line.rstrip(), flush=True)
    proc.process.wait()
    procs.stop([proc])
    if proc.process.returncode != 0:
        print(f"# reference exited with {proc.process.returncode}:\n{procs.log_tail('reference')}")
    return result
