"""Benchmark: the floor of one thread per SSE stream, without Flask, gunicorn or Herald (issue 16).

Herald's `web` serves each open /events stream from a gunicorn thread that sleeps on its own queue; the
process's one Redis subscriber puts every event in every queue. This bench keeps only that skeleton:
--processes processes, each with --clients / --processes threads blocked on a queue.Queue; a dispatcher
puts each event in every queue (every --interval seconds) and each thread writes it to its own socket.
Latency is from the put to the thread's write, so it is a lower bound for bench/scale.py --parts sse on
the same machine (where the client also reads, parses, and shares the CPUs).

--queue simple gives each thread a queue.SimpleQueue (C, no Condition) instead of a queue.Queue, and
--switch-interval sets sys.setswitchinterval in each process: the two cheap knobs on that fan-out.
--queue writer is Herald's web since its fan-out writer (infra/live/fanout.py): the stream threads
only sleep, and one writer thread per process gets each event once and sends it to every socket
without blocking (MSG_DONTWAIT).

    python bench/sse_floor.py [--clients 1000] [--processes 2] [--events 20] [--interval 0.5]
                              [--queue queue|simple|writer] [--switch-interval S]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import queue
import socket
import sys
import threading
import time


def one_process(threads: int, events: int, interval: float, start_at: float, out, kind: str, switch: float) -> None:
    """Run `threads` streams and the dispatcher in this process; send back (latencies, CPU seconds)."""
    if switch:
        sys.setswitchinterval(switch)
    latencies: list[float] = []
    lock = threading.Lock()
    inboxes, readers = [], []

    def stream(inbox: queue.Queue, sock: socket.socket) -> None:
        while (item := inbox.get(timeout=60)) is not None:
            sock.sendall(item[1])
            with lock:
                latencies.append(time.perf_counter() - item[0])

    def one_writer(inbox: queue.SimpleQueue, socks: list[socket.socket]) -> None:
        while (item := inbox.get(timeout=60)) is not None:
            for sock in socks:
                sock.send(item[1], socket.MSG_DONTWAIT)
                latencies.append(time.perf_counter() - item[0])

    writers = []
    for _ in range(threads):
        writer, reader = socket.socketpair()
        reader.setblocking(False)
        readers.append(reader)
        if kind == "writer":
            writers.append(writer)
            threading.Thread(target=threading.Event().wait, args=(60,), daemon=True).start()  # a sleeping handler
            continue
        inboxes.append(queue.SimpleQueue() if kind == "simple" else queue.Queue(maxsize=1000))
        threading.Thread(target=stream, args=(inboxes[-1], writer), daemon=True).start()
    if kind == "writer":
        inboxes.append(queue.SimpleQueue())
        threading.Thread(target=one_writer, args=(inboxes[-1], writers), daemon=True).start()

    def drain() -> None:  # the clients: keep the sockets' buffers from filling
        while True:
            for reader in readers:
                with contextlib.suppress(BlockingIOError):
                    reader.recv(1 << 16)
            time.sleep(0.02)

    threading.Thread(target=drain, daemon=True).start()
    payload = b'id: 1-0\nevent: publication\ndata: {"name":"publication","id":1,"status":"bench"}\n\n' * 2
    time.sleep(max(0.0, start_at - time.time()))
    cpu = time.process_time()
    for _ in range(events):
        sent = time.perf_counter()
        for inbox in inboxes:
            inbox.put_nowait((sent, payload))
        time.sleep(interval)
    time.sleep(1.0)
    out.put((latencies, time.process_time() - cpu))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between events (0.5)")
    parser.add_argument(
        "--queue",
        choices=("queue", "simple", "writer"),
        default="queue",
        help="each stream's inbox (queue), or one writer per process (writer)",
    )
    parser.add_argument("--switch-interval", type=float, default=0.0, help="sys.setswitchinterval (default: 0.005)")
    a = parser.parse_args()
    out: multiprocessing.Queue = multiprocessing.Queue()
    start_at = time.time() + 1.0 + a.clients / 1000
    workers = [
        multiprocessing.Process(
            target=one_process,
            args=(a.clients // a.processes, a.events, a.interval, start_at, out, a.queue, a.switch_interval),
        )
        for _ in range(a.processes)
    ]
    for worker in workers:
        worker.start()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    latencies = sorted(x for lat, _ in results for x in lat)
    cpu = sum(c for _, c in results)
    at = lambda q: latencies[min(len(latencies) - 1, int(len(latencies) * q))] * 1000  # noqa: E731
    print(
        f"{a.clients} threads in {a.processes} processes ({a.queue}, switch interval"
        f" {a.switch_interval or sys.getswitchinterval()}s), {a.events} events every {a.interval}s:"
        f" {len(latencies)} deliveries, p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {at(1.0):.1f} ms;"
        f" CPU {cpu * 1e6 / max(1, len(latencies)):.0f} us a delivery (the readers' polling included)"
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"# load average at the end: {load} ({os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
