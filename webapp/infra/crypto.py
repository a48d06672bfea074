"""Encryption of channel credentials at rest (Fernet; several keys allow rotation)."""

from __future__ import annotations

import base64
import functools
import hashlib
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app


class CredentialsError(RuntimeError):
    """Stored credentials could not be decrypted with any configured key."""


def _keys_from_config(raw: str, secret_key: str) -> list[Fernet]:
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    if not keys:
        # Without an explicit key, derive one from SECRET_KEY so a first run works; the README
        # tells operators to set CREDENTIALS_KEY so rotating SECRET_KEY doesn't orphan secrets.
        derived = base64.urlsafe_b64encode(hashlib.sha256(b"herald-credentials:" + secret_key.encode()).digest())
        keys = [derived.decode()]
    return [Fernet(k.encode()) for k in keys]


def _fernet() -> MultiFernet:
    cfg = current_app.config
    return MultiFernet(_keys_from_config(cfg["CREDENTIALS_KEYS"], cfg["SECRET_KEY"]))


def encrypt_credentials(credentials: dict) -> str:
    """Encrypt a credentials mapping with the newest key."""
    return _fernet().encrypt(json.dumps(credentials, sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict:
    """Decrypt a credentials token with whichever configured key made it."""
    cfg = current_app.config
    try:
        return json.loads(_decrypted(token, cfg["CREDENTIALS_KEYS"], cfg["SECRET_KEY"]))
    except InvalidToken:
        raise CredentialsError("channel credentials cannot be decrypted with the configured keys") from None


@functools.lru_cache(maxsize=256)
def _decrypted(token: str, keys: str, secret_key: str) -> bytes:
    # A worker decrypts the same few channels' tokens for every publication: the keys' derivation and the
    # decryption were a tenth of a millisecond each time. A token is immutable (new credentials make a new
    # one), and the keys are part of the cache key, so a change of either is never answered from here. Each
    # caller still gets its own dict (json.loads above): nothing shared can be mutated.
    return MultiFernet(_keys_from_config(keys, secret_key)).decrypt(token.encode())


def rotate_credentials(token: str) -> str:
    """Re-encrypt a token under the newest key (for key rotation)."""
    return _fernet().rotate(token.encode()).decode()
