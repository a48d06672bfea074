"""Read the Procfile and run its commands as children: own sessions, prefixed output, ordered stop."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import string
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]  # the checkout: webapp/processes/procfile.py
PROCFILE = ROOT / "Procfile"
# gunicorn's graceful timeout is 5 s, but a worker finishes its current publication (up to
# PUBLISH_TIMEOUT_S) before it exits: cutting it off mid-call would leave it `unconfirmed`.
STOP_TIMEOUT_S = 20.0

_print_lock = threading.Lock()


def say(source: str, message: str) -> None:
    """Print one line under a process-name prefix, whole even when threads print together."""
    with _print_lock:
        print(f"{source:<9} | {message}", flush=True)


def read_procfile(path: Path = PROCFILE) -> dict[str, str]:
    """Return the Procfile's process types and their command lines."""
    processes = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def procfile_argv(command: str, environ: Mapping[str, str]) -> list[str]:
    """Turn a Procfile command into argv for this interpreter, with $VARS expanded from environ."""
    argv = shlex.split(string.Template(command).safe_substitute(environ))
    # Run `python`, `flask` and `gunicorn` from this interpreter's environment, so an unactivated
    # venv (`make run` calls .venv/bin/python directly) still finds everything.
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    return [sys.executable, "-m", argv[0], *argv[1:]]


def with_bind(argv: Sequence[str], address: str) -> list[str]:
    """Replace the value of gunicorn's --bind option."""
    out = list(argv)
    out[out.index("--bind") + 1] = address
    return out


def parent_death_signal() -> Callable[[], None] | None:
    """Return a preexec_fn that makes the kernel SIGTERM the child when the launcher dies (Linux only)."""
    if sys.platform != "linux":
        return None
    import ctypes

    # Resolved here, in the parent: the forked child should do nothing but make the one call.
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_pdeathsig = 1

    def preexec() -> None:  # pragma: no cover - runs in the forked child
        # A launcher killed outright (SIGKILL, OOM) must not leave children holding the port.
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


@dataclass
class Child:
    """One supervised process and the thread copying its output."""

    name: str
    process: subprocess.Popen[Any]
    pump: threading.Thread | None = None


def spawn(name: str, argv: Sequence[str], env: Mapping[str, str]) -> Child:
    """Start argv in its own session so a terminal's Ctrl-C reaches the launcher, which stops it in order."""
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,
        preexec_fn=parent_death_signal(),
    )
    return Child(name, process)


def pump_output(child: Child) -> None:
    """Copy the child's output, line by line, under its name; start after every spawn (fork + threads)."""

    def copy() -> None:
        assert child.process.stdout is not None
        for line in child.process.stdout:
            say(child.name, line.rstrip("\n"))

    child.pump = threading.Thread(target=copy, name=f"pump-{child.name}", daemon=True)
    child.pump.start()


def stop_children(children: Sequence[Child], timeout: float = STOP_TIMEOUT_S) -> None:
    """Ask every child to stop (SIGTERM), then kill the process groups of those still running after timeout."""
    for child in children:
        if child.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                child.process.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say("launcher", f"{child.name} did not stop within {timeout:.0f}s; killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.process.pid, signal.SIGKILL)
            child.process.wait()
    for child in children:
        if child.pump is not None:
            child.pump.join(timeout=2)
        if child.process.stdout is not None:
            child.process.stdout.close()


def health(url: str) -> tuple[int, str]:
    """Return the status and body of GET url, or (0, reason) if nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError) as exc:
        return 0, str(exc)
