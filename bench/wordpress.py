"""Benchmark: throughput against a real WordPress: N posts through the worker pool, and WordPress's share of the time.

A fresh Herald (harness.HeraldStack: private redis-server, temp SQLite, the Procfile's web, workers, scheduler) gets a
WordPress channel on the peers' loopback site and N one-time publications of one post (title, Markdown, a tag unique
to the run) due at one instant. Herald reaches WordPress through a timing proxy in this process, which times each
upstream request (connect to last byte), so WordPress's time is measured apart from Herald's. The posts and the tag
the run created are deleted afterwards (force, no trash).

    eval "$(bash /work/shared/peers/wordpress.sh start)"   # else the bench runs it (WP_URL, WP_USER, WP_APP_PASSWORD)
    python bench/wordpress.py [--n 200] [--workers 2] [--timeout 300] [--rate-per-minute 0] [--keep-tmp]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import math
import os
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from harness import (
    REFERENCE_CANDIDATES,
    HeraldStack,
    Receiver,
    exit_status,
    fmt_ms,
    fmt_s,
    install_signal_handlers,
    pct,
)
from load import Load

PEER = next((p for d in REFERENCE_CANDIDATES if (p := d / "peers" / "wordpress.sh").exists()), None)
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "date", "server"}
BODY = "\n\n".join(f"Paragraph {i}: some **bold** words and a [link](https://example.test/{i})." * 3 for i in range(4))


def wordpress_env() -> dict[str, str]:
    """WP_URL, WP_USER, WP_APP_PASSWORD from the environment, else from `wordpress.sh start` (reuses a running site)."""
    names = ("WP_URL", "WP_USER", "WP_APP_PASSWORD")
    if all(os.environ.get(k) for k in names):
        return {k: os.environ[k] for k in names}
    if PEER is None:
        raise RuntimeError("set WP_URL, WP_USER and WP_APP_PASSWORD (peers/wordpress.sh not found)")
    out = subprocess.run(["bash", str(PEER), "start"], capture_output=True, text=True, timeout=900, check=True).stdout
    return dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines() if line.startswith("export "))


class TimingProxy:
    """Proxy on 127.0.0.1 to the site; records (client port, start, upstream s, handler s, method, path) per call."""

    def __init__(self, upstream: str):
        site, proxy = urlsplit(upstream), self
        self.lock, self.calls, self.created = threading.Lock(), [], {"posts": set(), "tags": set()}

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # Nagle + delayed ACK would stall each keep-alive reply ~40 ms
            protocol_version = "HTTP/1.1"

            def relay(self) -> None:
                began = time.perf_counter()
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))) or None
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP} | {"Host": site.netloc}
                started = time.perf_counter()
                upstream = http.client.HTTPConnection(site.hostname, site.port or 80, timeout=120)
                try:
                    upstream.request(self.command, self.path, body, headers)
                    reply = upstream.getresponse()
                    data = reply.read()
                finally:
                    upstream.close()
                took = time.perf_counter() - started
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                kind = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                with proxy.lock:
                    call = (self.client_address[1], started, took, time.perf_counter() - began, self.command, self.path)
                    proxy.calls.append(call)
                    if self.command == "POST" and reply.status == 201 and kind in proxy.created:
                        proxy.created[kind].add(int(json.loads(data)["id"]))

            do_GET = do_POST = do_PUT = do_DELETE = relay

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, name="proxy", daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{site.path.rstrip('/')}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def cleanup(wp: dict[str, str], created: dict[str, set[int]]) -> str:
    """Delete (force, no trash) the posts and tags the run created; return what was done."""
    auth = "Basic " + base64.b64encode(f"{wp['WP_USER']}:{wp['WP_APP_PASSWORD']}".encode()).decode()

    def delete(item: tuple[str, int]) -> bool:
        url = f"{wp['WP_URL'].rstrip('/')}/wp-json/wp/v2/{item[0]}/{item[1]}?force=true"
        request = urllib.request.Request(url, method="DELETE", headers={"Authorization": auth})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status == 200
        except OSError:
            return False

    items = [(kind, i) for kind in ("posts", "tags") for i in sorted(created[kind])]
    with ThreadPoolExecutor(max_workers=4) as pool:
        done = list(pool.map(delete, items))
    counts = Counter(kind for (kind, _), ok in zip(items, done, strict=True) if ok)
    return f"deleted {counts['posts']}/{len(created['posts'])} posts, {counts['tags']}/{len(created['tags'])} tags"


def report(a: argparse.Namespace, wp_url: str, due: float, rows: list[dict], calls: list[tuple]) -> bool:
    """Print the figures; True when every publication was published once."""
    statuses = Counter(r["status"] for r in rows)
    ends = [r["rq_ended"] or r["finished_at"] for r in rows if r["rq_ended"] or r["finished_at"]]
    starts = [r["rq_started"] or r["started_at"] for r in rows if r["rq_started"] or r["started_at"]]
    done_s, span = (max(ends) - due, max(ends) - min(starts)) if ends else (math.nan, math.nan)
    wp_s = sum(c[2] for c in calls)
    job_s = sum(r["rq_ended"] - r["rq_started"] for r in rows if r["rq_ended"] and r["rq_started"])
    per_post: list[float] = []  # per worker connection, a post's calls start with its marker lookup (GET posts?search=)
    for conn in sorted({c[0] for c in calls}):
        for i, c in enumerate(sorted((c for c in calls if c[0] == conn), key=lambda c: c[1])):
            if i == 0 or (c[4] == "GET" and "search=" in c[5]):
                per_post.append(0.0)
            per_post[-1] += c[2]
    kinds, kind_s = Counter(), Counter()
    for c in calls:
        kinds[f"{c[4]} {c[5].split('?')[0]}"] += 1
        kind_s[f"{c[4]} {c[5].split('?')[0]}"] += c[2]
    print(f"\n== wordpress: {a.n} posts due at one instant, {a.workers} workers, WordPress at {wp_url}")
    print(
        f"   published {statuses['published']}/{a.n} {dict(statuses)}; retried {sum(r['attempts'] > 1 for r in rows)}"
    )
    rate = statuses["published"] / done_s
    print(f"   all done (last job end - due)  {fmt_s(done_s)}   posts/s {rate:.1f}")
    print(f"   drain (last end - first start) {fmt_s(span)}   posts/s {a.n / span:.1f}")
    share, job_share = wp_s / (a.workers * span), wp_s / job_s if job_s else math.nan
    print(
        f"   share of worker time in WordPress {share:.0%} (WordPress {wp_s:.2f}s / {a.workers} workers x {span:.2f}s);"
        f" of the jobs' own time {job_share:.0%} (jobs {job_s:.2f}s)"
    )
    print(
        f"   WordPress time per post p50 {fmt_ms(pct(per_post, 0.5))} ms, p99 {fmt_ms(pct(per_post, 0.99))} ms"
        f" ({len(per_post)} lookup-to-create sequences); proxy overhead per call p50"
        f" {fmt_ms(pct([c[3] - c[2] for c in calls], 0.5))} ms (counted as Herald's)"
    )
    print("   WordPress calls: " + ", ".join(f"{k} x{v} ({fmt_ms(kind_s[k] / v)} ms)" for k, v in kinds.most_common()))
    print(
        f"SUMMARY herald wordpress n={a.n} workers={a.workers} | all={fmt_s(done_s)} {rate:.1f} posts/s"
        f" | WordPress share {share:.0%} | per post p50={fmt_ms(pct(per_post, 0.5))}ms"
        f" p99={fmt_ms(pct(per_post, 0.99))}ms"
    )
    return statuses["published"] == a.n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="posts (default 200)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds after due to wait (default 300)")
    parser.add_argument(
        "--rate-per-minute", type=int, default=0, help="the channel's rate rule (default 0: none; Herald's is 30/min)"
    )
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs, database)")
    a = parser.parse_args(argv)
    a.create, a.api_threads = "inprocess", 8  # what Load.create() reads
    install_signal_handlers()
    wp = wordpress_env()
    load, proxy = Load(a), TimingProxy(wp["WP_URL"])
    try:
        with exit_status():
            load.receiver = Receiver()  # HeraldStack's own webhook channel: unused here
            load.stack = stack = HeraldStack(load.procs, load.tmp, load.receiver, workers=a.workers, tag="-wp")
            stack.start()
            assert stack.api is not None
            credentials = {"username": wp["WP_USER"], "app_password": wp["WP_APP_PASSWORD"]}
            body = {"name": "bench wordpress", "platform": "wordpress", "settings": {"url": proxy.url}}
            body |= {"credentials": credentials, "rules": {"rate_per_minute": a.rate_per_minute}}
            stack.channel_id = stack.api.call("POST", "/channels", body)["id"]
            tags = [f"herald-bench-{secrets.token_hex(4)}"]
            content = {"title": "Herald bench post", "body": BODY, "tags": tags, "status": "approved"}
            stack.content_id = stack.api.call("POST", "/contents", content)["id"]
            due = float(math.ceil(time.time() + 5 + a.n * 0.025))
            load.create(stack, [due] * a.n)
            load.check_created(stack, a.n)
            if due - time.time() < 0.2:
                raise RuntimeError("creating the schedules overran the due instant")
            with proxy.lock:
                proxy.calls.clear()
            load.wait_settled(stack, deadline=due + a.timeout)
            redis = load.redis_client(stack)
            rows = load.collect(stack, redis)
            redis.close()
            return 0 if report(a, wp["WP_URL"], due, rows, list(proxy.calls)) else 1
    finally:
        load.close()  # workers first: nothing creates posts after this
        proxy.close()
        print(f"# cleanup: {cleanup(wp, proxy.created)}")


if __name__ == "__main__":
    sys.exit(main())
