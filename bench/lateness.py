"""Benchmark: N publications due at the same instant, published by the Procfile's processes to a local receiver.

Prints p50, p99 and max lateness (due -> started) and the time until all N were published, then runs
the reference stack (shared/bench/reference_stack.py: bare rq + rq-scheduler, SimpleWorker burst of
the same size) in the same run and prints Herald's figures as ratios to it. Everything it starts
(redis-server, gunicorn, workers, scheduler, the reference) is stopped at the end, Ctrl-C included.
The processes, receiver, API client and reference runner live in bench/harness.py, shared with the other benches.

    python bench/lateness.py [--n 200] [--lead 25] [--database-url postgresql://...] [--no-reference]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    REDIS_SERVER,
    REFERENCE,
    Api,
    BenchRun,
    HeraldStack,
    Receiver,
    exit_status,
    install_signal_handlers,
    parse_utc,
    pct,
    run_reference,
)


class Bench(BenchRun):
    """One lateness run: Herald's stack, then the reference's."""

    def __init__(self, args: argparse.Namespace):
        super().__init__(args, prefix="herald-bench-")

    # -- the measurement ---------------------------------------------------------------------
    def herald(self) -> dict:
        """Run the Herald scenario and return its figures."""
        a = self.args
        self.receiver = Receiver()
        self.stack = HeraldStack(
            self.procs,
            self.tmp,
            self.receiver,
            database_url=a.database_url,
            workers=a.workers,
            redis_server=a.redis_server,
        )
        self.stack.start()
        api = self.stack.api
        assert api is not None
        # One whole-second due instant far enough ahead for every schedule to exist before it.
        due = math.ceil(time.time() + a.lead)
        run_at = datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = {
            "content_id": self.stack.content_id,
            "channel_ids": [self.stack.channel_id],
            "run_at": run_at,
            "allow_conflicts": True,
        }
        started = time.time()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda _: api.call("POST", "/schedules", body), range(a.n)))
        created_s = time.time() - started
        print(f"# created {a.n} schedules through the API in {created_s:.1f}s; due at {run_at}")
        if time.time() > due - 1:
            raise RuntimeError(f"creating schedules overran the due instant; raise --lead above {a.lead}s")

        deadline = due + a.timeout
        self.receiver.wait_for(a.n, deadline)
        items = self.published(api, deadline)
        deliveries = self.receiver.snapshot()
        lateness = [item["lateness_ms"] / 1000 for item in items if item["lateness_ms"] is not None]
        finished = [parse_utc(item["finished_at"]) for item in items if item["finished_at"]]
        keys = Counter(key for _, key in deliveries)
        return {
            "n": a.n,
            "published": sum(1 for item in items if item["status"] == "published"),
            "statuses": dict(Counter(item["status"] for item in items)),
            "late_p50": pct(lateness, 0.5),
            "late_p99": pct(lateness, 0.99),
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
        options = ["--worker-class", "simple", "--scenarios", "burst", "--n", str(a.n), "--workers", str(a.workers)]
        result = run_reference(self.procs, [*options, "--redis-server", a.redis_server], reference=a.reference)
        return result["live"][0] if result and result.get("live") else None


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
    parser.add_argument("--redis-server", default=REDIS_SERVER, help="redis-server executable")
    parser.add_argument("--keep-tmp", action="store_true", help="keep the temp folder (logs, database)")
    args = parser.parse_args(argv)
    if not 1 <= args.n <= 5000 or not 1 <= args.workers <= 16:
        parser.error("--n must be 1..5000 and --workers 1..16")

    install_signal_handlers()  # SIGTERM takes Ctrl-C's way out, so `finally` stops everything
    bench = Bench(args)
    try:
        with exit_status():
            herald = bench.herald()
            assert bench.stack is not None
            bench.stack.stop()
            ref = bench.reference()
            report(herald, ref)
            return 0 if herald["published"] == args.n == herald["received"] and not herald["duplicates"] else 1
    finally:
        bench.close()


if __name__ == "__main__":
    sys.exit(main())
