"""Benchmark scenario `fair` of bench/load.py: two channels due together, one of them stalled.

N posts on a channel whose platform answers after 5 s and N on a healthy one (answering at once) fall due in
the same second, the stalled channel's first so they reach the queues ahead. The healthy channel's posts must
all be done within 5 s of due: the stalled channel may hold no more worker slots than its in-flight cap
(webhook: 10; Herald's default run has 2 x 8 slots), and its waiting posts hold none at all.

The reference stack has no per-channel cap, so there is no figure of its own to put beside this one: its
workers take jobs in queue order, and N stalled posts ahead of the healthy ones hold its 2 SimpleWorkers
N x 5 s / 2 before the first healthy post goes (printed as the bare stack's floor).
"""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

from harness import BenchRun, HeraldStack, Receiver, fmt_s

STALLED_S = 5.0
TARGET_HEALTHY_DONE_S = 5.0


def run(bench: BenchRun, args) -> dict:
    """Run the scenario on a fresh stack; return its figures."""
    n = args.n
    bench.receiver = receiver = Receiver(slow={"/stalled": STALLED_S})
    bench.stack = stack = HeraldStack(
        bench.procs,
        bench.tmp,
        receiver,
        database_url=args.database_url,
        workers=args.workers,
        redis_server=args.redis_server,
        tag="-fair",
    )
    stack.start()
    stalled = stack.add_channel("stalled platform", "/stalled")
    due = float(math.ceil(time.time() + 5 + 2 * n * 0.025))
    _create(stack, [stalled["id"]] * n + [stack.channel_id] * n, due)
    print(f"# fair: {n} posts on a channel answering in {STALLED_S:g} s and {n} on a healthy one, all due at once")

    deadline = due + 60
    while _answered(receiver, "/hook") < n and time.time() < deadline:
        time.sleep(0.1)
    with receiver.lock:
        healthy = [answered for _, path, answered in receiver.paths if path == "/hook"]
        stalled_done = sum(1 for _, path, _ in receiver.paths if path == "/stalled")
        in_flight_max = receiver.in_flight_max["/stalled"]
    result = {
        "n": n,
        "healthy_done": len(healthy),
        "healthy_all_done_s": (max(healthy) - due) if len(healthy) == n else None,
        "stalled_done_by_then": stalled_done,
        "stalled_in_flight_max": in_flight_max,
        "bare_floor_s": n * STALLED_S / args.workers,
        "workers": args.workers,
    }
    stack.stop()
    receiver.close()
    bench.stack = bench.receiver = None
    return result


def _create(stack: HeraldStack, channel_ids: list[int], due: float) -> None:
    from webapp.domain.accounts import accounts
    from webapp.domain.publishing.schedules import create_schedule
    from webapp.domain.shared.actor import Actor
    from webapp.models import Role

    with stack.app_context():
        user = accounts.find_user(stack.email)
        actor = Actor(user.id, stack.workspace_id, Role.OWNER.value, "api", "127.0.0.1")
        at = datetime.fromtimestamp(due, UTC)
        for channel_id in channel_ids:
            body = {"content_id": stack.content_id, "channel_ids": [channel_id], "allow_conflicts": True}
            create_schedule(actor, {**body, "run_at": at})


def _answered(receiver: Receiver, path: str) -> int:
    with receiver.lock:
        return sum(1 for _, p, _ in receiver.paths if p == path)


def report(result: dict) -> str:
    """Print the scenario's figures; return its SUMMARY part."""
    done = result["healthy_all_done_s"]
    print()
    print(f"== fair: {result['n']} healthy posts beside {result['n']} on a platform stalled {STALLED_S:g} s")
    print(
        f"   healthy channel: {result['healthy_done']}/{result['n']} done, all within {fmt_s(done)} of due;"
        f" stalled channel: {result['stalled_done_by_then']} answered by then, at most"
        f" {result['stalled_in_flight_max']} in flight at once (its cap)"
    )
    print(
        f"   the bare stack ({result['workers']} SimpleWorkers, no cap): queue order puts the healthy posts behind"
        f" {result['n']} x {STALLED_S:g} s, at least {fmt_s(result['bare_floor_s'])} after due"
    )
    met = done is not None and done <= TARGET_HEALTHY_DONE_S
    print(f"target healthy all done <= {TARGET_HEALTHY_DONE_S:g}s after due: {'met' if met else 'MISSED'}")
    return f"fair healthy={fmt_s(done)} stalled_in_flight<={result['stalled_in_flight_max']}"
