"""The launcher's supervisor: a process that exits is restarted alone; one that keeps dying at start ends the run."""

from __future__ import annotations

import sys
import threading
import time

from webapp.processes.procfile import stop_children
from webapp.processes.supervisor import RestartPolicy, Supervised, supervise

# Nothing listens here: the supervisor's health probe fails fast and never announces the site.
NO_SITE = "http://127.0.0.1:9/healthz"
FAST = RestartPolicy(backoff_s=(0.05, 0.1), start_window_s=0.3, max_quick_exits=3, poll_s=0.02)


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _start(name: str, code: str) -> Supervised:
    proc = Supervised.start(name, _python(code), {})
    proc.start_output()
    return proc


def _run(procs, stop, **kwargs) -> list:
    """Run supervise() in a thread; return [exit status] once it ends (the caller stops it)."""
    result: list = []
    thread = threading.Thread(
        target=lambda: result.append(supervise(procs, stop, NO_SITE, "http://site", policy=FAST, **kwargs)),
        daemon=True,
    )
    thread.start()
    return result, thread


def _wait_for(predicate, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _kill_all(procs) -> None:
    stop_children([proc.child for proc in procs], timeout=2)


def test_a_process_that_exits_is_restarted_and_the_others_keep_running(capsys):
    # Runs past the start window, then dies: an unlucky crash, not a broken start.
    flaky = _start("worker", "import sys, time; time.sleep(0.5); sys.exit(3)")
    steady = _start("web", "import time; time.sleep(60)")
    steady_pid = steady.child.process.pid
    restarts: list = []
    stop = threading.Event()

    result, thread = _run([flaky, steady], stop, on_restart=lambda *args: restarts.append(args))
    _wait_for(lambda: flaky.restarts >= 2)
    stop.set()
    thread.join(5)

    assert result == [0]
    assert restarts[:2] == [("worker", 1, 3), ("worker", 2, 3)]
    assert steady.restarts == 0 and steady.child.process.pid == steady_pid and steady.child.process.poll() is None
    out = capsys.readouterr().out
    assert "worker exited with code 3; restarting it in 0.05 s (the others keep running)" in out
    assert "worker restarted (restart 1 of this run)" in out
    _kill_all([flaky, steady])


def test_a_process_that_keeps_crashing_at_start_stops_the_run_with_the_reason(capsys):
    broken = _start("scheduler", "import sys; print('no database at DATABASE_URL'); sys.exit(2)")
    steady = _start("web", "import time; time.sleep(60)")
    stop = threading.Event()

    result, thread = _run([broken, steady], stop)
    thread.join(10)

    assert result == [1]
    # Three quick exits: two restarts, then no third.
    assert broken.restarts == 2
    out = capsys.readouterr().out
    assert "no database at DATABASE_URL" in out
    assert "scheduler keeps crashing at start (3 exits within 0 s of starting, last code 2)" in out
    assert "stopping Herald" in out
    _kill_all([broken, steady])


def test_the_backoff_grows_while_a_process_keeps_dying_and_resets_after_a_good_run():
    policy = RestartPolicy(backoff_s=(1, 2, 4, 30))

    assert [policy.delay(n) for n in (1, 2, 3, 4, 9)] == [1, 2, 4, 30, 30]


def test_a_stop_request_ends_supervision_without_restarting_anything(capsys):
    steady = _start("worker", "import time; time.sleep(60)")
    stop = threading.Event()
    stop.set()

    assert supervise([steady], stop, NO_SITE, "http://site", policy=FAST) == 0
    assert steady.restarts == 0
    assert "stopping" in capsys.readouterr().out
    _kill_all([steady])
