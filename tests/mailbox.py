"""A real SMTP server on a free local port (aiosmtpd), and a fixture pointing the app's SMTP settings at it."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SMTP_USER, SMTP_PASSWORD = "herald", "smtp-secret-9"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    """aiosmtpd handler that keeps every message it is handed."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.envelopes.append(envelope)
        self.messages.append(message_from_bytes(envelope.original_content, policy=policy.default))
        return "250 OK"


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        SMTP_USER.encode(),
        SMTP_PASSWORD.encode(),
    )
    return AuthResult(success=ok)


def start_server(**kwargs) -> tuple[Controller, Mailbox]:
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller, mailbox


@pytest.fixture(name="smtp_server")
def smtp_server_fixture(app, monkeypatch):
    """Start a local SMTP server that wants a login (plain text, no TLS) and configure the app to use it."""
    controller, mailbox = start_server(authenticator=_authenticator, auth_require_tls=False)
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": controller.port,
        "SMTP_USER": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "SMTP_FROM": "Herald <herald@example.test>",
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT_S": 5,
        "PUBLIC_URL": "https://herald.example.test",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    yield mailbox
    controller.stop()


def deliver_queued_mail() -> None:
    """Run the queued jobs (mail among them) the way a worker does, then return."""
    from rq import SimpleWorker

    from webapp.infra.queues import all_queues, get_redis

    SimpleWorker(all_queues(), connection=get_redis()).work(burst=True)


def self_signed_certificate(folder) -> tuple[str, str]:
    """Write a certificate for 127.0.0.1 and its key into folder; return (cert path, key path).

    A client trusts it when the certificate file is its CA bundle (SSL_CERT_FILE), as with a private CA.
    """
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    # Valid for a century from 2000: the test must not depend on today's date.
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(2099, 12, 31, tzinfo=datetime.UTC))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)
