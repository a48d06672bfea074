"""Keep the Procfile's processes running: restart one that exits, with backoff; give up on one that can't start.

One crashed worker must not be a full outage of `make run`: the supervisor restarts the process that
exited (1 s, then 2 s, 4 s … 30 s while it keeps dying soon after starting) and leaves the others
alone. A process that exits within `start_window_s` of starting `max_quick_exits` times in a row is
broken, not unlucky (a bad setting, a port taken, a migration missing): the run stops with a message
that says so, rather than restarting it forever. A stop request (Ctrl-C, SIGTERM) ends the loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from webapp.processes.procfile import Child, health, pump_output, say, spawn


@dataclass(frozen=True)
class RestartPolicy:
    backoff_s: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
    # An exit this soon after starting counts as "crashed at start"; a longer run resets the backoff.
    start_window_s: float = 10.0
    max_quick_exits: int = 5
    poll_s: float = 0.5

    def delay(self, quick_exits: int) -> float:
        """Seconds to wait before the next start, after `quick_exits` exits soon after starting."""
        return self.backoff_s[min(max(quick_exits - 1, 0), len(self.backoff_s) - 1)]


@dataclass
class Supervised:
    """One Procfile process: how to start it, the running child, and its restart history."""

    name: str
    argv: Sequence[str]
    env: dict[str, str]
    child: Child
    started_at: float = field(default_factory=time.monotonic)
    restarts: int = 0
    quick_exits: int = 0
    last_code: int | None = None
    restart_at: float | None = None

    @classmethod
    def start(cls, name: str, argv: Sequence[str], env: dict[str, str]) -> Supervised:
        """Spawn the process; its output pump starts with `start_output` (after every spawn: fork + threads)."""
        return cls(name, list(argv), dict(env), spawn(name, argv, env))

    def start_output(self) -> None:
        pump_output(self.child)


# Called after each restart with the process name, its restart count and the exit code that caused it.
OnRestart = Callable[[str, int, int | None], None]


class GaveUp(Exception):
    """A process kept exiting right after it started; the run stops."""


def _exited(proc: Supervised, code: int, policy: RestartPolicy, now: float) -> None:
    """Plan the restart of a process that exited, or raise GaveUp if it keeps dying at start."""
    if proc.child.pump is not None:
        proc.child.pump.join(timeout=2)  # its last words first: they usually say why it died
    ran_for = now - proc.started_at
    proc.quick_exits = proc.quick_exits + 1 if ran_for < policy.start_window_s else 1
    if ran_for < policy.start_window_s and proc.quick_exits >= policy.max_quick_exits:
        raise GaveUp(
            f"{proc.name} keeps crashing at start ({proc.quick_exits} exits within "
            f"{policy.start_window_s:.0f} s of starting, last code {code}); stopping Herald — "
            "the output above says why"
        )
    delay = policy.delay(proc.quick_exits)
    proc.restart_at = now + delay
    proc.last_code = code
    say("launcher", f"{proc.name} exited with code {code}; restarting it in {delay:g} s (the others keep running)")


def _restart(proc: Supervised, now: float, on_restart: OnRestart | None) -> None:
    if proc.child.process.stdout is not None:
        proc.child.process.stdout.close()
    proc.child = spawn(proc.name, proc.argv, proc.env)
    proc.start_output()
    proc.started_at, proc.restart_at = now, None
    proc.restarts += 1
    say("launcher", f"{proc.name} restarted (restart {proc.restarts} of this run)")
    if on_restart is not None:
        on_restart(proc.name, proc.restarts, proc.last_code)


def supervise(
    procs: Sequence[Supervised],
    stop: threading.Event,
    health_url: str,
    site_url: str,
    *,
    policy: RestartPolicy | None = None,
    on_restart: OnRestart | None = None,
    health_wait_s: float = 60.0,
) -> int:
    """Restart exited processes until a stop request (returns 0) or one keeps crashing at start (returns 1).

    Announces the site's URL once `health_url` answers 200 (or says what is missing after `health_wait_s`).
    """
    policy = policy or RestartPolicy()
    announced = False
    give_up_at = time.monotonic() + health_wait_s
    while not stop.wait(policy.poll_s):
        now = time.monotonic()
        for proc in procs:
            try:
                if proc.restart_at is None and (code := proc.child.process.poll()) is not None:
                    _exited(proc, code, policy, now)
                elif proc.restart_at is not None and now >= proc.restart_at:
                    _restart(proc, now, on_restart)
            except GaveUp as exc:
                say("launcher", str(exc))
                return 1
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
