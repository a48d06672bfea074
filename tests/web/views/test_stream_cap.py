"""The cap on each user's concurrent SSE streams: counted in Redis across processes, lapsing when one dies."""

import threading
import time

import pytest
import requests
from redis import Redis
from werkzeug.serving import make_server

from tests.conftest import PASSWORD, TEST_REDIS_URL
from webapp.config import load_config
from webapp.extensions import db
from webapp.infra.live import stream_slots
from webapp.infra.queues import key
from webapp.models import User

KEY = "herald-test:sse:slots:1"


@pytest.fixture
def redis(app):
    client = Redis.from_url(TEST_REDIS_URL)
    yield client
    client.close()


def test_the_cap_is_configurable_and_eight_by_default(tmp_path):
    assert load_config(str(tmp_path), {"HERALD_ENV": "testing"})["SSE_MAX_STREAMS_PER_USER"] == 8
    settings = load_config(str(tmp_path), {"HERALD_ENV": "testing", "SSE_MAX_STREAMS_PER_USER": "3"})
    assert settings["SSE_MAX_STREAMS_PER_USER"] == 3


def test_slots_are_handed_out_up_to_the_cap_and_a_released_one_is_free_again(redis):
    first, second = (stream_slots.claim(redis, KEY, cap=2, ttl=30) for _ in range(2))

    assert stream_slots.claim(redis, KEY, cap=2, ttl=30) is None
    second.release()
    second.release()  # twice is harmless
    assert stream_slots.claim(redis, KEY, cap=2, ttl=30) is not None
    assert first.token != second.token


def test_a_tab_s_new_stream_takes_over_its_old_slot_even_at_the_cap(redis):
    stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-aaaaaaaa")  # the page the tab is leaving
    other_tab = stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-bbbbbbbb")

    next_page = stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-aaaaaaaa")

    assert next_page is not None and other_tab is not None
    assert redis.zcard(KEY) == 2  # one slot per tab, not per stream
    assert stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-cccccccc") is None  # a third tab still waits


def test_the_replaced_stream_ends_at_its_next_renew_and_its_release_frees_nothing(redis):
    left_page = stream_slots.claim(redis, KEY, cap=1, ttl=30, tab="tab-aaaaaaaa")
    next_page = stream_slots.claim(redis, KEY, cap=1, ttl=30, tab="tab-aaaaaaaa")

    assert left_page.renew() is False  # told to end: the tab has moved on
    left_page.release()
    assert redis.zcard(KEY) == 1  # the new page's slot is still held
    assert next_page.renew() is True
    next_page.release()
    assert redis.zcard(KEY) == 0


def test_one_tab_id_reused_cannot_hold_more_than_twice_the_cap(redis):
    # Each takeover leaves the replaced stream open until its next keep-alive: counted, so bounded.
    held = [stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-aaaaaaaa") for _ in range(4)]

    assert all(held)
    assert stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-aaaaaaaa") is None
    held[0].release()  # a replaced stream that ended gives its place back
    assert stream_slots.claim(redis, KEY, cap=2, ttl=30, tab="tab-aaaaaaaa") is not None


def test_every_web_process_counts_against_the_same_cap(redis):
    other_process = Redis.from_url(TEST_REDIS_URL)  # its own connection pool, as another process has
    try:
        assert stream_slots.claim(other_process, KEY, cap=1, ttl=30) is not None
        assert stream_slots.claim(redis, KEY, cap=1, ttl=30) is None
    finally:
        other_process.close()


def test_the_slot_of_a_process_that_died_lapses(redis):
    stream_slots.claim(redis, KEY, cap=1, ttl=1)  # never renewed nor released, as after a crash

    assert stream_slots.claim(redis, KEY, cap=1, ttl=30) is None
    time.sleep(1.1)
    assert stream_slots.claim(redis, KEY, cap=1, ttl=30) is not None
    assert 0 < redis.ttl(KEY) <= 31  # the set itself expires too: nothing outlives the last stream


def test_renewing_keeps_a_live_stream_s_slot(redis):
    slot = stream_slots.claim(redis, KEY, cap=1, ttl=1)
    for _ in range(3):
        time.sleep(0.5)
        slot.renew()

    assert stream_slots.claim(redis, KEY, cap=1, ttl=1) is None


def test_a_cap_of_zero_means_no_cap(redis):
    assert all(stream_slots.claim(redis, KEY, cap=0, ttl=30) for _ in range(20))
    assert redis.exists(KEY) == 0


def test_without_redis_a_stream_may_still_open(app):
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)

    slot = stream_slots.claim(gone, KEY, cap=1, ttl=30)

    assert slot is not None
    slot.renew()
    slot.release()


# GET /events through the app.


@pytest.fixture
def capped(app, monkeypatch):
    monkeypatch.setitem(app.config, "SSE_MAX_STREAMS_PER_USER", 2)
    return app


def _open(client):
    response = client.get("/events", buffered=False)
    if response.status_code == 200:
        next(iter(response.response))  # the stream has started
    return response


