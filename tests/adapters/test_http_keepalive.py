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


def test_a_proxy_named_in_the_environment_carries_the_request(monkeypatch):
    # Trusting the environment costs CPU per request, so it is only on when a proxy is named: then
    # a publish must go through it (the receiver plays the proxy and sees the absolute URL).
    with Receiver() as proxy:
        proxy.respond(200, body={"ok": True})
        monkeypatch.setenv("HTTP_PROXY", proxy.url.rsplit("/", 1)[0])
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        keep_connections_alive(True)
        try:
            response = send("POST", "http://blog.example.invalid/hook", json={"n": 1}, timeout=5)
        finally:
            keep_connections_alive(False)
    assert response.status == 200
    assert proxy.requests[0].path == "http://blog.example.invalid/hook"


def test_without_a_proxy_variable_the_environment_is_not_read_per_request(monkeypatch, tmp_path):
    # A ~/.netrc entry for the host must not add credentials Herald never configured.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password not-for-herald\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    with Receiver() as receiver:
        receiver.respond(200, body={"ok": True})
        send("POST", receiver.url, json={"n": 1}, timeout=5)
    assert "Authorization" not in receiver.requests[0].headers
