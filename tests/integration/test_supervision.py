"""`make run` survives a crashed process: the launcher restarts what was killed and the site keeps answering.

The launcher (`python -m webapp.processes.launcher`, what `make run` runs) on a redis-server and a
SQLite database of its own: kill -9 of its worker, then of its scheduler, each back within seconds,
while the web process answers throughout; Ctrl-C (SIGINT) still stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .harness import REPO, RedisServer, free_port

pytestmark = pytest.mark.timeout(180)


def _children(pid: int) -> dict[str, int]:
    """Map the launcher's children to their Procfile names by command line: {"worker": pid, ...}.

    Its worker processes (WORKER_PROCESSES, 2 by default) are "worker" and "worker-2", by pid.
    """
    found = {}
    workers = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
            continue
        if "worker.py" in cmdline:
            workers.append(int(entry.name))
        elif " scheduler" in cmdline:
            found["scheduler"] = int(entry.name)
        elif "gunicorn" in cmdline:
            found["web"] = int(entry.name)
    for n, worker in enumerate(sorted(workers), start=1):
        found["worker" if n == 1 else f"worker-{n}"] = worker
    return found


class Output:
    """The launcher's output, read on a thread so the pipe never fills."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process) -> None:
        for line in process.stdout:
            self.lines.append(line.rstrip("\n"))

    def close(self, process) -> None:
        self._thread.join(5)
        process.stdout.close()

    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert time.monotonic() < deadline, f"launcher never said {needle!r}:\n{self.text()[-3000:]}"
            time.sleep(0.1)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # 503 while a process is down is still an answer
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture
def launched(tmp_path):
    redis = RedisServer(tmp_path).start()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HERALD_", "FLASK_", "DATABASE_", "REDIS_"))}
    env |= {
        "HERALD_INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'herald.db'}",
        "REDIS_URL": redis.url,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp.processes.launcher"],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = Output(process)
    try:
        yield process, output, f"http://127.0.0.1:{port}", redis
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        output.close(process)
        redis.stop()


def test_a_killed_worker_or_scheduler_comes_back_and_the_site_keeps_answering(launched):
    process, output, site, redis = launched
    output.wait_for("Herald is running at", timeout=90)
    before = _children(process.pid)
    assert set(before) == {"web", "worker", "worker-2", "scheduler"}, output.text()[-2000:]

    # worker.1 and worker.2 in the launcher's words; the first by pid may be either.
    for name, pid in (("worker", before["worker"]), ("scheduler", before["scheduler"])):
        os.kill(pid, signal.SIGKILL)
        output.wait_for("exited with code -9; restarting it in 1 s (the others keep running)", timeout=10)
        deadline = time.monotonic() + 20
        while pid in (now := _children(process.pid)).values() or len(now) < 4:
            assert _answers(f"{site}/healthz"), f"the web process stopped answering while {name} was down"
            assert time.monotonic() < deadline, output.text()[-2000:]
            time.sleep(0.2)
        output.wait_for("restarted (restart 1 of this run)", timeout=10)

    assert process.poll() is None, "the launcher stopped"
    after = _children(process.pid)
    assert after["web"] == before["web"], "the web process was restarted too"
    assert before["worker-2"] in after.values(), "the other worker process was restarted too"
    restarts = {k.decode(): v.decode() for k, v in redis.client().hgetall("herald:supervisor").items()}
    (worker,) = [
        k.removesuffix(":restarts") for k, v in restarts.items() if k.startswith("worker.") and k.endswith(":restarts")
    ]
    assert restarts[f"{worker}:restarts"] == "1" and restarts["scheduler:restarts"] == "1"
    assert '"code": -9' in restarts[f"{worker}:last"]

    process.send_signal(signal.SIGINT)
    assert process.wait(40) == 0
    assert _children(process.pid) == {}
