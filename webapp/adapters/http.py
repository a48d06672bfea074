"""Shared HTTP plumbing: send one request and map its outcome onto the adapter error taxonomy."""

import contextlib
import json as jsonlib
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError

from . import targets
from .base import AdapterError, AuthError, PermanentError, RateLimited, TransientError, UnknownOutcome
from .sentence import Sentence

USER_AGENT = "Herald/0.1"
EXCERPT_CHARS = 500
REDACTED = "[redacted]"
# Replies are read only this far: enough for any JSON acknowledgement, bounded against a hostile peer.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: Mapping[str, str]
    body: bytes
    excerpt: str

    def json_object(self) -> dict[str, Any] | None:
        """Return the body parsed as a JSON object, or None when it is anything else."""
        value = self._json()
        return value if isinstance(value, dict) else None

    def json_objects(self) -> list[dict[str, Any]]:
        """Return the objects of a JSON array body, or [] when the body is anything else."""
        value = self._json()
        return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []

    def _json(self) -> Any:
        try:
            return jsonlib.loads(self.body)
        except (ValueError, RecursionError):
            return None


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value in text with the redaction marker."""
    # Longest first, so a secret that contains another is not left half visible.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def excerpt(body: bytes, secrets: Iterable[str] = ()) -> str:
    """Return the first EXCERPT_CHARS characters of a body with secrets redacted."""
    # Redact before cutting, so a secret straddling the cut cannot leak its first characters.
    return redact(body.decode("utf-8", errors="replace"), secrets)[:EXCERPT_CHARS]


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return the seconds a Retry-After value (delta-seconds or HTTP-date) asks to wait, or None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC with no claim about local time
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# Reads a platform's error body into one short sentence for the error message, or None.
ErrorDetail = Callable[[HttpResponse], str | None]


def parse_reset_instant(value: str | None, now: datetime) -> float | None:
    """Return the seconds until an ISO 8601 X-RateLimit-Reset instant (Mastodon's form), or None."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


_shared = threading.local()


class TargetRefused(Exception):
    """The address a connection would go to is not one Herald may call (targets.py); nothing was sent.

    Not an OSError on purpose: urllib3 would wrap one as a connection failure and retry it.
    """


class _Guarded:
    """A connection that checks where it goes: every resolved address before connecting, the peer after."""

    def _new_conn(self):
        try:
            found = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            found = []  # the connection below reports the resolution failure as it always has
        for *_, sockaddr in found:
            if reason := targets.policy().refusal(sockaddr[0]):
                raise TargetRefused(Sentence("%(host)s: %(reason)s", host=self.host, reason=reason))
        sock = super()._new_conn()
        # The name may resolve differently a moment later (DNS rebinding): judge the address connected to.
        if reason := targets.policy().refusal(sock.getpeername()[0]):
            sock.close()
            raise TargetRefused(Sentence("%(host)s: %(reason)s", host=self.host, reason=reason))
        return sock


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    """requests' adapter whose direct connections are guarded (a proxy the operator set is trusted)."""

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _new_session() -> requests.Session:
    session = requests.Session()
    # requests reads the proxy variables and ~/.netrc again for every request when trust_env is on
    # (about a tenth of a publish's CPU). A channel's credentials never come from .netrc, so the
    # environment is only trusted when it names a proxy.
    session.trust_env = any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXY_VARIABLES)
    guarded = _GuardedAdapter()
    session.mount("http://", guarded)
    session.mount("https://", guarded)
    return session


def keep_connections_alive(enabled: bool) -> None:
    """Reuse one keep-alive session per thread (worker processes), or open one per call (default)."""
    current = getattr(_shared, "session", None)
    if current is not None and not enabled:
        current.close()
    _shared.session = _new_session() if enabled else None


@contextlib.contextmanager
def _session():
    shared = getattr(_shared, "session", None)
    if shared is not None:
        # A worker publishes to the same few hosts all day: a pooled connection saves a TCP (and
        # TLS) handshake per publication.
        yield shared
        return
    # By default a session per call: nothing pooled outlives the call, so no socket is left to leak.
    with _new_session() as session:
        yield session


def send(
    method: str,
    url: str,
    *,
    json: Any = None,
    data: bytes | Mapping[str, str] | None = None,
    files: Mapping[str, tuple[str, bytes, str]] | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float,
    secrets: Iterable[str] = (),
    error_detail: ErrorDetail | None = None,
    check: bool = True,
) -> HttpResponse:
    """Send one request and return its 2xx response, or raise the AdapterError its outcome means.

    error_detail reads the platform's error body into the message; check=False returns any
    answered response unclassified, for callers that read the body first (then raise_for_status).
    files (field: (filename, bytes, content type)) with data as form fields sends multipart/form-data.
    """
    secrets = tuple(secrets)
    all_headers = {"User-Agent": USER_AGENT, **(headers or {})}
    try:
        with _session() as session:
            # Redirects are not followed: requests would turn a redirected POST into a body-less GET.
            response = session.request(
                method,
                url,
                json=json,
                data=data,
                files=files,
                headers=all_headers,
                timeout=timeout,
                allow_redirects=False,
                stream=True,
            )
            with response:
                status, reply_headers = response.status_code, response.headers
                try:
                    body = _read_bounded(response)
                except requests.RequestException as exc:
                    if 200 <= status < 300:  # accepted, then cut off: we cannot tell what it recorded
                        raise UnknownOutcome(_describe(exc, secrets), http_status=status) from exc
                    body = b""
    except requests.RequestException as exc:
        raise _classify_exception(exc, secrets) from exc
    except TargetRefused as exc:
        # A host name and Herald's own reason (targets.py): nothing in it to redact.
        raise PermanentError(Sentence("refused before sending anything: %(reason)s", reason=exc.args[0])) from None
    result = HttpResponse(status, reply_headers, body, excerpt(body, secrets))
    if check:
        raise_for_status(result, secrets, error_detail)
    return result


