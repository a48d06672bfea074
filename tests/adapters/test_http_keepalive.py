"""Worker processes reuse one keep-alive connection per thread; everything else opens one per call."""

from webapp.adapters.http import keep_connections_alive, send

from .receiver import Receiver


def _client_ports(receiver: Receiver) -> list[int]:
    return [r.client_port for r in receiver.requests]


def test_with_keep_alive_two_calls_share_one_connection():
    with Receiver() as receiver:
        receiver.respond(200, body={"ok": True})
        keep_connections_alive(True)
        try:
            send("POST", receiver.url, json={"n": 1}, timeout=5)
            send("POST", receiver.url, json={"n": 2}, timeout=5)
        finally:
            keep_connections_alive(False)
        ports = _client_ports(receiver)
    assert len(ports) == 2 and ports[0] == ports[1]


def test_by_default_each_call_opens_its_own_connection():
    with Receiver() as receiver:
        receiver.respond(200, body={"ok": True})
        send("POST", receiver.url, json={"n": 1}, timeout=5)
        send("POST", receiver.url, json={"n": 2}, timeout=5)
        ports = _client_ports(receiver)
    assert len(ports) == 2 and ports[0] != ports[1]
