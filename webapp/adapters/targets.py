"""Outbound targets are input: Herald calls no address inside the operator's network unless allow-listed.

Every URL Herald calls on a user's behalf (a channel's site, a webhook receiver, a Slack-compatible
URL, "test connection") is someone's input: aimed at `http://127.0.0.1:6379/` or the cloud metadata
address, it would turn Herald into a way into the network it runs in. So an address that is not
public (loopback, private, link-local, carrier-grade NAT, unspecified, reserved, multicast) is refused,
unless the operator allow-lists it (`OUTBOUND_ALLOW_PRIVATE`: `true` for every non-public address, or
a list of networks). The cloud metadata address is refused whatever the allow-list says.

Checked twice: when a URL is saved (`url_refusal`, resolving its host: a 422 naming the field) and when
a connection is made (`refusal` on the socket's actual peer, in http.py), so a name that resolves
differently later (DNS rebinding), any spelling of loopback (`2130706433`, `0177.0.0.1`, `127.1`,
`[::ffff:127.0.0.1]`) and a redirect's target are all judged by the address really connected to.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from .sentence import Sentence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Cloud instance metadata (AWS, GCP, Azure, OpenStack; AWS's IPv6 one): credentials live there.
METADATA = (ipaddress.ip_network("169.254.169.254/32"), ipaddress.ip_network("fd00:ec2::254/128"))


class SettingError(ValueError):
    """OUTBOUND_ALLOW_PRIVATE is neither true/false nor a list of networks."""


@dataclass(frozen=True)
class TargetPolicy:
    """Which non-public addresses may be called: none (the default), all of them, or some networks."""

    allow_all_private: bool = False
    allowed: tuple[IPNetwork, ...] = ()

    @classmethod
    def from_setting(cls, raw: str) -> TargetPolicy:
        """Read OUTBOUND_ALLOW_PRIVATE: empty or false (none), true (all), or comma-separated networks."""
        value = (raw or "").strip().lower()
        if value in ("", "0", "false", "no", "off"):
            return cls()
        if value in ("1", "true", "yes", "on"):
            return cls(allow_all_private=True)
        try:
            return cls(allowed=tuple(ipaddress.ip_network(part.strip()) for part in value.split(",") if part.strip()))
        except ValueError as exc:
            raise SettingError(
                f"OUTBOUND_ALLOW_PRIVATE={raw!r}: {exc} (use true, false or networks like 10.0.0.0/8)"
            ) from exc

    def refusal(self, address: str) -> str | None:
        """Say why Herald may not call this IP address, or None when it may."""
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in network for network in METADATA):
            return Sentence("%(ip)s is the cloud metadata address, which Herald never calls", ip=str(ip))
        if ip.is_global and not ip.is_multicast:
            return None
        if self.allow_all_private or any(ip in network for network in self.allowed):
            return None
        return Sentence(
            "%(ip)s is %(kind)s, inside the network Herald runs in (an operator may allow it: OUTBOUND_ALLOW_PRIVATE)",
            ip=str(ip),
            kind=_kind(ip),
        )


def _kind(ip: IPAddress) -> Sentence:
    if ip.is_loopback:
        return Sentence("a loopback address")
    if ip.is_link_local:
        return Sentence("a link-local address")
    if ip.is_unspecified:
        return Sentence("the unspecified address")
    if ip.is_multicast:
        return Sentence("a multicast address")
    if ip.is_private:
        return Sentence("a private address")
    return Sentence("not a public address")


_policy = TargetPolicy()


def set_policy(policy: TargetPolicy) -> None:
    """Install the process's policy (create_app, from OUTBOUND_ALLOW_PRIVATE)."""
    global _policy
    _policy = policy


def policy() -> TargetPolicy:
    return _policy


def url_refusal(url: str) -> str | None:
    """Resolve the URL's host and say why Herald may not call it, or None (also when it does not resolve now)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None  # not a URL at all: the field's own check says so
    if not host:
        return None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return None  # no address today; the connection is checked again when it is made
    for *_, sockaddr in found:
        if reason := _policy.refusal(sockaddr[0]):
            return Sentence("is refused: %(reason)s", reason=reason)
    return None
