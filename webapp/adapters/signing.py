"""HMAC signatures for webhook bodies: X-Herald-Signature is sha256 over "<timestamp>.<raw body>"."""

import hashlib
import hmac
import time

SIGNATURE_PREFIX = "sha256="
# Receivers should reject signatures older than this, so a captured request cannot be replayed later.
DEFAULT_TOLERANCE_SECONDS = 300.0


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """Return the X-Herald-Signature header value for body sent at timestamp."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii") + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def verify(
    secret: str,
    timestamp: int | str,
    body: bytes,
    signature: str,
    *,
    tolerance: float | None = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Return whether signature matches timestamp and body and the timestamp is within tolerance of now."""
    stamp = str(timestamp).strip()
    if not (stamp.isascii() and stamp.isdigit()):
        return False
    if tolerance is not None:
        current = time.time() if now is None else now
        if abs(current - int(stamp)) > tolerance:
            return False
    # Compare bytes: compare_digest rejects non-ASCII str, and a forged header may hold anything.
    return hmac.compare_digest(sign(secret, stamp, body).encode(), signature.encode("utf-8", "replace"))