def _read_bounded(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES]


def _describe(exc: requests.RequestException, secrets: Iterable[str]) -> str:
    """Where and why, in words a person can act on: "127.0.0.1:9: Connection refused", not urllib3's pool reprs."""
    reason = _reason(exc)
    if not isinstance(reason, Sentence):
        reason = redact(reason, secrets)[:EXCERPT_CHARS]
    where = _where(exc)
    return Sentence("%(where)s: %(reason)s", where=where, reason=reason) if where else reason


def _where(exc: requests.RequestException) -> str | None:
    """ "host:port" of the request (never its userinfo, which may hold a password), or None if unknown."""
    try:
        url = urlsplit(exc.request.url)  # type: ignore[union-attr]
        port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    except (AttributeError, TypeError, ValueError):
        return None
    return f"{url.hostname}:{port}" if url.hostname else None


def _reason(exc: requests.RequestException) -> str:
    # urllib3 wraps the socket's own error (refused, unreachable, no such host, certificate) in a retry error and a
    # connection error whose texts carry the pool's and the connection's reprs: the innermost cause says it plainly.
    root: BaseException = exc
    while root.__cause__ is not None or (isinstance(root, requests.RequestException | MaxRetryError) and root.args):
        inner = root.__cause__ or (root.reason if isinstance(root, MaxRetryError) else root.args[0])
        if not isinstance(inner, BaseException):
            break
        root = inner
    if isinstance(root, socket.gaierror):
        return Sentence("the host name does not resolve (%(why)s)", why=root.strerror)
    if isinstance(root, OSError) and root.strerror:
        return root.strerror
    if isinstance(root, TimeoutError):
        return Sentence("timed out")
    return f"{type(exc).__name__}: {exc}"


def _classify_exception(exc: requests.RequestException, secrets: Iterable[str]) -> AdapterError:
    message = _describe(exc, secrets)
    # Order matters: ConnectTimeout and SSLError are ConnectionErrors, and ReadTimeout is a Timeout.
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError | requests.exceptions.ProxyError):
        return TransientError(Sentence("could not connect: %(detail)s", detail=message))
    if isinstance(exc, requests.Timeout):
        return UnknownOutcome(Sentence("no answer within the timeout after sending: %(detail)s", detail=message))
    if isinstance(exc, requests.ConnectionError):
        if _never_connected(exc):
            return TransientError(Sentence("could not connect: %(detail)s", detail=message))
        return UnknownOutcome(Sentence("connection lost after sending: %(detail)s", detail=message))
    if isinstance(exc, requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError):
        return UnknownOutcome(Sentence("reply cut off: %(detail)s", detail=message))
    # Invalid URL, schema or header: nothing was sent and retrying cannot help.
    return PermanentError(Sentence("request not sent: %(detail)s", detail=message))


def _never_connected(exc: requests.ConnectionError) -> bool:
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    # urllib3 reports refused connections and DNS failures as subclasses of ConnectTimeoutError.
    return isinstance(reason, ConnectTimeoutError)


def raise_for_status(
    response: HttpResponse, secrets: Iterable[str] = (), error_detail: ErrorDetail | None = None
) -> None:
    """Raise the AdapterError a non-2xx response means; return quietly for a 2xx."""
    status = response.status
    if 200 <= status < 300:
        return
    details = {"http_status": status, "response_excerpt": response.excerpt}
    message = f"HTTP {status} {_phrase(status)}".rstrip()
    if error_detail is not None and (detail := error_detail(response)):
        message = f"{message}: {redact(detail, secrets)[:EXCERPT_CHARS]}"
    now = _reply_time(response.headers)
    retry_after = parse_retry_after(response.headers.get("Retry-After"), now)
    if status == 429 and retry_after is None:
        retry_after = parse_reset_instant(response.headers.get("X-RateLimit-Reset"), now)
    if status == 429 or (status == 503 and retry_after is not None):
        raise RateLimited(message, retry_after=retry_after, **details)
    if status in (401, 403):
        raise AuthError(message, **details)
    if status >= 500:
        raise TransientError(message, **details)
    if 300 <= status < 400:
        location = redact(response.headers.get("Location", ""), secrets)[:200]
        not_followed = Sentence(
            "%(answer)s: redirect to %(location)s not followed; update the URL", answer=message, location=repr(location)
        )
        raise PermanentError(not_followed, **details)
    raise PermanentError(message, **details)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _reply_time(headers: Mapping[str, str]) -> datetime:
    # An HTTP-date Retry-After is relative to the peer's clock; its Date header cancels clock skew.
    try:
        when = parsedate_to_datetime(headers.get("Date", ""))
    except (TypeError, ValueError, IndexError, OverflowError):
        return datetime.now(UTC)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