def test_the_stream_over_the_cap_answers_429_with_retry_after_and_a_clear_message(client, auth, capped):
    auth.sign_up("ada@example.test")
    streams = [_open(client), _open(client)]
    try:
        refused = client.get("/events")

        assert [s.status_code for s in streams] == [200, 200]
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == str(3 * capped.config["SSE_KEEPALIVE_S"])
        assert refused.mimetype == "text/plain"
        assert "Too many live streams: you already have 2 open" in refused.get_data(as_text=True)
        streams.pop().close()
        streams.append(_open(client))
        assert streams[-1].status_code == 200
    finally:
        for stream in reversed(streams):  # each holds its request context open: close the newest first
            stream.close()


def test_one_user_s_streams_do_not_count_against_another_s(app, auth, client, capped):
    auth.sign_up("ada@example.test")
    streams = [_open(client), _open(client)]
    bob = app.test_client()
    try:
        bob.post("/signup", data={"email": "bob@example.test", "password": PASSWORD, "timezone": "UTC"})
        streams.append(_open(bob))

        assert streams[-1].status_code == 200
    finally:
        for stream in reversed(streams):  # each holds its request context open: close the newest first
            stream.close()


def test_streams_leave_a_share_of_the_process_s_threads_to_pages(client, auth, capped, monkeypatch):
    monkeypatch.setitem(capped.config, "SSE_MAX_STREAMS_PER_PROCESS", 1)
    auth.sign_up("ada@example.test")
    streams = [_open(client)]
    try:
        refused = client.get("/events")

        assert streams[0].status_code == 200
        assert refused.status_code == 503 and refused.headers["Retry-After"] == str(capped.config["SSE_KEEPALIVE_S"])
        assert client.get("/livez").status_code == 200  # other requests still answer
        streams.pop().close()
        streams.append(_open(client))
        assert streams[-1].status_code == 200  # a closed stream gave its place back
    finally:
        for stream in reversed(streams):
            stream.close()


def test_a_stream_closed_before_it_started_gives_its_slot_back(client, auth, capped, redis):
    auth.sign_up("ada@example.test")
    for _ in range(3):
        client.get("/events", buffered=False).close()  # never read

    user = db.session.query(User).filter_by(email="ada@example.test").one()
    assert redis.zcard(key("sse", "slots", user.id)) == 0
    assert redis.zcard(key("sse", "slots", user.id) + ":streams") == 0


# Over a real HTTP server: browsers that go away free their slot at the next keep-alive.


@pytest.fixture
def server(capped, monkeypatch):
    monkeypatch.setitem(capped.config, "SSE_KEEPALIVE_S", 1)
    httpd = make_server("127.0.0.1", 0, capped, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


def _stream(browser: requests.Session, url: str) -> requests.Response:
    response = browser.get(url + "/events", stream=True, timeout=(5, 10))
    if response.status_code == 200:
        # Keep the line iterator: dropping it would close the connection (and so free the slot).
        response.lines = response.iter_lines()
        assert next(response.lines) == b"retry: 3000"
    return response


def test_over_http_the_third_tab_is_refused_until_one_closes(server):
    browser = requests.Session()
    assert browser.post(
        server + "/signup", data={"email": "ada@example.test", "password": PASSWORD, "timezone": "UTC"}
    ).ok
    tabs = [_stream(browser, server), _stream(browser, server)]
    try:
        refused = _stream(browser, server)
        assert (refused.status_code, refused.headers.get("Retry-After")) == (429, "3")
        assert "Close one, or try again in 3 seconds." in refused.text

        tabs.pop(0).close()  # the server notices at its next write: a keep-alive, within a second
        deadline = time.monotonic() + 5
        while (third := _stream(browser, server)).status_code == 429:
            assert time.monotonic() < deadline, "the closed tab's slot never came back"
            time.sleep(0.2)
        tabs.append(third)
        assert third.status_code == 200
    finally:
        for tab in tabs:
            tab.close()
        browser.close()


def test_over_http_a_tab_s_new_stream_ends_its_old_one_at_once(server, capped, monkeypatch):
    # Without it the page the tab left holds its stream (and a server thread) until the next keep-alive.
    monkeypatch.setitem(capped.config, "SSE_KEEPALIVE_S", 30)
    browser = requests.Session()
    assert browser.post(
        server + "/signup", data={"email": "ada@example.test", "password": PASSWORD, "timezone": "UTC"}
    ).ok
    old = browser.get(server + "/events?tab=tab-aaaaaaaa", stream=True, timeout=(5, 40))
    old_lines = old.iter_lines()
    assert next(old_lines) == b"retry: 3000"
    new = browser.get(server + "/events?tab=tab-aaaaaaaa", stream=True, timeout=(5, 40))
    try:
        assert new.status_code == 200
        started = time.monotonic()
        rest = list(old_lines)  # ends when the server ends the old stream

        assert time.monotonic() - started < 5  # not the 30 s keep-alive
        assert not any(b"stream.replaced" in line for line in rest)  # never shown to the page
    finally:
        new.close()
        old.close()
        browser.close()
