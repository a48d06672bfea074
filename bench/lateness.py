"""Benchmark: N publications due at the same instant, published by the Procfile's processes to a local receiver.

Prints p50, p99 and max lateness (due -> started) and the time until all N were published, then runs
the reference stack (shared/bench/reference_stack.py: bare rq + rq-scheduler, SimpleWorker burst of
the same size) in the same run and prints Herald's figures as ratios to it. Everything it starts
(redis-server, gunicorn, workers, scheduler, the reference) is stopped at the end, Ctrl-C included.

    python bench/lateness.py [--n 200] [--lead 25] [--database-url postgresql://...] [--no-reference]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from webapp.launcher import (
    ROOT,
    Child,
    free_port,
    parent_death_signal,
    procfile_argv,
    read_procfile,
    redis_answers,
    stop_children,
    with_bind,
)

# shared/ sits beside the clone (CI, developers); a clone elsewhere falls back to the workplace's copy.
REFERENCE_CANDIDATES = (ROOT.parent / "shared", Path("/work/shared"))
REFERENCE = next(
    (d / "bench" / "reference_stack.py" for d in REFERENCE_CANDIDATES if (d / "bench" / "reference_stack.py").exists()),
    REFERENCE_CANDIDATES[0] / "bench" / "reference_stack.py",
)
PASSWORD = "Bench-Password-42!"


class Receiver(BaseHTTPRequestHandler):
    """Stand-in publishing target: records each delivery and answers 200 {"id", "url"}."""

    # Nagle's algorithm meeting a delayed ACK stalls each keep-alive reply ~40 ms (FACTS.md).
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    lock = threading.Lock()
    deliveries: list[tuple[float, str]] = []

    def do_POST(self) -> None:
        received = time.time()
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        key = self.headers.get("Idempotency-Key", "")
        if body.get("event") == "publication":
            with self.lock:
                self.deliveries.append((received, key))
                number = len(self.deliveries)
        else:
            number = 0
        reply = json.dumps({"id": f"bench-{number}", "url": f"http://receiver.test/{number}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        pass


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


def pct(values: list[float], q: float) -> float:
    """Return the q-quantile by the nearest-rank method (the reference script's convention)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def parse_utc(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class Bench:
    """Owns the temp folder and every process of one run."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="herald-bench-"))
        self.children: list[Child] = []
        self.redis: Child | None = None
        self.server: ThreadingHTTPServer | None = None
        self.env: dict[str, str] = {}

    # -- processes --------------------------------------------------------------------------
    def spawn(self, name: str, argv: list[str]) -> Child:
        """Start a process in its own session, output to <tmp>/<name>.log, dying with this one."""
        with open(self.tmp / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=parent_death_signal(),
            )
        return Child(name, process)

    def run(self, name: str, argv: list[str]) -> str:
        """Run a command to completion and return its stdout, failing loudly with its output."""
        done = subprocess.run(argv, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{name} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def log_tail(self, name: str, lines: int = 25) -> str:
        """Return the end of a child's log (the temp folder is gone after the run)."""
        path = self.tmp / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def start_redis(self) -> str:
        port = free_port()
        argv = [self.args.redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.redis = self.spawn("redis", [*argv, "--dir", str(self.tmp)])
        url = f"redis://127.0.0.1:{port}/0"
        for _ in range(100):
            if redis_answers(url, timeout=0.2):
                return url
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer at {url}")

    def start_receiver(self) -> int:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="receiver", daemon=True).start()
        return self.server.server_address[1]

    def wait_healthy(self, base: str, workers: int) -> None:
        deadline = time.monotonic() + 90
        last = ""
        while time.monotonic() < deadline:
            for child in self.children:
                if child.process.poll() is not None:
                    raise RuntimeError(f"{child.name} exited early:\n{self.log_tail(child.name)}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    body = json.loads(response.read())
                    if body["checks"]["workers"]["alive"] >= workers:
                        return
                    last = str(body)
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.3)
        raise RuntimeError(f"Herald not healthy after 90 s: {last}")

    # -- the measurement ---------------------------------------------------------------------
    def herald(self) -> dict:
        """Run the Herald scenario and return its figures."""
        a = self.args
        redis_url = self.start_redis()
        receiver_port = self.start_receiver()
        port = free_port()
        self.env = {
            **os.environ,
            "HERALD_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(32),
            "HERALD_INSTANCE_PATH": str(self.tmp / "instance"),
            "DATABASE_URL": a.database_url or f"sqlite:///{self.tmp / 'herald.db'}",
            "REDIS_URL": redis_url,
            "REDIS_KEY_PREFIX": "herald-bench",
            "PORT": str(port),
            "PYTHONUNBUFFERED": "1",
        }
        procfile = read_procfile()
        self.run("release", procfile_argv(procfile["release"], self.env))
        email = f"bench-{secrets.token_hex(4)}@example.test"
        flask = [sys.executable, "-m", "flask", "--app", "webapp"]
        self.run("users create", [*flask, "users", "create", email, "--password", PASSWORD])
        key = self.run("api-keys create", [*flask, "api-keys", "create", email]).strip().splitlines()[-1]

        web = with_bind(procfile_argv(procfile["web"], self.env), f"127.0.0.1:{port}")
        self.children.append(self.spawn("web", web))
        for i in range(a.workers):
            self.children.append(self.spawn(f"worker{i + 1}", procfile_argv(procfile["worker"], self.env)))
        self.children.append(self.spawn("scheduler", procfile_argv(procfile["scheduler"], self.env)))
        base = f"http://127.0.0.1:{port}"
        self.wait_healthy(base, a.workers)
        print(f"# Herald up: web :{port}, {a.workers} workers, scheduler, redis {redis_url}, logs in {self.tmp}")

        api = Api(base, key)
        channel = api.call(
            "POST",
            "/channels",
            {
                "name": "bench receiver",
                "platform": "webhook",
                "settings": {"url": f"http://127.0.0.1:{receiver_port}/hook"},
                "credentials": {"secret": "bench-secret"},
            },
        )
        content = api.call("POST", "/contents", {"title": "Bench", "body": "x" * 900, "status": "approved"})
        # One whole-second due instant far enough ahead for every schedule to exist before it.
        due = math.ceil(time.time() + a.lead)
        run_at = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {"content_id": content["id"], "channel_ids": [channel["id"]], "run_at": run_at, "allow_conflicts": True}
        started = time.time()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda _: api.call("POST", "/schedules", body), range(a.n)))
        created_s = time.time() - started
        print(f"# created {a.n} schedules through the API in {created_s:.1f}s; due at {run_at}")
        if time.time() > due - 1:
            raise RuntimeError(f"creating schedules overran the due instant; raise --lead above {a.lead}s")

        deadline = due + a.timeout
        while len(Receiver.deliveries) < a.n and time.time() < deadline:
            time.sleep(0.1)
        items = self.published(api, deadline)
        deliveries = list(Receiver.deliveries)
        lateness = [item["lateness_ms"] / 1000 for item in items if item["lateness_ms"] is not None]
        finished = [parse_utc(item["finished_at"]) for item in items if item["finished_at"]]
        keys = Counter(key for _, key in deliveries)
        return {
            "n": a.n,
            "published": sum(1 for item in items if item["status"] == "published"),
            "statuses": dict(Counter(item["status"] for item in items)),
            "late_p50": pct(lateness, 0.5) if lateness else None,
            "late_p99": pct(lateness, 0.99) if lateness else None,
            "late_max": max(lateness) if lateness else None,
            "early": sum(1 for x in lateness if x < 0),
            "all_delivered_s": max(t for t, _ in deliveries) - due if deliveries else None,
            "all_finished_api_s": max(finished) - due if finished else None,
            "received": len(deliveries),
            "duplicates": {k: c for k, c in keys.items() if c > 1},
        }

    def published(self, api: Api, deadline: float) -> list[dict]:
        """Return all publications once none is still on its way (or at the deadline)."""
        while True:
            items: list[dict] = []
            for page in range(1, 1000):  # bounded: n / 200 pages
                reply = api.call("GET", f"/publications?per_page=200&page={page}")
                items += reply["items"]
                if len(items) >= reply["total"] or not reply["items"]:
                    break
            pending = [i for i in items if i["status"] in ("scheduled", "queued", "publishing", "retrying")]
            if not pending or time.time() > deadline:
                return items
            time.sleep(0.5)

    def reference(self) -> dict | None:
        """Run the reference stack's SimpleWorker burst of the same size and return its figures."""
        a = self.args
        if a.no_reference:
            return None
        if not a.reference.exists():
            print(f"# reference skipped: {a.reference} not found")
            return None
        argv = [sys.executable, str(a.reference), "--worker-class", "simple", "--scenarios", "burst"]
        argv += ["--n", str(a.n), "--workers", str(a.workers), "--json", "--redis-server", a.redis_server]
        print(f"# reference: {' '.join(argv[1:])}")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
            preexec_fn=parent_death_signal(),
        )
        self.children.append(Child("reference", process))
        result = None
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("RESULTS_JSON "):
                result = json.loads(line[len("RESULTS_JSON ") :])["live"][0]
            else:
                print("  ref | " + line.rstrip())
        process.wait()
        return result

    def close(self) -> None:
        stop_children(self.children, timeout=15)
        if self.redis is not None:
            stop_children([self.redis], timeout=5)
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.args.keep_tmp:
            print(f"# kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def report(herald: dict, ref: dict | None) -> None:
    def s(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}s"

    print()
    print(f"== {herald['n']} publications due at one instant (lateness = started_at - due_at)")
    print(f"{'':10} {'p50':>8} {'p99':>8} {'max':>8} {'all done':>9}")
    print(
        f"{'herald':10} {s(herald['late_p50']):>8} {s(herald['late_p99']):>8} {s(herald['late_max']):>8}"
        f" {s(herald['all_delivered_s']):>9}"
    )
    if ref:
        print(
            f"{'reference':10} {s(ref['late_p50']):>8} {s(ref['late_p99']):>8} {s(ref['late_max']):>8}"
            f" {s(ref.get('all_done_s')):>9}"
        )
        ratios = []
        for name, ours, theirs in (
            ("p50", herald["late_p50"], ref["late_p50"]),
            ("p99", herald["late_p99"], ref["late_p99"]),
            ("max", herald["late_max"], ref["late_max"]),
            ("all done", herald["all_delivered_s"], ref.get("all_done_s")),
        ):
            ratios.append(f"{name} x{ours / theirs:.2f}" if ours and theirs else f"{name} -")
        print(f"{'ratio':10} herald / reference: {', '.join(ratios)}")
    print(
        f"published {herald['published']}/{herald['n']} {herald['statuses']}; receiver got {herald['received']}"
        f" ({len(herald['duplicates'])} duplicated keys); early starts {herald['early']};"
        f" all done = last delivery at the receiver (API finished_at, whole seconds: {s(herald['all_finished_api_s'])})"
    )
    if herald["duplicates"]:
        print(f"DUPLICATES: {herald['duplicates']}")
    ok = herald["published"] == herald["n"] == herald["received"] and not herald["duplicates"] and not herald["early"]
    print(
        f"SUMMARY herald n={herald['n']} p50={s(herald['late_p50'])} p99={s(herald['late_p99'])}"
        f" max={s(herald['late_max'])} all={s(herald['all_delivered_s'])} | "
        + (f"reference p50={s(ref['late_p50'])} all={s(ref.get('all_done_s'))} | " if ref else "")
        + ("ok" if ok else "PROBLEMS")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="publications due at the same instant (default 200)")
    parser.add_argument("--lead", type=float, default=25.0, help="seconds from setup to the due instant (default 25)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--database-url", default="", help="a PostgreSQL URL (default: a temp SQLite file)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds after due to wait for all (default 120)")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="path of reference_stack.py")
    parser.add_argument("--no-reference", action="store_true", help="skip the reference stack run")
    parser.add_argument("--redis-server", default=shutil.which("redis-server") or "redis-server")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs, database)")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 5000 or not 1 <= args.workers <= 16:
        parser.error("--n must be 1..5000 and --workers 1..16")

    # SIGTERM takes the same way out as Ctrl-C, so `finally` stops everything; SIGINT is set too
    # because a shell starts background jobs with it ignored.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    bench = Bench(args)
    try:
        herald = bench.herald()
        stop_children(bench.children, timeout=15)
        bench.children.clear()
        ref = bench.reference()
        report(herald, ref)
        return 0 if herald["published"] == args.n == herald["received"] and not herald["duplicates"] else 1
    except KeyboardInterrupt:
        print("# interrupted; stopping everything")
        return 130
    except RuntimeError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
