"""One real Herald stack and one webhook receiver for the whole integration session."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest

from .harness import Api, IdempotentReceiver, IsolatedStack, Receiver, Stack

_STACK_KEY = pytest.StashKey[Stack]()


@pytest.fixture(scope="session")
def stack(tmp_path_factory, pytestconfig) -> Iterator[Stack]:
    """Start web, worker and scheduler on Redis DB 14 and a fresh database; always stop them."""
    with Stack(tmp_path_factory.mktemp("herald-e2e")) as running:
        pytestconfig.stash[_STACK_KEY] = running
        try:
            yield running
        finally:
            del pytestconfig.stash[_STACK_KEY]


@pytest.fixture(autouse=True)
def _processes_survive_each_test(stack) -> Iterator[None]:
    """A crashed process fails the test it crashed in, with its log, and every later test at once."""
    stack.assert_running()
    yield
    stack.assert_running()


@pytest.fixture(scope="module")
def peer() -> Iterator[IdempotentReceiver]:
    """A webhook endpoint that honours Idempotency-Key like a real platform (the stacks of their own use it)."""
    with IdempotentReceiver() as running:
        yield running


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture(scope="session")
def api_user(stack) -> Api:
    """A user and API key made with the CLI, as an operator of a fresh install would."""
    email = f"e2e-{secrets.token_hex(3)}@example.test"
    return Api(stack, stack.create_user_and_key(email), email)


@pytest.fixture(scope="session")
def own_user(stack) -> Callable[[str], Api]:
    """Make a user of their own, so no other test's rows show up: `own_user("monitor")` returns its Api."""

    def make(prefix: str) -> Api:
        email = f"{prefix}-{secrets.token_hex(3)}@example.test"
        # One app boot instead of the CLI's two (it only needs the stack's env): ~3 s less on a busy box.
        return Api(stack, IsolatedStack.create_user_and_key_at_once(stack, email), email)

    return make


@pytest.fixture(scope="session")
def webhook_channel(receiver) -> Callable[..., dict]:
    """Add a webhook channel posting to the session's receiver: `webhook_channel(api, rules={...})` returns it."""

    def make(api: Api, name: str = "blog", **fields) -> dict:
        channel = {
            "name": f"{name} {secrets.token_hex(2)}",
            "platform": "webhook",
            "settings": {"url": receiver.hook()},
            "credentials": {"secret": "s3cret-s3cret"},
        }
        return api.create("/channels", channel | fields)

    return make


@pytest.fixture(scope="session")
def base_url(stack) -> str:
    """Point pytest-playwright's pages at the running stack."""
    return stack.base_url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium; Playwright's own browser download is refused here.
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    stack = item.config.stash.get(_STACK_KEY, None)
    if report.failed and report.when in ("setup", "call") and stack is not None:
        report.sections.append(("herald processes (last lines)", stack.tails()))
    return report
