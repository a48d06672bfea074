"""The shared peer scripts (../shared/peers/*.sh): run one, read the export lines it prints, tell if a site answers."""

import os
import shlex
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

# tests/adapters/peers.py -> the repo root is parents[2]; CI clones shared/ beside it.
PEERS = Path(__file__).resolve().parents[2] / ".." / "shared" / "peers"
# Ghost's first start builds its install cache (about 4 minutes on 2 cores); a start already under way is waited for.
START_TIMEOUT_S = 900


def run(script: Path, command: str) -> subprocess.CompletedProcess[str]:
    """Run the peer script with one command (start, env, stop) and return what it printed."""
    return subprocess.run(
        ["bash", str(script), command], capture_output=True, text=True, timeout=START_TIMEOUT_S, check=False
    )


def exports(stdout: str) -> dict[str, str]:
    """Return the values of the `export NAME=value` lines a peer script prints."""
    values = {}
    for line in stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            name, _, value = line.removeprefix("export ").partition("=")
            values[name] = shlex.split(value)[0] if value else ""
    return values


def answers(url: str | None) -> bool:
    """Return True when a GET of the URL answers 200 within 5 s."""
    try:
        return bool(url) and requests.get(url, timeout=5).status_code == 200
    except requests.RequestException:
        return False


def running_or_started(script: Path, probe: str, url_name: str) -> tuple[dict[str, str], bool, str]:
    """Return (the script's export values, whether this call started the peer, the start's error or "").

    A peer already answering at probe (a path after its URL) is used as it is and left running.
    """
    current = run(script, "env")
    values = exports(current.stdout)
    url = values.get(url_name)
    if current.returncode == 0 and url and answers(url + probe):
        return values, False, ""
    try:
        started = run(script, "start")
    except subprocess.TimeoutExpired:
        return {}, False, f"{script.name} start did not finish within {START_TIMEOUT_S} s"
    if started.returncode != 0:
        return {}, False, started.stderr[-2000:]
    return exports(started.stdout), True, ""


@contextmanager
def peer(script: Path, names: tuple[str, ...], probe: str, failed: Callable[[str], object]) -> Iterator[list[str]]:
    """Yield the values of names (URL first): from the environment when all are set, else from the script.

    A peer already up is used and left running; one started here is stopped at the end. When the
    start fails, failed(message) is called (pytest.fail, or a pytest.skip that gives the reason).
    """
    if all(os.environ.get(name) for name in names):
        yield [os.environ[name] for name in names]
        return
    if not script.is_file():
        pytest.skip(f"no peer script at {script.resolve()} and {names[0]} is not set")
    values, started, error = running_or_started(script, probe, names[0])
    if error:
        failed(f"{script.name} start failed:\n{error}")
    try:
        yield [values[name] for name in names]
    finally:
        if started:
            run(script, "stop")
