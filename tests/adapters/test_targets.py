"""Outbound targets are input: no address inside Herald's own network is called unless the operator allows it.

Every spelling of loopback, the cloud metadata address and a name that resolves to a public address first and
to loopback when connecting (DNS rebinding) are refused before a byte is sent; saving such a URL is a 422
naming the field; "test connection" shows none of a refused target's answer.
"""

from __future__ import annotations

import socket

import pytest

from tests.adapters.receiver import Receiver
from tests.conftest import LOOPBACK_TARGETS
from webapp.adapters import targets
from webapp.adapters.base import PermanentError
from webapp.adapters.http import send
from webapp.config import ConfigError

LOOPBACK_SPELLINGS = (
    "127.0.0.1",
    "localhost",
    "2130706433",
    "0177.0.0.1",
    "127.1",
    "0.0.0.0",
    "[::1]",
    "[::ffff:127.0.0.1]",
)


@pytest.fixture
def receiver():
    with Receiver() as running:
        running.respond(200, body={"secret": "the answer of an internal service"})
        yield running


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
def test_every_spelling_of_loopback_is_refused_before_anything_is_sent(strict_targets, receiver, host):
    port = receiver.url.rsplit(":", 1)[1].split("/", 1)[0]

    with pytest.raises(PermanentError, match="refused before sending anything") as refused:
        send("POST", f"http://{host}:{port}/hook", json={"x": 1}, timeout=5)

    assert "inside the network Herald runs in" in refused.value.message or "unspecified" in refused.value.message
    assert receiver.requests == []


def test_the_allow_list_lets_the_operator_s_networks_through(receiver):
    targets.set_policy(targets.TargetPolicy.from_setting("10.0.0.0/8, 127.0.0.0/8"))
    try:
        assert send("POST", receiver.url, json={"x": 1}, timeout=5).status == 200
    finally:
        targets.set_policy(targets.TargetPolicy.from_setting(LOOPBACK_TARGETS))


@pytest.mark.parametrize("setting", ["true", "169.254.0.0/16", ""])
def test_the_cloud_metadata_address_is_refused_whatever_the_allow_list(setting):
    policy = targets.TargetPolicy.from_setting(setting)

    assert "cloud metadata address" in policy.refusal("169.254.169.254")
    assert "cloud metadata address" in policy.refusal("::ffff:169.254.169.254")


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.1.2.3", "a private address"),
        ("192.168.0.10", "a private address"),
        ("172.16.5.5", "a private address"),
        ("169.254.1.1", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("100.64.0.1", "not a public address"),  # carrier-grade NAT
        ("224.0.0.1", "a multicast address"),
        ("::", "the unspecified address"),
    ],
)
def test_non_public_addresses_are_named_for_what_they_are(address, kind):
    assert kind in targets.TargetPolicy().refusal(address)


def test_public_addresses_pass():
    assert targets.TargetPolicy().refusal("93.184.216.34") is None
    assert targets.TargetPolicy().refusal("2606:2800:220:1:248:1893:25c8:1946") is None


def test_a_name_that_rebinds_to_loopback_between_the_check_and_the_connection_is_refused(
    strict_targets, receiver, monkeypatch
):
    port = int(receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
    real = socket.getaddrinfo
    answers = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port))]])

    def rebinding(host, *args, **kwargs):  # public for the check, loopback for the connection
        if host == "rebind.example":
            return next(answers, None) or real("127.0.0.1", *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    with pytest.raises(PermanentError, match="127.0.0.1 is a loopback address"):
        send("POST", f"http://rebind.example:{port}/hook", json={"x": 1}, timeout=5)
    assert receiver.requests == []


def test_a_bad_allow_list_fails_at_start_up(monkeypatch, tmp_path):
    from webapp import create_app

    monkeypatch.setenv("HERALD_ENV", "testing")
    monkeypatch.setenv("HERALD_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="OUTBOUND_ALLOW_PRIVATE='10.0.0/33'"):
        create_app({"OUTBOUND_ALLOW_PRIVATE": "10.0.0/33", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    targets.set_policy(targets.TargetPolicy.from_setting(LOOPBACK_TARGETS))
